package api

import (
	"encoding/binary"
	"encoding/hex"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"runtime/debug"
	"strings"
	"time"
)

// Header values shared by every response; the slices are never modified
// (net/http only reads them), so assigning them costs no allocation.
var (
	contentTypeJSON = []string{"application/json"}
	securityHeaders = []struct {
		name  string // canonical form
		value []string
	}{
		{"X-Content-Type-Options", []string{"nosniff"}},
		{"X-Frame-Options", []string{"DENY"}},
		{"Referrer-Policy", []string{"no-referrer"}},
		{"Content-Security-Policy", []string{"default-src 'none'; frame-ancestors 'none'"}},
		{"Cache-Control", []string{"no-store"}},
	}
)

// secure sets the security headers on every response.
func secure(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		SetSecurityHeaders(w.Header())
		next.ServeHTTP(w, r)
	})
}

// SetSecurityHeaders sets headers that make a JSON API safe to open in a
// browser and keep responses out of shared caches.
func SetSecurityHeaders(h http.Header) {
	for _, sh := range securityHeaders {
		h[sh.name] = sh.value
	}
}

// requestID is the request's id, as observe set it on the response.
func requestID(w http.ResponseWriter) string {
	if v := w.Header()["X-Request-Id"]; len(v) > 0 {
		return v[0]
	}
	return ""
}

// newRequestID keeps a caller's X-Request-Id when it is a sane token, so a
// request can be followed across services, and makes one up otherwise: 128
// random bits in hex. An id must be unique, not secret, so it comes from the
// runtime's per-thread ChaCha8 generator (seeded by the OS) rather than
// crypto/rand, which makes a getrandom system call per read on kernels
// before 6.11 (Fargate does not document its kernel): about 220 ns against
// 27 ns through the vDSO (go.googlesource.com/go/+/eb6f2c24cd17c0ca1df7e343f8d9187eef7d6e13).
func newRequestID(in string) string {
	if len(in) > 0 && len(in) <= 128 && !strings.ContainsFunc(in, notTokenChar) {
		return in
	}
	var raw [16]byte
	binary.LittleEndian.PutUint64(raw[:8], rand.Uint64())
	binary.LittleEndian.PutUint64(raw[8:], rand.Uint64())
	var text [32]byte
	hex.Encode(text[:], raw[:])
	return string(text[:])
}

// notTokenChar reports characters a request id must not contain: anything
// that could break a log line or a header.
func notTokenChar(c rune) bool {
	return (c < 'a' || c > 'z') && (c < 'A' || c > 'Z') && (c < '0' || c > '9') &&
		c != '-' && c != '_' && c != '.' && c != ':'
}

// recorder remembers the status code written through it. It also holds the
// X-Request-Id header's value, so one allocation serves both.
type recorder struct {
	http.ResponseWriter
	status    int
	requestID [1]string
}

func (rec *recorder) WriteHeader(code int) {
	if rec.status == 0 {
		rec.status = code
	}
	rec.ResponseWriter.WriteHeader(code)
}

func (rec *recorder) Write(b []byte) (int, error) {
	if rec.status == 0 {
		rec.status = http.StatusOK
	}
	return rec.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the real writer.
func (rec *recorder) Unwrap() http.ResponseWriter { return rec.ResponseWriter }

// observe assigns the request id, turns panics into 500s, writes one log
// line per request and counts every 5xx but a health check's in the
// ServerErrors metric (a probe's 503 is the health signal itself, which the
// target group reports as UnHealthyHostCount).
func (s *Server) observe(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		rec := &recorder{ResponseWriter: w}
		id := newRequestID(r.Header.Get("X-Request-Id"))
		rec.requestID[0] = id
		// Handlers read it back from here (requestID), which spares every
		// request a copy of itself with a new context.
		w.Header()["X-Request-Id"] = rec.requestID[:]
		if r.Body != http.NoBody {
			// Limited here, on the server's own ResponseWriter, so that a
			// body over the limit makes net/http close the connection
			// instead of reading on into it (a wrapper hides that hook).
			r.Body = http.MaxBytesReader(w, r.Body, maxBodyBytes)
		}
		defer func() {
			if p := recover(); p != nil {
				if p == http.ErrAbortHandler {
					panic(p)
				}
				s.log.ErrorContext(r.Context(), "panic", "request_id", id, "panic", p, "stack", string(debug.Stack()))
				if rec.status == 0 {
					writeError(rec, http.StatusInternalServerError, "internal", "internal error")
				}
			}
			if rec.status == 0 {
				rec.status = http.StatusOK
			}
			route := s.routeLabel(r)
			if rec.status >= 500 && !s.routes[r.Pattern].probe {
				s.metrics.ServerError(route)
			}
			s.accessLog(r, route, id, rec.status, start)
		}()
		// The mux records the matched pattern in r, for routeLabel.
		next.ServeHTTP(rec, r)
	})
}

// accessLog writes the request's log line, stamped with the time the
// request ended, if its level is enabled; the clock is read only then, so
// the health checks (debug level) cost no clock read. It builds the record
// itself, as slog documents for wrappers: Logger.LogAttrs would read the
// clock again and unwind the stack for a source position the JSON handler
// does not print.
func (s *Server) accessLog(r *http.Request, route, id string, status int, start time.Time) {
	level := logLevel(route, status)
	h := s.log.Handler()
	if !h.Enabled(r.Context(), level) {
		return
	}
	end := time.Now()
	rec := slog.NewRecord(end, level, "request", 0)
	rec.AddAttrs(
		slog.String("request_id", id),
		slog.String("method", r.Method),
		slog.String("route", route),
		slog.String("path", r.URL.Path),
		slog.Int("status", status),
		slog.Float64("duration_ms", float64(end.Sub(start).Microseconds())/1000),
	)
	_ = h.Handle(r.Context(), rec) // a failed write to stdout has nowhere to go
}

// routeLabel is the Route metric dimension: the route pattern, never the raw
// path, so that ids and scanners' junk paths do not become dimensions.
func (s *Server) routeLabel(r *http.Request) string {
	route, ok := s.routes[r.Pattern]
	if !ok { // no route matched (the catch-all 404)
		return "unmatched"
	}
	if label, ok := route.byMethod[r.Method]; ok {
		return label
	}
	// A method the route does not serve (a 405) is whatever the client
	// sent: unbounded.
	return route.path
}

// logLevel keeps the container and ALB health checks (every few seconds)
// out of the info-level log unless they fail.
func logLevel(route string, status int) slog.Level {
	switch {
	case status == http.StatusServiceUnavailable: // expected while the database is away
		return slog.LevelWarn
	case status >= 500:
		return slog.LevelError
	case status < 400 && (route == "GET /healthz" || route == "GET /readyz"):
		return slog.LevelDebug
	default:
		return slog.LevelInfo
	}
}
