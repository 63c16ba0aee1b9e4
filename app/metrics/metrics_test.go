package metrics

import (
	"bytes"
	"context"
	"encoding/json"
	"maps"
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
	for _, m := range d.Metrics {
		if _, ok := flat[m.Name].(float64); !ok || m.Unit != UnitCount {
			t.Errorf("metric %q has no count value: %s", m.Name, line)
		}
	}
	return doc, flat
}

// lines splits the output into its lines; none for no output (bytes.Split
// would return one empty line).
func lines(buf *bytes.Buffer) [][]byte {
	if buf.Len() == 0 {
		return nil
	}
	return bytes.Split(bytes.TrimSuffix(buf.Bytes(), []byte("\n")), []byte("\n"))
}

func TestServerErrorsAreCountedPerRouteAndFlush(t *testing.T) {
	var buf bytes.Buffer
	e := NewEmitter(&buf, "staging")
	e.now = func() time.Time { return time.UnixMilli(1700000000123) }
	for range 3 {
		e.ServerError("POST /api/v1/notes")
	}
	e.ServerError("GET /api/v1/notes/{id}")
	if buf.Len() != 0 {
		t.Fatalf("written before a flush: %s", buf.String())
	}
	e.Flush()
	e.Flush() // nothing new: no line

	got := map[string]float64{}
	for _, line := range lines(&buf) {
		doc, flat := checkEMF(t, line)
		d := doc.AWS.CloudWatchMetrics[0]
		if doc.AWS.Timestamp != 1700000000123 {
			t.Errorf("Timestamp = %d", doc.AWS.Timestamp)
		}
		if !sameDimensions(d.Dimensions, [][]string{{"Environment", "Route"}}) || len(d.Metrics) != 1 || d.Metrics[0].Name != "ServerErrors" {
			t.Errorf("directive %+v", d)
		}
		if flat["Environment"] != "staging" {
			t.Errorf("Environment = %v", flat["Environment"])
		}
		got[flat["Route"].(string)] += flat["ServerErrors"].(float64)
	}
	want := map[string]float64{"POST /api/v1/notes": 3, "GET /api/v1/notes/{id}": 1}
	if !maps.Equal(got, want) || len(lines(&buf)) != 2 {
		t.Errorf("ServerErrors %v in %d lines, want %v in 2", got, len(lines(&buf)), want)
	}
}

// Route labels outside Routes share one series, so that no request can
// create a metric (and a charge) of its own.
func TestOtherRoutesShareOneSeries(t *testing.T) {
	var buf bytes.Buffer
	e := NewEmitter(&buf, "x")
	for _, route := range []string{"HEAD /", "unmatched", "/api/v1/notes", "GET /", "GET /x"} {
		e.ServerError(route)
	}
	e.Flush()
	got := map[string]float64{}
	for _, line := range lines(&buf) {
		_, flat := checkEMF(t, line)
		got[flat["Route"].(string)] += flat["ServerErrors"].(float64)
	}
	if want := map[string]float64{"GET /": 1, RouteOther: 4}; !maps.Equal(got, want) {
		t.Errorf("ServerErrors %v, want %v", got, want)
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
	e.ServerError("GET /")
	cancel()
	<-done
	if n := len(lines(&buf)); n != 1 {
		t.Errorf("%d lines after the final flush, want 1", n)
	}
}

// sameDimensions compares dimension sets in order, as the emitter writes them.
func sameDimensions(a, b [][]string) bool { return slices.EqualFunc(a, b, slices.Equal) }
