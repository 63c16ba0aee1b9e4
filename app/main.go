// Command app is the octabyte web service: a small JSON API over PostgreSQL.
//
// Run without arguments it serves on $PORT (default 5000). "app healthcheck"
// asks the running server's /healthz and exits 0 or 1; it is the container
// health check, since the image has no shell or curl.
package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"runtime/debug"
	"strconv"
	"syscall"
	"time"

	"github.com/octabyte/octabyte/app/internal/api"
	"github.com/octabyte/octabyte/app/internal/config"
	"github.com/octabyte/octabyte/app/internal/database"
	"github.com/octabyte/octabyte/app/internal/logbuffer"
	"github.com/octabyte/octabyte/app/internal/notes"
	"github.com/octabyte/octabyte/app/metrics"
)

// Set at build time: -ldflags "-X main.version=... -X main.commit=...".
var (
	version = "dev"
	commit  = "unknown"
)

const service = "octabyte"

func main() {
	switch {
	case len(os.Args) == 2 && os.Args[1] == "healthcheck":
		os.Exit(healthcheck(os.Getenv("PORT")))
	case len(os.Args) > 1:
		fmt.Fprintln(os.Stderr, "usage: app [healthcheck]")
		os.Exit(2)
	}
	if os.Getenv("GOGC") == "" {
		// The live heap is about 1 MB, so Go's default (GC at twice the live
		// heap, 4 MB at least) collects some 30 times a second under load,
		// about 5% of the CPU. A few MB more cut that by four; GOMEMLIMIT
		// (set by the task definition) still bounds the heap.
		debug.SetGCPercent(400)
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	go func() {
		<-ctx.Done()
		stop() // a second signal kills at once
	}()
	if err := run(ctx, os.Getenv, os.Stdout); err != nil {
		slog.New(slog.NewJSONHandler(os.Stdout, nil)).Error("exiting", "error", err)
		os.Exit(1)
	}
}

// run serves until ctx is cancelled, then drains. Only configuration errors,
// a taken port or a drain that overran its timeout make it fail: a missing
// database is waited for.
func run(ctx context.Context, getenv func(string) string, stdout io.Writer) error {
	cfg, err := config.Load(getenv)
	if err != nil {
		return fmt.Errorf("configuration: %w", err)
	}
	// Log and metric lines go out in batches: at most 100 ms of them are
	// lost if the process is killed, none on a normal exit.
	out := logbuffer.New(stdout)
	defer runInBackground(func(ctx context.Context) { out.FlushEvery(ctx, 100*time.Millisecond) })()
	log := slog.New(slog.NewJSONHandler(out, &slog.HandlerOptions{Level: cfg.LogLevel})).
		With("service", service, "environment", cfg.Environment)

	pool, err := database.Open(cfg.DB.ConnString(), log)
	if err != nil {
		return fmt.Errorf("database configuration: %w", err)
	}
	emitter := metrics.NewEmitter(out, cfg.Environment)
	defer runInBackground(func(ctx context.Context) { emitter.FlushEvery(ctx, time.Second) })()
	store := notes.NewStore(pool)
	srv := api.New(store,
		api.Info{Service: service, Version: version, Commit: commit, Environment: cfg.Environment},
		log, emitter)
	httpSrv := api.NewHTTPServer(srv, log)
	ln, err := net.Listen("tcp", ":"+strconv.Itoa(cfg.Port))
	if err != nil {
		return err
	}
	log.Info("listening", "addr", ln.Addr().String(), "version", version, "commit", commit,
		"db", cfg.DB, "drain_timeout", cfg.DrainTimeout.String())

	// Until shutdown: migrate, then purge expired idempotency keys.
	stopBackground := runInBackground(func(ctx context.Context) {
		if database.MigrateUntilDone(ctx, pool, log, emitter.DBError) == nil {
			srv.SchemaReady()
			log.Info("database schema up to date")
			purgeExpiredKeys(ctx, store, log, emitter.DBError)
		}
	})
	served := make(chan error, 1)
	go func() { served <- httpSrv.Serve(ln) }()

	select {
	case err := <-served:
		stopBackground()
		return err
	case <-ctx.Done():
	}

	log.Info("shutting down: draining in-flight requests", "drain_timeout", cfg.DrainTimeout.String())
	srv.Drain()
	stopBackground()
	drainCtx, cancel := context.WithTimeout(context.Background(), cfg.DrainTimeout)
	defer cancel()
	// Shutdown closes the listener at once and waits for active requests.
	if err := httpSrv.Shutdown(drainCtx); err != nil {
		// Not closing the pool here: handlers still hold connections, and
		// the process is about to exit anyway.
		return fmt.Errorf("requests still running after DRAIN_TIMEOUT=%s: %w", cfg.DrainTimeout, err)
	}
	pool.Close()
	log.Info("stopped")
	return nil
}

// runInBackground runs f in a goroutine; the function it returns cancels
// f's context and waits for f to return.
func runInBackground(f func(ctx context.Context)) (stop func()) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		f(ctx)
	}()
	return func() {
		cancel()
		<-done
	}
}

// purgeInterval is how often each task deletes expired idempotency keys;
// tasks doing it at once skip each other's rows.
const purgeInterval = 10 * time.Minute

// purgeExpiredKeys deletes expired idempotency keys now and every
// purgeInterval until ctx ends; a failure waits for the next round.
func purgeExpiredKeys(ctx context.Context, store *notes.Store, log *slog.Logger, dbError func()) {
	for {
		n, err := store.PurgeExpiredKeys(ctx)
		switch {
		case ctx.Err() != nil:
			return
		case err != nil:
			dbError()
			log.Warn("purging expired idempotency keys failed", "error", err)
		case n > 0:
			log.Info("expired idempotency keys purged", "count", n)
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(purgeInterval):
		}
	}
}

// healthcheck is the container health check: GET /healthz on this host.
func healthcheck(port string) int {
	if port == "" {
		port = "5000"
	}
	client := &http.Client{
		Timeout:   3 * time.Second,
		Transport: &http.Transport{Proxy: nil}, // never via an HTTP(S)_PROXY from the environment
	}
	resp, err := client.Get("http://127.0.0.1:" + port + "/healthz")
	if err != nil {
		fmt.Fprintln(os.Stderr, "healthcheck:", err)
		return 1
	}
	_ = resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		fmt.Fprintln(os.Stderr, "healthcheck: status", resp.StatusCode)
		return 1
	}
	return 0
}
