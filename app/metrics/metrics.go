// Package metrics writes CloudWatch Embedded Metric Format (EMF) lines.
//
// The names below are a contract: the CloudWatch dashboards in the
// infrastructure program query the same strings, and its cost estimate
// prices the series they can create, so change them on both sides at once
// (see docs/app.md).
//
// Only what the load balancer cannot see is a metric of its own: which
// route answered 5xx, and how many database calls failed. Request counts,
// response times and status classes are the target group's own metrics,
// free of charge; per-route latency is in the access log, for Logs Insights.
package metrics

import (
	"context"
	"encoding/json"
	"io"
	"slices"
	"sync"
	"time"
)

// Namespace is the CloudWatch namespace of every metric the service emits.
const Namespace = "Octabyte/App"

// Metric names.
const (
	ServerErrors = "ServerErrors" // unit Count: requests answered 5xx (sum them)
	DBErrors     = "DBErrors"     // unit Count: failed database calls (sum them)
)

// Dimension names.
const (
	DimEnvironment = "Environment" // APP_ENV, e.g. staging or prod
	DimRoute       = "Route"       // one of Routes, or RouteOther
)

// UnitCount is the unit of every metric, as CloudWatch spells it.
const UnitCount = "Count"

// ServerErrorDimensions and DBErrorDimensions are the dimension sets each
// metric is published under; a dashboard must query one of these sets exactly.
var (
	ServerErrorDimensions = [][]string{{DimEnvironment, DimRoute}}
	DBErrorDimensions     = [][]string{{DimEnvironment}}
)

// Routes are the Route values ServerErrors carries by name: the API's
// routes, method first. A 5xx on any other request (HEAD, a path no route
// matches) is counted as RouteOther, so the service creates at most
// len(Routes)+1 ServerErrors series, each billed as one custom metric.
var Routes = []string{
	"GET /",
	"GET /api/v1/notes",
	"POST /api/v1/notes",
	"GET /api/v1/notes/{id}",
	"DELETE /api/v1/notes/{id}",
}

// RouteOther is the Route of a 5xx on a request outside Routes.
const RouteOther = "other"

// Emitter counts server errors per route and failed database calls in
// memory, and writes the counts as EMF JSON lines on Flush (FlushEvery
// calls it): one line per route that answered 5xx, one for the database
// errors, none when nothing failed. Each line is a single Write call, so it
// never interleaves with other writers of the same file (the awslogs driver
// turns every line into one log event). Only Flush writes, and it is not
// meant to run concurrently with itself (FlushEvery is its one caller in
// the service).
type Emitter struct {
	w   io.Writer
	env string
	now func() time.Time

	mu           sync.Mutex
	serverErrors map[string]int
	dbErrors     int
}

// NewEmitter returns an Emitter that tags every metric with environment env.
func NewEmitter(w io.Writer, env string) *Emitter {
	return &Emitter{w: w, env: env, now: time.Now, serverErrors: map[string]int{}}
}

type metricDef struct {
	Name string `json:"Name"`
	Unit string `json:"Unit"`
}

type directive struct {
	Namespace  string      `json:"Namespace"`
	Dimensions [][]string  `json:"Dimensions"`
	Metrics    []metricDef `json:"Metrics"`
}

type metadata struct {
	Timestamp         int64       `json:"Timestamp"`
	CloudWatchMetrics []directive `json:"CloudWatchMetrics"`
}

type serverErrorDoc struct {
	AWS         metadata `json:"_aws"`
	Environment string   `json:"Environment"`
	Route       string   `json:"Route"`
	Count       int      `json:"ServerErrors"`
}

type dbErrorDoc struct {
	AWS         metadata `json:"_aws"`
	Environment string   `json:"Environment"`
	Count       int      `json:"DBErrors"`
}

// ServerError records one request answered 5xx; route is its route label.
func (e *Emitter) ServerError(route string) {
	if !slices.Contains(Routes, route) {
		route = RouteOther
	}
	e.mu.Lock()
	e.serverErrors[route]++
	e.mu.Unlock()
}

// DBError records one failed database call.
func (e *Emitter) DBError() {
	e.mu.Lock()
	e.dbErrors++
	e.mu.Unlock()
}

// Flush writes every pending count.
func (e *Emitter) Flush() {
	e.mu.Lock()
	serverErrors, dbErrors := e.serverErrors, e.dbErrors
	e.serverErrors, e.dbErrors = map[string]int{}, 0
	e.mu.Unlock()
	at := e.meta(ServerErrorDimensions, ServerErrors)
	for route, n := range serverErrors {
		e.write(serverErrorDoc{AWS: at, Environment: e.env, Route: route, Count: n})
	}
	if dbErrors > 0 {
		e.write(dbErrorDoc{AWS: e.meta(DBErrorDimensions, DBErrors), Environment: e.env, Count: dbErrors})
	}
}

// FlushEvery calls Flush every interval until ctx ends, and once more then.
func (e *Emitter) FlushEvery(ctx context.Context, interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			e.Flush()
			return
		case <-t.C:
			e.Flush()
		}
	}
}

func (e *Emitter) meta(dimensions [][]string, metric string) metadata {
	return metadata{Timestamp: e.now().UnixMilli(), CloudWatchMetrics: []directive{{
		Namespace: Namespace, Dimensions: dimensions, Metrics: []metricDef{{metric, UnitCount}},
	}}}
}

func (e *Emitter) write(doc any) {
	line, err := json.Marshal(doc)
	if err != nil {
		return // unreachable: the documents are plain structs
	}
	line = append(line, '\n')
	_, _ = e.w.Write(line) // stdout failing is not something a request can fix
}
