// Package api is the HTTP face of the service: routing, the notes handlers,
// health endpoints, and the middleware that logs, measures and hardens every
// response.
package api

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"path"
	"strings"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5/pgtype"

	"github.com/octabyte/octabyte/app/internal/database"
	"github.com/octabyte/octabyte/app/internal/idempotency"
	"github.com/octabyte/octabyte/app/internal/notes"
	"github.com/octabyte/octabyte/app/metrics"
)

// Store is what the handlers need from persistence; *notes.Store in
// production, a fake in unit tests.
type Store interface {
	Create(ctx context.Context, d notes.Draft) (notes.Note, error)
	CreateOnce(ctx context.Context, key idempotency.Key, fingerprint []byte, d notes.Draft,
		respond func(notes.Note) idempotency.Response) (idempotency.Response, bool, error)
	Get(ctx context.Context, id pgtype.UUID) (notes.Note, error)
	Delete(ctx context.Context, id pgtype.UUID) error
	List(ctx context.Context, limit int, after *notes.Cursor) ([]notes.Note, *notes.Cursor, error)
	Ping(ctx context.Context) error
}

// Info is what GET / reports.
type Info struct {
	Service     string `json:"service"`
	Version     string `json:"version"`
	Commit      string `json:"commit"`
	Environment string `json:"environment"`
}

const (
	maxBodyBytes = 64 << 10
	// retryAfter is the Retry-After (seconds) sent with every 503.
	retryAfter   = "5"
	readyTimeout = 2 * time.Second
)

// Server routes and serves requests. It starts not ready: call SchemaReady
// once migrations are applied, and Drain when shutdown begins.
type Server struct {
	store    Store
	info     Info
	log      *slog.Logger
	metrics  *metrics.Emitter
	schema   atomic.Bool
	draining atomic.Bool
	handler  http.Handler
	// routes maps a mux pattern to its Route labels (see routeLabel).
	routes map[string]routeLabels
}

// New returns a Server; log and m receive a log line and a metric value per
// request.
func New(store Store, info Info, log *slog.Logger, m *metrics.Emitter) *Server {
	s := &Server{store: store, info: info, log: log, metrics: m, routes: map[string]routeLabels{}}
	mux := http.NewServeMux()
	for _, r := range []struct {
		pattern string
		methods methods
		probe   bool // a health check: its 503 is the signal, not an error
	}{
		{"/{$}", methods{http.MethodGet: s.root}, false},
		{"/healthz", methods{http.MethodGet: s.healthz}, true},
		{"/readyz", methods{http.MethodGet: s.readyz}, true},
		{"/api/v1/notes", methods{http.MethodGet: s.listNotes, http.MethodPost: s.createNote}, false},
		{"/api/v1/notes/{id}", methods{http.MethodGet: s.getNote, http.MethodDelete: s.deleteNote}, false},
	} {
		mux.Handle(r.pattern, r.methods)
		s.routes[r.pattern] = r.methods.labels(r.pattern, r.probe)
	}
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		writeError(w, http.StatusNotFound, "not_found", "no such resource")
	})
	s.handler = s.observe(secure(canonical(mux)))
	return s
}

// SchemaReady marks the database schema as migrated: the notes API and
// /readyz start using the database, and /healthz answers 200 from now on.
func (s *Server) SchemaReady() { s.schema.Store(true) }

// Drain makes /readyz answer 503 from now on, so that no new traffic is
// routed here while in-flight requests finish.
func (s *Server) Drain() { s.draining.Store(true) }

func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.handler.ServeHTTP(w, r) }

// canonical answers 404 for a path that is not in clean form ("//x",
// "/a/../b"), which http.ServeMux would otherwise redirect with an HTML body
// and a 301 that turns a POST into a GET; no client of this API needs them.
func canonical(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !isCleanPath(r.URL.Path) {
			writeError(w, http.StatusNotFound, "not_found", "no such resource")
			return
		}
		next.ServeHTTP(w, r)
	})
}

func isCleanPath(p string) bool {
	if p == "" || p[0] != '/' {
		return false
	}
	clean := path.Clean(p)
	if p[len(p)-1] == '/' && clean != "/" {
		clean += "/"
	}
	return clean == p
}

// NewHTTPServer wraps h with the timeouts a public-facing server needs.
func NewHTTPServer(h http.Handler, log *slog.Logger) *http.Server {
	return &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 5 * time.Second,  // slowloris
		ReadTimeout:       15 * time.Second, // whole request, body included (64 KiB max)
		WriteTimeout:      30 * time.Second,
		// Longer than the ALB's idle timeout (60s), so the ALB, not the
		// app, closes idle keep-alive connections; the reverse causes 502s.
		IdleTimeout:    75 * time.Second,
		MaxHeaderBytes: 64 << 10,
		ErrorLog:       slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
}

