// Package metrics writes CloudWatch Embedded Metric Format (EMF) lines.
//
// The names below are a contract: the CloudWatch dashboards and alarms in
// the infrastructure program are generated from the same strings, so change
// them on both sides at once (see docs/app.md).
package metrics

import (
	"encoding/json"
	"io"
	"sync"
	"time"
)

// Namespace is the CloudWatch namespace of every metric the service emits.
const Namespace = "Octabyte/App"

// Metric names.
const (
	RequestCount   = "RequestCount"   // unit Count, one per HTTP request
	RequestLatency = "RequestLatency" // unit Milliseconds, handler time per request
	DBErrors       = "DBErrors"       // unit Count, one per failed database call
)

// Dimension names.
const (
	DimEnvironment = "Environment" // APP_ENV, e.g. staging or prod
	DimRoute       = "Route"       // route pattern, e.g. "GET /api/v1/notes/{id}"
	DimStatusClass = "StatusClass" // 2xx, 3xx, 4xx or 5xx
)

// Units as CloudWatch spells them.
const (
	UnitCount        = "Count"
	UnitMilliseconds = "Milliseconds"
)

// RequestDimensions and DBErrorDimensions are the dimension sets each metric
// is published under; a dashboard must query one of these sets exactly.
var (
	RequestDimensions = [][]string{{DimEnvironment}, {DimEnvironment, DimRoute, DimStatusClass}}
	DBErrorDimensions = [][]string{{DimEnvironment}}
)

// Emitter writes one EMF JSON line per event. Lines are written with a single
// Write call each, so they never interleave with other writers of the same
// file (the awslogs driver turns every line into one log event).
type Emitter struct {
	mu  sync.Mutex
	w   io.Writer
	env string
	now func() time.Time
}

// NewEmitter returns an Emitter that tags every metric with environment env.
func NewEmitter(w io.Writer, env string) *Emitter {
	return &Emitter{w: w, env: env, now: time.Now}
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

type requestDoc struct {
	AWS         metadata `json:"_aws"`
	Environment string   `json:"Environment"`
	Route       string   `json:"Route"`
	StatusClass string   `json:"StatusClass"`
	Count       int      `json:"RequestCount"`
	LatencyMS   float64  `json:"RequestLatency"`
}

type dbErrorDoc struct {
	AWS         metadata `json:"_aws"`
	Environment string   `json:"Environment"`
	Count       int      `json:"DBErrors"`
}

// Request records one HTTP request: route is the matched route pattern and
// status the response status code.
func (e *Emitter) Request(route string, status int, latency time.Duration) {
	e.write(requestDoc{
		AWS: e.meta(directive{
			Namespace:  Namespace,
			Dimensions: RequestDimensions,
			Metrics:    []metricDef{{RequestCount, UnitCount}, {RequestLatency, UnitMilliseconds}},
		}),
		Environment: e.env,
		Route:       route,
		StatusClass: StatusClass(status),
		Count:       1,
		LatencyMS:   float64(latency.Microseconds()) / 1000,
	})
}

// DBError records one failed database call.
func (e *Emitter) DBError() {
	e.write(dbErrorDoc{
		AWS: e.meta(directive{
			Namespace:  Namespace,
			Dimensions: DBErrorDimensions,
			Metrics:    []metricDef{{DBErrors, UnitCount}},
		}),
		Environment: e.env,
		Count:       1,
	})
}

func (e *Emitter) meta(d directive) metadata {
	return metadata{Timestamp: e.now().UnixMilli(), CloudWatchMetrics: []directive{d}}
}

func (e *Emitter) write(doc any) {
	line, err := json.Marshal(doc)
	if err != nil {
		return // unreachable: the documents are plain structs
	}
	line = append(line, '\n')
	e.mu.Lock()
	defer e.mu.Unlock()
	_, _ = e.w.Write(line) // stdout failing is not something a request can fix
}

// StatusClass maps an HTTP status code to its class label, e.g. 404 -> "4xx".
func StatusClass(status int) string {
	switch {
	case status >= 500:
		return "5xx"
	case status >= 400:
		return "4xx"
	case status >= 300:
		return "3xx"
	default:
		return "2xx"
	}
}
