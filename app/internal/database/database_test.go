package database

import (
	"context"
	"errors"
	"io"
	"log/slog"
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
	pool, err := Open(url)
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	ctx := context.Background()
	if err := pool.QueryRow(ctx, `SELECT max(version_id), count(*) FROM goose_db_version WHERE version_id > 0`).Scan(&version, &rows); err != nil {
		t.Fatal(err)
	}
	return version, rows
}

func TestMigrateTwiceIsANoOp(t *testing.T) {
	_, url := pg.CreateDatabase(t)
	pool, err := Open(url)
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	for i := range 2 {
		if err := Migrate(context.Background(), pool, quiet); err != nil {
			t.Fatalf("run %d: %v", i+1, err)
		}
	}
	if v, n := schemaVersion(t, url); v != 1 || n != 1 {
		t.Errorf("version %d with %d rows, want 1 and 1", v, n)
	}
	if _, err := pool.Exec(context.Background(), `INSERT INTO notes (title) VALUES ('x')`); err != nil {
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
			pool, err := Open(url)
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
	if v, n := schemaVersion(t, url); v != 1 || n != 1 {
		t.Errorf("version %d with %d rows, want 1 and 1", v, n)
	}
}

func TestMigrateUntilDoneWaitsForTheDatabase(t *testing.T) {
	// A port nobody listens on: every attempt fails until ctx ends.
	pool, err := Open("postgres://postgres@127.0.0.1:1/x?sslmode=disable")
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
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
	pool, err := Open("postgres://postgres@127.0.0.1:1/x?sslmode=disable")
	if err != nil {
		t.Fatalf("Open must not need the database: %v", err)
	}
	pool.Close()
}

func TestUnavailable(t *testing.T) {
	pool, err := Open("postgres://postgres@127.0.0.1:1/x?sslmode=disable")
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
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
		"check violation 23514":    {&pgconn.PgError{Code: "23514"}, false},
		"syntax error 42601":       {&pgconn.PgError{Code: "42601"}, false},
		"nil":                      {nil, false},
	} {
		if got := Unavailable(tc.err); got != tc.want {
			t.Errorf("%s: Unavailable(%v) = %v, want %v", name, tc.err, got, tc.want)
		}
	}
}

func TestPoolIsSizedForADBT3Micro(t *testing.T) {
	pool, err := Open(pg.URL("postgres"))
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	if got := pool.Config().MaxConns; got != MaxConns {
		t.Errorf("MaxConns = %d", got)
	}
}
