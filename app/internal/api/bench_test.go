package api

import (
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/octabyte/octabyte/app/metrics"
)

// The cost of the app's HTTP layer per request (routing, request id,
// headers, decoding, validation and the log line), without
// network, database or net/http's own work: the request and the response
// writer are reused, so allocs/op counts only the app's allocations.
// go test -run '^$' -bench . -benchmem ./internal/api/
func benchServer(b *testing.B) *Server {
	b.Helper()
	// Logs formatted as in production (info level, JSON) and thrown away.
	s := New(newFakeStore(), Info{Service: "octabyte"}, slog.New(slog.NewJSONHandler(io.Discard, nil)),
		metrics.NewEmitter(io.Discard, "bench"))
	s.SchemaReady()
	return s
}

// benchWriter is a ResponseWriter that forgets everything between requests.
type benchWriter struct {
	header http.Header
	status int
}

func (w *benchWriter) Header() http.Header         { return w.header }
func (w *benchWriter) Write(p []byte) (int, error) { return len(p), nil }
func (w *benchWriter) WriteHeader(status int)      { w.status = status }

func (w *benchWriter) reset() {
	clear(w.header)
	w.status = 0
}

// serveEach runs one request per iteration and checks its status.
func serveEach(b *testing.B, s *Server, req *http.Request, body string, want int) {
	b.Helper()
	w := &benchWriter{header: http.Header{}}
	r := strings.NewReader(body)
	for b.Loop() {
		w.reset()
		if body != "" {
			r.Reset(body)
			req.Body = io.NopCloser(r)
		}
		s.ServeHTTP(w, req)
		if w.status == 0 {
			w.status = http.StatusOK // written without WriteHeader
		}
		if w.status != want {
			b.Fatalf("status %d, want %d", w.status, want)
		}
	}
}

func BenchmarkHealthz(b *testing.B) {
	serveEach(b, benchServer(b), httptest.NewRequest("GET", "/healthz", nil), "", http.StatusOK)
}

func BenchmarkGetNote(b *testing.B) {
	s := benchServer(b)
	req := httptest.NewRequest("POST", "/api/v1/notes", strings.NewReader(`{"title":"bench","body":"a note read by the benchmark"}`))
	req.Header.Set("Content-Type", "application/json")
	created := httptest.NewRecorder()
	s.ServeHTTP(created, req)
	serveEach(b, s, httptest.NewRequest("GET", created.Header().Get("Location"), nil), "", http.StatusOK)
}

func BenchmarkCreateNote(b *testing.B) {
	req := httptest.NewRequest("POST", "/api/v1/notes", nil)
	req.Header.Set("Content-Type", "application/json")
	serveEach(b, benchServer(b), req, `{"title":"bench","body":"a note written by the benchmark"}`, http.StatusCreated)
}