// methods dispatches on the request method and answers 405 with an Allow
// header for the others; HEAD is served by the GET handler.
type methods map[string]http.HandlerFunc

func (m methods) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h, ok := m[r.Method]
	if !ok && r.Method == http.MethodHead {
		h, ok = m[http.MethodGet]
	}
	if !ok {
		w.Header().Set("Allow", m.allow())
		writeError(w, http.StatusMethodNotAllowed, "method_not_allowed", r.Method+" is not allowed here")
		return
	}
	h(w, r)
}

// routeLabels are a route's Route metric labels: "GET /healthz" for each
// method it serves, and the bare path for a 405 (whose method is whatever
// the client sent). Built once, so that no request concatenates them.
type routeLabels struct {
	path     string
	byMethod map[string]string
	probe    bool
}

func (m methods) labels(pattern string, probe bool) routeLabels {
	path := pattern
	if pattern == "/{$}" {
		path = "/"
	}
	l := routeLabels{path: path, byMethod: map[string]string{}, probe: probe}
	for meth := range m {
		l.byMethod[meth] = meth + " " + path
	}
	if m[http.MethodGet] != nil {
		l.byMethod[http.MethodHead] = http.MethodHead + " " + path
	}
	return l
}

func (m methods) allow() string {
	var allow []string
	for _, meth := range []string{http.MethodGet, http.MethodHead, http.MethodPost, http.MethodDelete} {
		if _, ok := m[meth]; ok || (meth == http.MethodHead && m[http.MethodGet] != nil) {
			allow = append(allow, meth)
		}
	}
	return strings.Join(allow, ", ")
}

func (s *Server) root(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, s.info)
}

var healthzOK = []byte("{\"status\":\"ok\"}\n")

// healthz is what the load balancer's target group and the container
// health check ask. Until the process has once been ready (database
// reachable, migrations applied) it answers 503, so that a new task that
// cannot serve never takes traffic and a deployment of it fails; from then
// on it is liveness only, without the database, so that a database outage
// does not make ECS replace every established task (their API requests
// fail fast with 503 meanwhile, and /readyz reports the database).
func (s *Server) healthz(w http.ResponseWriter, r *http.Request) {
	if !s.schema.Load() {
		unavailable(w, "starting: database not reachable or not migrated yet")
		return
	}
	w.Header()["Content-Type"] = contentTypeJSON
	_, _ = w.Write(healthzOK)
}

func (s *Server) readyz(w http.ResponseWriter, r *http.Request) {
	switch {
	case s.draining.Load():
		unavailable(w, "shutting down")
	case !s.schema.Load():
		unavailable(w, "database not reachable or not migrated yet")
	default:
		ctx, cancel := context.WithTimeout(r.Context(), readyTimeout)
		defer cancel()
		if err := s.store.Ping(ctx); err != nil {
			s.dbError(w, r, err)
			unavailable(w, "database not reachable")
			return
		}
		writeJSON(w, http.StatusOK, map[string]string{"status": "ready"})
	}
}

// schemaReady answers 503 while migrations have not been applied yet.
func (s *Server) schemaReady(w http.ResponseWriter) bool {
	if !s.schema.Load() {
		unavailable(w, "database not reachable or not migrated yet")
		return false
	}
	return true
}

// storeError turns a store error into a response. Only errors the server
// cannot blame on the client or the database's availability are 500s.
func (s *Server) storeError(w http.ResponseWriter, r *http.Request, err error) {
	switch {
	case errors.Is(err, notes.ErrNotFound):
		writeError(w, http.StatusNotFound, "not_found", "no note with this id")
	case r.Context().Err() != nil:
		// The client hung up; nobody reads this. 499 (as nginx logs it)
		// keeps client aborts out of the 5xx alarms.
		w.WriteHeader(statusClientClosed)
	case database.Unavailable(err):
		s.dbError(w, r, err)
		unavailable(w, "database unavailable, retry later")
	default:
		s.dbError(w, r, err)
		writeError(w, http.StatusInternalServerError, "internal", "internal error")
	}
}

const statusClientClosed = 499

func (s *Server) dbError(w http.ResponseWriter, r *http.Request, err error) {
	s.metrics.DBError()
	s.log.WarnContext(r.Context(), "database error", "request_id", requestID(w), "error", err)
}

func unavailable(w http.ResponseWriter, msg string) {
	w.Header().Set("Retry-After", retryAfter)
	writeError(w, http.StatusServiceUnavailable, "unavailable", msg)
}
