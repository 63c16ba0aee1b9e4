package metrics

import (
	"bytes"
	"context"
	"encoding/json"
	"slices"
	"testing"
	"time"
)

// emfDoc is the part of the EMF specification CloudWatch checks when it
// turns a log line into metrics.
type emfDoc struct {
	AWS struct {
		Timestamp         int64
		CloudWatchMetrics []struct {
			Namespace  string
			Dimensions [][]string
			Metrics    []struct{ Name, Unit string }
		}
	} `json:"_aws"`
}

// checkEMF verifies that line is valid EMF: every metric and every dimension
// it declares has a top-level value, as CloudWatch requires.
func checkEMF(t *testing.T, line []byte) (emfDoc, map[string]any) {
	t.Helper()
	var doc emfDoc
	var flat map[string]any
	if err := json.Unmarshal(line, &doc); err != nil {
		t.Fatalf("not JSON: %v: %s", err, line)
	}
	_ = json.Unmarshal(line, &flat)
	if doc.AWS.Timestamp == 0 || len(doc.AWS.CloudWatchMetrics) != 1 {
		t.Fatalf("bad _aws metadata: %s", line)
	}
	d := doc.AWS.CloudWatchMetrics[0]
	if d.Namespace != Namespace {
		t.Errorf("namespace %q, want %q", d.Namespace, Namespace)
	}
	for _, set := range d.Dimensions {
		for _, dim := range set {
			if _, ok := flat[dim].(string); !ok {
				t.Errorf("dimension %q has no string value: %s", dim, line)
			}
		}
	}
	// A metric's value is a number or an array of at most 100 numbers.
	for _, m := range d.Metrics {
		switch v := flat[m.Name].(type) {
		case float64:
		case []any:
			if len(v) == 0 || len(v) > MaxValues {
				t.Errorf("metric %q has %d values: %s", m.Name, len(v), line)
			}
			for _, x := range v {
				if _, ok := x.(float64); !ok {
					t.Errorf("metric %q has a value that is not a number: %s", m.Name, line)
				}
			}
		default:
			t.Errorf("metric %q has no numeric value: %s", m.Name, line)
		}
	}
	return doc, flat
}

func lines(buf *bytes.Buffer) [][]byte {
	return bytes.Split(bytes.TrimSuffix(buf.Bytes(), []byte("\n")), []byte("\n"))
}

func TestRequestBatchIsValidEMF(t *testing.T) {
	var buf bytes.Buffer
	e := NewEmitter(&buf, "staging")
	e.now = func() time.Time { return time.UnixMilli(1700000000123) }
	e.Request("GET /api/v1/notes/{id}", 404, 1500*time.Microsecond)
	e.Request("GET /api/v1/notes/{id}", 400, 250*time.Microsecond)
	if buf.Len() != 0 {
		t.Fatalf("written before a flush: %s", buf.String())
	}
	e.Flush()

	doc, flat := checkEMF(t, bytes.TrimSuffix(buf.Bytes(), []byte("\n")))
	d := doc.AWS.CloudWatchMetrics[0]
	if doc.AWS.Timestamp != 1700000000123 {
		t.Errorf("Timestamp = %d", doc.AWS.Timestamp)
	}
	wantDims := [][]string{{"Environment"}, {"Environment", "Route", "StatusClass"}}
	if !sameDimensions(d.Dimensions, wantDims) {
		t.Errorf("dimensions %v, want %v", d.Dimensions, wantDims)
	}
	units := map[string]string{}
	for _, m := range d.Metrics {
		units[m.Name] = m.Unit
	}
	if units["RequestCount"] != "Count" || units["RequestLatency"] != "Milliseconds" || len(units) != 2 {
		t.Errorf("metrics %v", units)
	}
	for k, want := range map[string]any{
		"Environment": "staging", "Route": "GET /api/v1/notes/{id}", "StatusClass": "4xx", "RequestCount": 2.0,
	} {
		if flat[k] != want {
			t.Errorf("%s = %v, want %v", k, flat[k], want)
		}
	}
	if got := flat["RequestLatency"].([]any); len(got) != 2 || got[0] != 1.5 || got[1] != 0.25 {
		t.Errorf("RequestLatency = %v, want [1.5 0.25]", got)
	}
}

