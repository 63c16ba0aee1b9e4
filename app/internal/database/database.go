// Package database owns the PostgreSQL connection pool, the embedded schema
// migrations and the rule for which database errors mean "unavailable".
package database

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/lock"
)

// Pool limits. A db.t3.micro allows about 80 connections (max_connections
// follows instance memory); 10 per task leaves room for several tasks, a
// deployment's overlap and an operator's psql session.
const (
	MaxConns       = 10
	connectTimeout = 3 * time.Second
)

// Open creates a pool for connString. It does not connect: connections are
// made on demand, so the service starts while the database is down.
func Open(connString string) (*pgxpool.Pool, error) {
	cfg, err := pgxpool.ParseConfig(connString)
	if err != nil {
		return nil, err // pgx redacts the password in parse errors
	}
	cfg.MaxConns = MaxConns
	cfg.MinConns = 0
	cfg.MaxConnLifetime = 30 * time.Minute // pick up RDS failover/DNS changes
	cfg.MaxConnIdleTime = 5 * time.Minute
	cfg.HealthCheckPeriod = 30 * time.Second
	cfg.ConnConfig.ConnectTimeout = connectTimeout
	cfg.ConnConfig.RuntimeParams["application_name"] = "octabyte-app"
	// No statement_timeout: callers bound each call with a context, and when
	// it ends pgx sends the server a cancel request before dropping the
	// connection; migrations share this pool and may legitimately run longer.
	return pgxpool.NewWithConfig(context.Background(), cfg)
}

//go:embed migrations/*.sql
var migrations embed.FS

// Migrate applies all pending migrations. A PostgreSQL session-level advisory
// lock (goose's session locker) serialises tasks that start at the same
// time: the first applies, the others wait and then find nothing to do.
func Migrate(ctx context.Context, pool *pgxpool.Pool, log *slog.Logger) error {
	fsys, err := fs.Sub(migrations, "migrations")
	if err != nil {
		return err
	}
	// Retry the lock every second for up to 5 minutes.
	locker, err := lock.NewPostgresSessionLocker(lock.WithLockTimeout(1, 300))
	if err != nil {
		return err
	}
	db := stdlib.OpenDBFromPool(pool)
	defer func() { _ = db.Close() }() // returns the connection to the pool
	p, err := goose.NewProvider(goose.DialectPostgres, db, fsys,
		goose.WithSessionLocker(locker),
		goose.WithDisableGlobalRegistry(true),
		goose.WithSlog(log),
	)
	if err != nil {
		return err
	}
	results, err := p.Up(ctx)
	if err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	for _, r := range results {
		log.Info("migration applied", "version", r.Source.Version, "file", r.Source.Path, "duration_ms", r.Duration.Milliseconds())
	}
	return nil
}

// MigrateUntilDone calls Migrate until it succeeds or ctx ends, backing off
// from 1s to 30s between attempts, so that a task started while the database
// is down keeps serving /healthz and becomes ready once it is back. failed
// is called for every failed attempt (to count it as a database error; the
// error itself is logged here).
func MigrateUntilDone(ctx context.Context, pool *pgxpool.Pool, log *slog.Logger, failed func()) error {
	delay := time.Second
	for {
		err := Migrate(ctx, pool, log)
		if err == nil {
			return nil
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		failed()
		log.Warn("database not migrated yet, retrying", "error", err, "retry_in", delay.String())
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(delay):
		}
		delay = min(2*delay, 30*time.Second)
	}
}

// Unavailable reports whether err means the database could not serve the
// call right now, so the client should retry later (503), rather than the
// server rejecting the statement itself (a bug: 500). Errors that carry no
// server verdict at all (refused or dropped connections, timeouts, a closed
// pool) count as unavailable.
func Unavailable(err error) bool {
	if err == nil {
		return false
	}
	var pgErr *pgconn.PgError
	if !errors.As(err, &pgErr) {
		return true
	}
	switch pgErr.Code[:2] {
	case "08", // connection exception
		"53", // insufficient resources, e.g. too many connections
		"57": // operator intervention: shutdown, statement timeout (57014)
		return true
	}
	return pgErr.Code == "40001" || pgErr.Code == "40P01" // serialization failure, deadlock
}
