package database

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/octabyte/octabyte/app/internal/pgtest"
)

var pg *pgtest.Server

func TestMain(m *testing.M) {
	pgtest.Run(func(s *pgtest.Server) int {
		pg = s
		return m.Run()
	})
}

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

func schemaVersion(t *testing.T, url string) (version int64, rows int) {
	t.Helper()
	pool := mustOpen(t, url, quiet)
	ctx := context.Background()
	if err := pool.pgx.QueryRow(ctx, `SELECT max(version_id), count(*) FROM goose_db_version WHERE version_id > 0`).Scan(&version, &rows); err != nil {
		t.Fatal(err)
	}
	return version, rows
}

// migrationCount is the number of embedded migrations, numbered 1 to n.
func migrationCount(t *testing.T) int64 {
	t.Helper()
	files, err := fs.Glob(migrations, "migrations/*.sql")
	if err != nil || len(files) == 0 {
		t.Fatalf("no migrations: %v", err)
	}
	return int64(len(files))
}

func TestMigrateTwiceIsANoOp(t *testing.T) {
	_, url := pg.CreateDatabase(t)
	pool := mustOpen(t, url, quiet)
	for i := range 2 {
		if err := Migrate(context.Background(), pool, quiet); err != nil {
			t.Fatalf("run %d: %v", i+1, err)
		}
	}
	if v, n := schemaVersion(t, url); v != migrationCount(t) || n != int(v) {
		t.Errorf("version %d with %d rows, want %d and %d", v, n, migrationCount(t), migrationCount(t))
	}
	if _, err := pool.pgx.Exec(context.Background(), `INSERT INTO notes (title) VALUES ('x')`); err != nil {
		t.Errorf("notes table unusable: %v", err)
	}
}

// Several tasks starting at once each migrate; the advisory lock must make
// exactly one of them apply each migration and the others succeed too.
func TestMigrateConcurrentlyAppliesEachMigrationOnce(t *testing.T) {
	_, url := pg.CreateDatabase(t)
	const tasks = 5
	var wg sync.WaitGroup
	errs := make(chan error, tasks)
	start := make(chan struct{})
	for range tasks {
		wg.Go(func() {
			pool, err := Open(url, quiet)
			if err != nil {
				errs <- err
				return
			}
			defer pool.Close()
			<-start
			errs <- Migrate(context.Background(), pool, quiet)
		})
	}
	close(start)
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Error(err)
		}
	}
	if v, n := schemaVersion(t, url); v != migrationCount(t) || n != int(v) {
		t.Errorf("version %d with %d rows, want %d and %d", v, n, migrationCount(t), migrationCount(t))
	}
}

func TestMigrateUntilDoneWaitsForTheDatabase(t *testing.T) {
	// A port nobody listens on: every attempt fails until ctx ends.
	pool := mustOpen(t, "postgres://postgres@127.0.0.1:1/x?sslmode=disable", quiet)
	ctx, cancel := context.WithTimeout(context.Background(), 3500*time.Millisecond)
	defer cancel()
	failures := 0
	if err := MigrateUntilDone(ctx, pool, quiet, func() { failures++ }); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("got %v, want the context's error", err)
	}
	if failures < 2 {
		t.Errorf("%d failed attempts reported in 3.5s, want at least 2 (retries after 1s, then 2s)", failures)
	}
}

func TestOpenDoesNotConnect(t *testing.T) {
	pool, err := Open("postgres://postgres@127.0.0.1:1/x?sslmode=disable", quiet)
	if err != nil {
		t.Fatalf("Open must not need the database: %v", err)
	}
	pool.Close()
}

func TestUnavailable(t *testing.T) {
	pool := mustOpen(t, "postgres://postgres@127.0.0.1:1/x?sslmode=disable", quiet)
	refused := pool.Ping(context.Background())

	for name, tc := range map[string]struct {
		err  error
		want bool
	}{
		"connection refused":       {refused, true},
		"deadline":                 {context.DeadlineExceeded, true},
		"admin shutdown 57P01":     {&pgconn.PgError{Code: "57P01"}, true},
		"too many clients 53300":   {&pgconn.PgError{Code: "53300"}, true},
		"connection failure 08006": {&pgconn.PgError{Code: "08006"}, true},
		"serialization 40001":      {&pgconn.PgError{Code: "40001"}, true},
		"deadlock 40P01":           {&pgconn.PgError{Code: "40P01"}, true},
		"check violation 23514":    {&pgconn.PgError{Code: "23514"}, false},
		"syntax error 42601":       {&pgconn.PgError{Code: "42601"}, false},
		"nil":                      {nil, false},
	} {
		if got := Unavailable(tc.err); got != tc.want {
			t.Errorf("%s: Unavailable(%v) = %v, want %v", name, tc.err, got, tc.want)
		}
	}
}

func TestPoolIsConfiguredWithMaxConns(t *testing.T) {
	pool := mustOpen(t, pg.URL("postgres"), quiet)
	if got := pool.pgx.Config().MaxConns; got != MaxConns {
		t.Errorf("MaxConns = %d", got)
	}
}

