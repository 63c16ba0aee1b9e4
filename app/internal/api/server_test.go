package api

// Client errors only a real HTTP server shows: what becomes of the
// connection after a body the app rejects.

import (
	"bufio"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"
)

// serve runs h behind the production http.Server settings, changed by tune.
func serve(t *testing.T, h http.Handler, tune func(*http.Server)) string {
	t.Helper()
	srv := NewHTTPServer(h, slog.New(slog.NewTextHandler(io.Discard, nil)))
	tune(srv)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { _ = srv.Close() })
	return ln.Addr().String()
}

// postPartial sends a note whose Content-Length announces more body than is
// sent and expects, within 3 s, one response that closes the connection:
// the status and error code given, the error shape and the security headers.
func postPartial(t *testing.T, addr string, announced int, sent string, status int, code string) {
	t.Helper()
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = conn.Close() }()
	_ = conn.SetDeadline(time.Now().Add(3 * time.Second))
	if _, err := fmt.Fprintf(conn, "POST /api/v1/notes HTTP/1.1\r\nHost: test\r\nContent-Type: application/json\r\n"+
		"Content-Length: %d\r\n\r\n%s", announced, sent); err != nil {
		t.Fatal(err)
	}
	br := bufio.NewReader(conn)
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		t.Fatalf("no response within 3s: %v", err)
	}
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != status {
		t.Fatalf("status %d, want %d: %s", resp.StatusCode, status, body)
	}
	checkSecurityHeaders(t, resp.Header)
	checkErrorBody(t, resp.Header, body, code)
	if !resp.Close {
		t.Errorf("Connection %q: want close", resp.Header.Get("Connection"))
	}
	// The server closed its end instead of reading on into the body.
	if n, err := br.Read(make([]byte, 1)); err != io.EOF {
		t.Errorf("after the response: read %d bytes, %v; want EOF", n, err)
	}
}

// A body over the limit (but not by so much that net/http gives up on the
// connection by itself) is answered at once and the connection closed,
// without waiting for the bytes the client still means to send.
func TestOversizedBodyIs413AndClosesTheConnection(t *testing.T) {
	h := newHarness(t)
	addr := serve(t, h, func(*http.Server) {})
	postPartial(t, addr, 100<<10, `{"title":"t","body":"`+strings.Repeat("a", 70<<10), 413, "body_too_large")
	if len(h.store.notes) != 0 {
		t.Errorf("a rejected body stored a note")
	}
}

// A body that stops arriving is a 408 when the server's read deadline
// passes, not a 400 "invalid JSON".
func TestSlowBodyIs408(t *testing.T) {
	h := newHarness(t)
	addr := serve(t, h, func(s *http.Server) { s.ReadTimeout = 300 * time.Millisecond })
	postPartial(t, addr, 100, `{"title":`, 408, "request_timeout")
	// A whole note, then silence where more was announced: still a 408,
	// not a 400 for "more than one JSON value".
	postPartial(t, addr, 100, `{"title":"t"} `, 408, "request_timeout")
	if len(h.store.notes) != 0 {
		t.Errorf("a timed-out body stored a note")
	}
}
