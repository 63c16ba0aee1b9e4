package main

import (
	"bufio"
	"encoding/binary"
	"io"
	"net"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
)

// pgProxy forwards connections to a PostgreSQL server and, when armed, loses
// the server's answer to the next COMMIT: the transaction commits, but the
// client never hears of it, as when the network or the database stalls at
// the wrong moment.
type pgProxy struct {
	port   int
	target string
	armed  atomic.Bool
	lost   chan struct{} // receives once per commit answer lost
}

func startPGProxy(t *testing.T, targetPort int) *pgProxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = ln.Close() })
	p := &pgProxy{port: ln.Addr().(*net.TCPAddr).Port, target: "127.0.0.1:" + strconv.Itoa(targetPort), lost: make(chan struct{}, 1)}
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go p.forward(c)
		}
	}()
	return p
}

// URL connects to database db through the proxy.
func (p *pgProxy) URL(db string) string {
	return "postgres://postgres@127.0.0.1:" + strconv.Itoa(p.port) + "/" + db + "?sslmode=disable"
}

// loseNextCommitAnswer arms the proxy for one COMMIT.
func (p *pgProxy) loseNextCommitAnswer() { p.armed.Store(true) }

func (p *pgProxy) forward(client net.Conn) {
	defer func() { _ = client.Close() }()
	server, err := net.Dial("tcp", p.target)
	if err != nil {
		return
	}
	defer func() { _ = server.Close() }()
	var deaf atomic.Bool // from the lost COMMIT on, nothing reaches the client
	go func() {
		buf := make([]byte, 32<<10)
		for {
			n, err := server.Read(buf)
			if err != nil {
				_ = client.Close()
				return
			}
			if !deaf.Load() {
				if _, err := client.Write(buf[:n]); err != nil {
					return
				}
			}
		}
	}()
	// Client to server, message by message: the first (start-up or cancel
	// request) has no type byte, the others do.
	r := bufio.NewReader(client)
	for first := true; ; first = false {
		var head []byte
		if !first {
			t, err := r.ReadByte()
			if err != nil {
				return
			}
			head = append(head, t)
		}
		var size [4]byte
		if _, err := io.ReadFull(r, size[:]); err != nil {
			return
		}
		body := make([]byte, binary.BigEndian.Uint32(size[:])-4)
		if _, err := io.ReadFull(r, body); err != nil {
			return
		}
		// pgx commits with a simple query "commit".
		if len(head) == 1 && head[0] == 'Q' && strings.EqualFold(strings.TrimRight(string(body), "\x00"), "commit") &&
			p.armed.CompareAndSwap(true, false) {
			deaf.Store(true)
			p.lost <- struct{}{}
		}
		if _, err := server.Write(append(append(head, size[:]...), body...)); err != nil {
			return
		}
	}
}
