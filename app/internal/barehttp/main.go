// Command barehttp is the yardstick scripts/bench.sh measures the app
// against: a net/http server with a single handler that answers like the
// app's /healthz (same bytes, same content type) and does nothing else. The
// ratio of the app's /healthz rate to this one is the cost of everything the
// app adds per request: routing, request ids, security headers, logs,
// metrics.
//
// By default it is a plain http.Server, as a bare handler is usually
// measured. With BARE_SERVER=app it uses the app's http.Server settings
// (api.NewHTTPServer: read, write and idle timeouts, whose deadlines cost a
// little per request), so that only the handler stack differs. With
// BARE_SERVER=app-headers it also sends the headers every app response
// carries (the security headers and an X-Request-Id), so that only the
// app's own work differs: routing, the request id, logs, metrics.
//
// Usage: PORT=5001 [BARE_SERVER=app|app-headers] barehttp
package main

import (
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"

	"github.com/octabyte/octabyte/app/internal/api"
)

func main() {
	body := []byte("{\"status\":\"ok\"}\n")
	mode := os.Getenv("BARE_SERVER")
	requestID := []string{"0123456789abcdef0123456789abcdef"}
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if mode == "app-headers" {
			api.SetSecurityHeaders(w.Header())
			w.Header()["X-Request-Id"] = requestID
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(body)
	})
	srv := &http.Server{Handler: h}
	if mode == "app" || mode == "app-headers" {
		srv = api.NewHTTPServer(h, slog.New(slog.NewTextHandler(io.Discard, nil)))
	}
	srv.Addr = "127.0.0.1:" + os.Getenv("PORT")
	if err := srv.ListenAndServe(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
