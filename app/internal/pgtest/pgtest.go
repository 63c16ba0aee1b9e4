// Package pgtest runs a real, throwaway PostgreSQL server for tests.
//
// The server binaries must be installed (Debian: apt-get install postgresql);
// when they are missing Start returns an error and the tests must fail, not
// skip. Running as root (as CI does) the server runs as the postgres user,
// since initdb and postgres refuse root.
package pgtest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"slices"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// Server is one PostgreSQL cluster in a temporary directory, listening on
// 127.0.0.1 on a free port.
type Server struct {
	Port int
	base string // temporary directory: data dir, socket, log
	bin  string
	cred *syscall.Credential // nil unless running as root
	cmd  *exec.Cmd
	done chan struct{} // closed when the server process has exited
	exit error         // its exit status, once done is closed
	dbs  int           // databases created so far
}

// Run is the body of a TestMain: it starts a server, calls tests with it
// (tests does any setup and returns m.Run()), removes the server and exits
// with tests' code. Without a server the tests fail, never skip.
func Run(tests func(*Server) int) {
	s, err := Start()
	if err != nil {
		fmt.Fprintln(os.Stderr, "FAIL: these tests need a real PostgreSQL server:", err)
		os.Exit(1)
	}
	code := tests(s)
	s.Close()
	os.Exit(code)
}

// StartForTest starts a cluster of t's own (one the test may stop), fails t
// if it cannot, and removes the cluster when t ends.
func StartForTest(t testing.TB) *Server {
	t.Helper()
	s, err := Start()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	return s
}

// Start creates and starts a cluster. Close removes it.
func Start() (*Server, error) {
	bin, err := findBin()
	if err != nil {
		return nil, err
	}
	s := &Server{bin: bin}
	if s.base, err = os.MkdirTemp("", "pgtest-"); err != nil {
		return nil, err
	}
	if os.Geteuid() == 0 {
		u, err := user.Lookup("postgres")
		if err != nil {
			s.Close()
			return nil, fmt.Errorf("pgtest: running as root needs a 'postgres' user to run the server as: %w", err)
		}
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		s.cred = &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}
		if err := os.Chown(s.base, uid, gid); err != nil {
			s.Close()
			return nil, err
		}
	}
	initdb := s.command("initdb", "-D", s.dataDir(), "-U", "postgres", "--auth=trust",
		"-E", "UTF8", "--locale=C.UTF-8", "--no-sync")
	if out, err := initdb.CombinedOutput(); err != nil {
		s.Close()
		return nil, fmt.Errorf("pgtest: initdb: %w\n%s", err, out)
	}
	if s.Port, err = freePort(); err != nil {
		s.Close()
		return nil, err
	}
	if err := s.Resume(); err != nil {
		s.Close()
		return nil, err
	}
	return s, nil
}

func findBin() (string, error) {
	if dir := os.Getenv("PG_BINDIR"); dir != "" {
		return dir, nil
	}
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	// Highest major version first; numeric order, so 15 sorts above 9.
	slices.SortFunc(dirs, func(a, b string) int {
		va, _ := strconv.Atoi(filepath.Base(filepath.Dir(a)))
		vb, _ := strconv.Atoi(filepath.Base(filepath.Dir(b)))
		return vb - va
	})
	for _, d := range dirs {
		if _, err := os.Stat(filepath.Join(d, "postgres")); err == nil {
			return d, nil
		}
	}
	return "", errors.New("pgtest: no PostgreSQL server binaries in /usr/lib/postgresql/*/bin " +
		"(install them: apt-get install -y postgresql; or set PG_BINDIR)")
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	port := l.Addr().(*net.TCPAddr).Port
	return port, l.Close()
}

func (s *Server) dataDir() string { return filepath.Join(s.base, "data") }
func (s *Server) logFile() string { return filepath.Join(s.base, "postgres.log") }

func (s *Server) command(name string, args ...string) *exec.Cmd {
	cmd := exec.Command(filepath.Join(s.bin, name), args...)
	cmd.Dir = s.base
	cmd.SysProcAttr = &syscall.SysProcAttr{
		Credential: s.cred,
		// If the test binary dies, the server goes with it instead of
		// lingering on its port.
		Pdeathsig: syscall.SIGQUIT,
	}
	return cmd
}