// Every request is one value of RequestLatency, so CloudWatch's percentiles
// are exact; a full batch is written at once, the rest on Flush.
func TestEveryRequestIsOneLatencyValue(t *testing.T) {
	var buf bytes.Buffer
	e := NewEmitter(&buf, "x")
	for i := range 2*MaxValues + 1 {
		e.Request("GET /healthz", 200, time.Duration(i)*time.Millisecond)
	}
	e.Request("GET /healthz", 503, time.Millisecond)
	if n := len(lines(&buf)); n != 2 {
		t.Fatalf("%d lines before the flush, want the 2 full batches", n)
	}
	e.Flush()
	e.Flush() // nothing left
	count := map[string]float64{}
	var values []float64
	for _, line := range lines(&buf) {
		_, flat := checkEMF(t, line)
		count[flat["StatusClass"].(string)] += flat["RequestCount"].(float64)
		for _, v := range flat["RequestLatency"].([]any) {
			if flat["StatusClass"] == "2xx" {
				values = append(values, v.(float64))
			}
		}
	}
	if count["2xx"] != 2*MaxValues+1 || count["5xx"] != 1 {
		t.Errorf("RequestCount sums %v", count)
	}
	for i, v := range values {
		if v != float64(i) {
			t.Fatalf("latency %d is %v, want %d: every request one value, in order", i, v, i)
		}
	}
	if len(values) != 2*MaxValues+1 {
		t.Errorf("%d latency values, want %d", len(values), 2*MaxValues+1)
	}
}

func TestDBErrorsAreCountedPerFlush(t *testing.T) {
	var buf bytes.Buffer
	e := NewEmitter(&buf, "prod")
	for range 3 {
		e.DBError()
	}
	e.Flush()
	e.Flush() // nothing new: no line
	ls := lines(&buf)
	if len(ls) != 1 {
		t.Fatalf("%d lines, want 1:\n%s", len(ls), buf.String())
	}
	doc, flat := checkEMF(t, ls[0])
	d := doc.AWS.CloudWatchMetrics[0]
	if !sameDimensions(d.Dimensions, [][]string{{"Environment"}}) || len(d.Metrics) != 1 ||
		d.Metrics[0].Name != "DBErrors" || d.Metrics[0].Unit != "Count" {
		t.Errorf("directive %+v", d)
	}
	if flat["DBErrors"] != 3.0 || flat["Environment"] != "prod" {
		t.Errorf("values %v", flat)
	}
}

func TestFlushEveryFlushesOnceMoreAtTheEnd(t *testing.T) {
	var buf bytes.Buffer
	e := NewEmitter(&buf, "x")
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		e.FlushEvery(ctx, time.Hour)
		close(done)
	}()
	e.Request("GET /", 200, time.Millisecond)
	cancel()
	<-done
	if n := len(lines(&buf)); n != 1 {
		t.Errorf("%d lines after the final flush, want 1", n)
	}
}

func TestStatusClass(t *testing.T) {
	for status, want := range map[int]string{200: "2xx", 201: "2xx", 204: "2xx", 301: "3xx",
		400: "4xx", 404: "4xx", 499: "4xx", 500: "5xx", 503: "5xx"} {
		if got := StatusClass(status); got != want {
			t.Errorf("StatusClass(%d) = %q, want %q", status, got, want)
		}
	}
}

// sameDimensions compares dimension sets in order, as the emitter writes them.
func sameDimensions(a, b [][]string) bool { return slices.EqualFunc(a, b, slices.Equal) }
