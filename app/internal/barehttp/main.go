// Command barehttp is the yardstick scripts/bench.sh measures the app
// against: a net/http server with a single handler that answers like the
// app's /healthz (same bytes, same content type) and does nothing else. The
// ratio of the app's /healthz rate to this one is the cost of everything the
// app adds per request: routing, request ids, security headers, logs,
// metrics.
//
// Usage: PORT=5001 barehttp
package main

import (
	"fmt"
	"net/http"
	"os"
)

func main() {
	body := []byte("{\"status\":\"ok\"}\n")
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(body)
	})
	if err := http.ListenAndServe("127.0.0.1:"+os.Getenv("PORT"), h); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
