// Package metrics writes CloudWatch Embedded Metric Format (EMF) lines.
//
// The names below are a contract: the CloudWatch dashboards and alarms in
// the infrastructure program are generated from the same strings, so change
// them on both sides at once (see docs/app.md).
package metrics

import (
	"context"
	"encoding/json"
	"io"
	"sync"
	"time"
)

// Namespace is the CloudWatch namespace of every metric the service emits.
const Namespace = "Octabyte/App"

// Metric names.
const (
	RequestCount   = "RequestCount"   // unit Count: the number of HTTP requests (sum them)
	RequestLatency = "RequestLatency" // unit Milliseconds: one value per request, handler time
	DBErrors       = "DBErrors"       // unit Count: the number of failed database calls (sum them)
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

// Emitter collects metrics in memory and writes them as EMF JSON lines:
// request latencies per (Route, StatusClass) in batches of up to
// MaxValues, each latency one value of the RequestLatency array (so
// percentiles stay exact) and RequestCount the batch's size; failed
// database calls as one count per flush. A batch is written when it is
// full, and everything pending by Flush (FlushEvery calls it). Lines are
// written with a single Write call each, so they never interleave with
// other writers of the same file (the awslogs driver turns every line
// into one log event).
type Emitter struct {
	w   io.Writer
	env string
	now func() time.Time

	mu       sync.Mutex
	batches  map[series]*batch
	dbErrors int

	wmu sync.Mutex // one line at a time
}

// MaxValues is the most values one EMF metric array may hold.
const MaxValues = 100

type series struct{ route, class string }

type batch struct {
	first     time.Time // of the first request in the batch: the line's timestamp
	latencies []float64 // milliseconds
}

// NewEmitter returns an Emitter that tags every metric with environment env.
func NewEmitter(w io.Writer, env string) *Emitter {
	return &Emitter{w: w, env: env, now: time.Now, batches: map[series]*batch{}}
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
	AWS         metadata  `json:"_aws"`
	Environment string    `json:"Environment"`
	Route       string    `json:"Route"`
	StatusClass string    `json:"StatusClass"`
	Count       int       `json:"RequestCount"`
	LatencyMS   []float64 `json:"RequestLatency"`
}

type dbErrorDoc struct {
	AWS         metadata `json:"_aws"`
	Environment string   `json:"Environment"`
	Count       int      `json:"DBErrors"`
}

// Request records one HTTP request: route is the matched route pattern and
// status the response status code.
func (e *Emitter) Request(route string, status int, latency time.Duration) {
	k := series{route, StatusClass(status)}
	e.mu.Lock()
	b := e.batches[k]
	if b == nil {
		b = &batch{latencies: make([]float64, 0, MaxValues)}
		e.batches[k] = b
	}
	if len(b.latencies) == 0 {
		b.first = e.now()
	}
	b.latencies = append(b.latencies, float64(latency.Microseconds())/1000)
	var full batch
	if len(b.latencies) == MaxValues {
		full = *b
		b.latencies = make([]float64, 0, MaxValues)
	}
	e.mu.Unlock()
	if full.latencies != nil {
		e.writeBatch(k, full)
	}
}

// DBError records one failed database call.
func (e *Emitter) DBError() {
	e.mu.Lock()
	e.dbErrors++
	e.mu.Unlock()
}

// Flush writes every pending metric.
func (e *Emitter) Flush() {
	type pending struct {
		k series
		b batch
	}
	var todo []pending
	e.mu.Lock()
	for k, b := range e.batches {
		if len(b.latencies) > 0 {
			todo = append(todo, pending{k, *b})
			b.latencies = make([]float64, 0, MaxValues)
		}
	}
	dbErrors := e.dbErrors
	e.dbErrors = 0
	e.mu.Unlock()
	for _, p := range todo {
		e.writeBatch(p.k, p.b)
	}
	if dbErrors > 0 {
		e.write(dbErrorDoc{
			AWS: e.meta(e.now(), directive{
				Namespace:  Namespace,
				Dimensions: DBErrorDimensions,
				Metrics:    []metricDef{{DBErrors, UnitCount}},
			}),
			Environment: e.env,
			Count:       dbErrors,
		})
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

func (e *Emitter) writeBatch(k series, b batch) {
	e.write(requestDoc{
		AWS: e.meta(b.first, directive{
			Namespace:  Namespace,
			Dimensions: RequestDimensions,
			Metrics:    []metricDef{{RequestCount, UnitCount}, {RequestLatency, UnitMilliseconds}},
		}),
		Environment: e.env,
		Route:       k.route,
		StatusClass: k.class,
		Count:       len(b.latencies),
		LatencyMS:   b.latencies,
	})
}

func (e *Emitter) meta(at time.Time, d directive) metadata {
	return metadata{Timestamp: at.UnixMilli(), CloudWatchMetrics: []directive{d}}
}

func (e *Emitter) write(doc any) {
	line, err := json.Marshal(doc)
	if err != nil {
		return // unreachable: the documents are plain structs
	}
	line = append(line, '\n')
	e.wmu.Lock()
	defer e.wmu.Unlock()
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
