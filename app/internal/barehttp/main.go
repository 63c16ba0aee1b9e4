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
// little per request), so that only the handler stack differs.
//
// Usage: PORT=5001 [BARE_SERVER=app] barehttp
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
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(body)
	})
	srv := &http.Server{Handler: h}
	if os.Getenv("BARE_SERVER") == "app" {
		srv = api.NewHTTPServer(h, slog.New(slog.NewTextHandler(io.Discard, nil)))
	}
	srv.Addr = "127.0.0.1:" + os.Getenv("PORT")
	if err := srv.ListenAndServe(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