// load runs workers callers that each acquire a connection, hold it for a
// short query and release it, rounds times; it returns the errors.
func load(pool *Pool, workers, rounds int) []error {
	var (
		mu   sync.Mutex
		errs []error
		wg   sync.WaitGroup
	)
	for range workers {
		wg.Go(func() {
			for range rounds {
				ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
				c, err := pool.Acquire(ctx)
				if err == nil {
					_, err = c.Exec(ctx, `SELECT pg_sleep(0.005)`)
					c.Release()
				}
				cancel()
				if err != nil {
					mu.Lock()
					errs = append(errs, err)
					mu.Unlock()
				}
			}
		})
	}
	wg.Wait()
	return errs
}

// With the server allowing fewer connections than the pool's size, callers
// wait for the connections the pool has instead of failing with "too many
// connections" (pgxpool alone fails about one caller in five here).
func TestCallersWaitForAPooledConnectionAtTheConnectionLimit(t *testing.T) {
	_, url := pg.CreateLimitedDatabase(t, 3)
	var logs strings.Builder // slog's handler serialises its writes
	pool := mustOpen(t, url, slog.New(slog.NewJSONHandler(&logs, nil)))
	if errs := load(pool, 20, 10); len(errs) > 0 {
		t.Fatalf("%d of 200 calls failed, the first: %v", len(errs), errs[0])
	}
	if n := pool.pgx.Stat().TotalConns(); n > 3 {
		t.Errorf("the pool holds %d connections; the role may hold 3", n)
	}
	// Each refused connection withheld a slot, so the server saw a handful
	// of refused attempts, not one for every call that had to wait; and
	// the gate settled at one slot per connection the role may hold: no
	// fewer (requests would queue behind idle connections), no more (a
	// slot without a connection keeps knocking).
	if pool.withheld != MaxConns-3 {
		t.Errorf("%d slots withheld; want %d", pool.withheld, MaxConns-3)
	}
	if !strings.Contains(logs.String(), "at its connection limit") {
		t.Errorf("hitting the limit is not logged:\n%s", logs.String())
	}
}

// The wait is bounded by the caller's deadline, and its failure is an
// outage (503), not a bug.
func TestWaitAtTheConnectionLimitEndsWithTheDeadline(t *testing.T) {
	_, url := pg.CreateLimitedDatabase(t, 1)
	pool := mustOpen(t, url, quiet)
	held, err := pool.Acquire(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer held.Release()
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err = pool.Acquire(ctx)
	if err == nil || !Unavailable(err) {
		t.Fatalf("got %v, want an unavailable error", err)
	}
	if waited := time.Since(start); waited < 250*time.Millisecond || waited > 2*time.Second {
		t.Errorf("waited %v; want about the 300ms deadline", waited)
	}
}

// Once the server has room again, the pool grows back to use it.
func TestPoolGrowsBackWhenTheServerHasRoomAgain(t *testing.T) {
	name, url := pg.CreateLimitedDatabase(t, 2)
	pool := mustOpen(t, url, quiet)
	pool.probeAfter = 20 * time.Millisecond
	if errs := load(pool, 10, 5); len(errs) > 0 {
		t.Fatalf("%d calls failed, the first: %v", len(errs), errs[0])
	}
	setConnectionLimit(t, name, 6)
	deadline := time.Now().Add(10 * time.Second)
	for pool.pgx.Stat().TotalConns() <= 2 {
		if time.Now().After(deadline) {
			t.Fatalf("still %d connections after the limit was raised to 6", pool.pgx.Stat().TotalConns())
		}
		if errs := load(pool, 10, 2); len(errs) > 0 {
			t.Fatalf("%d calls failed, the first: %v", len(errs), errs[0])
		}
	}
}

// A server that refuses every connection (another client holds them all)
// never makes the gate withhold its last slot: callers keep knocking, each
// until its own deadline, and the first one after the server has room gets
// a connection.
func TestTheGateKeepsOneSlotWhenTheServerRefusesEveryConnection(t *testing.T) {
	name, url := pg.CreateLimitedDatabase(t, 0)
	pool := mustOpen(t, url, quiet)
	var wg sync.WaitGroup
	for range 2 * MaxConns {
		wg.Go(func() {
			ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
			defer cancel()
			if c, err := pool.Acquire(ctx); err == nil {
				c.Release()
				t.Error("a connection from a role whose limit is 0")
			}
		})
	}
	wg.Wait()
	if pool.withheld > MaxConns-1 {
		t.Fatalf("%d of %d slots withheld; the gate must keep one", pool.withheld, MaxConns)
	}
	setConnectionLimit(t, name, 2)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	c, err := pool.Acquire(ctx)
	if err != nil {
		t.Fatalf("no connection after the limit was raised: %v", err)
	}
	c.Release()
}

// mustOpen opens a pool that is closed when the test ends.
func mustOpen(t *testing.T, url string, log *slog.Logger) *Pool {
	t.Helper()
	pool, err := Open(url, log)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	return pool
}

// setConnectionLimit changes the limit of a CreateLimitedDatabase's role.
func setConnectionLimit(t *testing.T, database string, limit int) {
	t.Helper()
	admin := mustOpen(t, pg.URL("postgres"), quiet)
	if _, err := admin.pgx.Exec(context.Background(), fmt.Sprintf("ALTER ROLE %s_owner CONNECTION LIMIT %d", database, limit)); err != nil {
		t.Fatal(err)
	}
}
