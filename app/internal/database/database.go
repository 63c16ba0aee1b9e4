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
	"sync"
	"sync/atomic"
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

// Pool is the connection pool the service queries through: a pgxpool.Pool
// behind a gate with one slot per connection a caller may hold. When the
// server refuses a new connection because of its connection limit (its
// max_connections, or the role's or database's CONNECTION LIMIT: SQLSTATE
// 53300), the refused caller's slot is withheld, so that callers wait for
// one of the connections the pool already has instead of failing at once;
// a withheld slot is given back every probeAfter, to find out whether the
// server has room again.
type Pool struct {
	pgx        *pgxpool.Pool
	log        *slog.Logger
	slots      chan struct{}
	probeAfter time.Duration

	reduced  atomic.Bool // withheld > 0; read on every release without the lock
	mu       sync.Mutex
	withheld int       // slots out of circulation
	changed  time.Time // when withheld last changed
}

// Conn is a connection held by one caller; Release gives it back. It is a
// value (no allocation per call); release it through a pointer to it.
type Conn struct {
	*pgxpool.Conn
	pool *Pool
}

// Open creates a pool for connString. It does not connect: connections are
// made on demand, so the service starts while the database is down. log
// receives a warning whenever the server's connection limit is hit.
func Open(connString string, log *slog.Logger) (*Pool, error) {
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
	pgx, err := pgxpool.NewWithConfig(context.Background(), cfg)
	if err != nil {
		return nil, err
	}
	p := &Pool{pgx: pgx, log: log, slots: make(chan struct{}, MaxConns), probeAfter: probeAfter}
	for range MaxConns {
		p.slots <- struct{}{}
	}
	return p, nil
}

// probeAfter is how long a slot stays withheld after the server refused a
// connection: at most one refused connection attempt per probeAfter.
const probeAfter = 5 * time.Second

// Acquire waits for a slot and returns a connection, or ctx's error. At the
// server's connection limit it waits, within ctx, for a connection the pool
// holds; holding none, it retries with a short backoff.
func (p *Pool) Acquire(ctx context.Context) (Conn, error) {
	backoff := 10 * time.Millisecond
	for {
		select {
		case <-p.slots:
		case <-ctx.Done():
			return Conn{}, ctx.Err()
		}
		c, err := p.pgx.Acquire(ctx)
		if err == nil {
			return Conn{Conn: c, pool: p}, nil
		}
		if !AtConnectionLimit(err) || ctx.Err() != nil {
			p.putSlot()
			return Conn{}, err
		}
		if p.withhold() {
			continue // and wait for a slot: one of the connections the pool has
		}
		p.putSlot()
		select {
		case <-ctx.Done():
			return Conn{}, err
		case <-time.After(backoff):
		}
		backoff = min(2*backoff, 500*time.Millisecond)
	}
}

// withhold takes the caller's slot out of circulation after the server
// refused a connection, unless that would leave fewer slots than the
// connections the pool holds (or none).
func (p *Pool) withhold() bool {
	held := int(p.pgx.Stat().TotalConns())
	p.mu.Lock()
	defer p.mu.Unlock()
	if MaxConns-p.withheld-1 < max(held, 1) {
		return false
	}
	p.withheld++
	p.changed = time.Now()
	p.reduced.Store(true)
	p.log.Warn("database refused a connection: at its connection limit; requests wait for a pooled connection",
		"pool_connections", held, "pool_limit_now", MaxConns-p.withheld)
	return true
}

// putSlot returns a slot, and a withheld one too once probeAfter has passed.
func (p *Pool) putSlot() {
	if p.reduced.Load() {
		p.mu.Lock()
		restore := p.withheld > 0 && time.Since(p.changed) >= p.probeAfter
		if restore {
			p.withheld--
			p.changed = time.Now()
			p.reduced.Store(p.withheld > 0)
		}
		p.mu.Unlock()
		if restore {
			p.slots <- struct{}{}
		}
	}
	p.slots <- struct{}{}
}

// Release returns the connection to the pool, then its slot to the gate.
func (c *Conn) Release() {
	if c.pool == nil {
		return
	}
	c.Conn.Release()
	c.pool.putSlot()
	c.pool = nil
}

// Ping checks that the database answers.
func (p *Pool) Ping(ctx context.Context) error {
	c, err := p.Acquire(ctx)
	if err != nil {
		return err
	}
	defer c.Release()
	return c.Ping(ctx)
}

// Close closes every connection.
func (p *Pool) Close() { p.pgx.Close() }

// AtConnectionLimit reports whether err is the server refusing a connection
// because a connection limit is reached (SQLSTATE 53300, "too many
// connections" for the server, the role or the database).
func AtConnectionLimit(err error) bool {
	var pgErr *pgconn.PgError
	return errors.As(err, &pgErr) && pgErr.Code == "53300"
}

//go:embed migrations/*.sql
var migrations embed.FS

// Migrate applies all pending migrations. A PostgreSQL session-level advisory
// lock (goose's session locker) serialises tasks that start at the same
// time: the first applies, the others wait and then find nothing to do.
func Migrate(ctx context.Context, pool *Pool, log *slog.Logger) error {
	fsys, err := fs.Sub(migrations, "migrations")
	if err != nil {
		return err
	}
	// Retry the lock every second for up to 5 minutes.
	locker, err := lock.NewPostgresSessionLocker(lock.WithLockTimeout(1, 300))
	if err != nil {
		return err
	}
	db := stdlib.OpenDBFromPool(pool.pgx)
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
func MigrateUntilDone(ctx context.Context, pool *Pool, log *slog.Logger, failed func()) error {
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
