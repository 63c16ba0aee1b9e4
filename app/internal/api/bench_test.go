package api

import (
	"io"
	"log/slog"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/octabyte/octabyte/app/metrics"
)

// The cost of the HTTP layer alone (routing, decoding, validation, the log
// line and the EMF line) per request, without network or database:
// go test -run '^$' -bench . -benchmem ./internal/api/
func benchServer(b *testing.B) *Server {
	s := New(newFakeStore(), Info{Service: "octabyte"}, slog.New(slog.NewJSONHandler(io.Discard, nil)),
		metrics.NewEmitter(io.Discard, "bench"))
	s.SchemaReady()
	return s
}

func BenchmarkHealthz(b *testing.B) {
	s := benchServer(b)
	for b.Loop() {
		s.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", "/healthz", nil))
	}
}

func BenchmarkGetNote(b *testing.B) {
	s := benchServer(b)
	req := httptest.NewRequest("POST", "/api/v1/notes", strings.NewReader(`{"title":"bench","body":"a note read by the benchmark"}`))
	req.Header.Set("Content-Type", "application/json")
	created := httptest.NewRecorder()
	s.ServeHTTP(created, req)
	target := created.Header().Get("Location")
	for b.Loop() {
		rec := httptest.NewRecorder()
		s.ServeHTTP(rec, httptest.NewRequest("GET", target, nil))
		if rec.Code != 200 {
			b.Fatal(rec.Code)
		}
	}
}

func BenchmarkCreateNote(b *testing.B) {
	s := benchServer(b)
	const body = `{"title":"bench","body":"a note written by the benchmark"}`
	for b.Loop() {
		req := httptest.NewRequest("POST", "/api/v1/notes", strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		rec := httptest.NewRecorder()
		s.ServeHTTP(rec, req)
		if rec.Code != 201 {
			b.Fatal(rec.Code)
		}
	}
}