// Resume starts the server (again) and waits until it accepts connections.
func (s *Server) Resume() error {
	if s.cmd != nil {
		return errors.New("pgtest: server already running")
	}
	logf, err := os.OpenFile(s.logFile(), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return err
	}
	defer func() { _ = logf.Close() }() // the child has its own copy
	cmd := s.command("postgres", "-D", s.dataDir(),
		"-c", "listen_addresses=127.0.0.1", "-p", strconv.Itoa(s.Port), "-k", s.base,
		"-c", "fsync=off", "-c", "full_page_writes=off", "-c", "max_connections=200")
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("pgtest: start postgres: %w", err)
	}
	s.cmd, s.done = cmd, make(chan struct{})
	go func() {
		s.exit = cmd.Wait()
		close(s.done)
	}()

	deadline := time.Now().Add(30 * time.Second)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		conn, err := pgx.Connect(ctx, s.URL("postgres"))
		cancel()
		if err == nil {
			return conn.Close(context.Background())
		}
		select {
		case <-s.done:
			s.cmd = nil
			return fmt.Errorf("pgtest: postgres exited at start-up: %v\n%s", s.exit, s.logTail())
		default:
		}
		if time.Now().After(deadline) {
			_ = s.Stop()
			return fmt.Errorf("pgtest: postgres not accepting connections after 30s: %v\n%s", err, s.logTail())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// Stop shuts the server down the hard way ("immediate": no checkpoint, as
// in a crash); a later Resume runs crash recovery.
func (s *Server) Stop() error {
	if s.cmd == nil {
		return nil
	}
	_ = s.cmd.Process.Signal(syscall.SIGQUIT)
	select {
	case <-s.done:
	case <-time.After(30 * time.Second):
		_ = s.cmd.Process.Kill()
		<-s.done
	}
	s.cmd = nil
	return nil
}

// Close stops the server and removes its files.
func (s *Server) Close() {
	_ = s.Stop()
	_ = os.RemoveAll(s.base)
}

// URL is a connection URL for database db as the superuser "postgres".
func (s *Server) URL(db string) string {
	return fmt.Sprintf("postgres://postgres@127.0.0.1:%d/%s?sslmode=disable", s.Port, db)
}

// CreateDatabase creates an empty database with a name not used before on
// this server (so tests can run with -count) and returns the name and URL;
// it fails t if it cannot.
func (s *Server) CreateDatabase(t testing.TB) (name, url string) {
	t.Helper()
	name = s.newName()
	s.exec(t, "CREATE DATABASE "+name)
	return name, s.URL(name)
}

// CreateLimitedDatabase creates a database owned by a new login role that
// may hold at most limit connections at once (CONNECTION LIMIT, enforced
// for roles that are not superusers) and returns the database's name and a
// URL that connects as that role.
func (s *Server) CreateLimitedDatabase(t testing.TB, limit int) (name, url string) {
	t.Helper()
	name = s.newName()
	role := name + "_owner"
	s.exec(t, fmt.Sprintf("CREATE ROLE %s LOGIN CONNECTION LIMIT %d", role, limit),
		fmt.Sprintf("CREATE DATABASE %s OWNER %s", name, role))
	return name, fmt.Sprintf("postgres://%s@127.0.0.1:%d/%s?sslmode=disable", role, s.Port, name)
}

func (s *Server) newName() string {
	s.dbs++
	return fmt.Sprintf("test%d", s.dbs)
}

// exec runs statements one by one as the superuser (CREATE DATABASE cannot
// share a transaction); it fails t if one fails.
func (s *Server) exec(t testing.TB, statements ...string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, s.URL("postgres"))
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = conn.Close(ctx) }()
	for _, sql := range statements {
		if _, err := conn.Exec(ctx, sql); err != nil {
			t.Fatal(err)
		}
	}
}

func (s *Server) logTail() string {
	b, _ := os.ReadFile(s.logFile())
	if len(b) > 4000 {
		b = b[len(b)-4000:]
	}
	return string(bytes.TrimSpace(b))
}

// LockTable holds an ACCESS EXCLUSIVE lock on table in the database at url,
// so that every statement on it waits there, until release is called (or t
// ends): requests in flight on demand. waiting counts the sessions of that
// database waiting for a lock; it runs outside any transaction, where
// PostgreSQL would answer every read of pg_stat_activity from the
// transaction's first snapshot.
func LockTable(t testing.TB, url, table string) (waiting func() int, release func()) {
	t.Helper()
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	watcher, err := pgx.Connect(ctx, url)
	if err != nil {
		_ = conn.Close(ctx)
		t.Fatal(err)
	}
	tx, err := conn.Begin(ctx)
	var once sync.Once
	release = func() {
		once.Do(func() {
			if tx != nil {
				_ = tx.Rollback(ctx) // the lock is gone when this returns
			}
			_ = conn.Close(ctx)
			_ = watcher.Close(ctx)
		})
	}
	t.Cleanup(release)
	if err == nil {
		_, err = tx.Exec(ctx, "LOCK TABLE "+pgx.Identifier{table}.Sanitize()+" IN ACCESS EXCLUSIVE MODE")
	}
	if err != nil {
		t.Fatal(err)
	}
	waiting = func() int {
		var n int
		if err := watcher.QueryRow(ctx, `SELECT count(*) FROM pg_stat_activity
			WHERE datname = current_database() AND wait_event_type = 'Lock'`).Scan(&n); err != nil {
			t.Error(err)
		}
		return n
	}
	return waiting, release
}
