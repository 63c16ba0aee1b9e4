package metrics

import (
	"bytes"
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
	for _, m := range d.Metrics {
		if _, ok := flat[m.Name].(float64); !ok {
			t.Errorf("metric %q has no numeric value: %s", m.Name, line)
		}
	}
	return doc, flat
}

func TestRequestLineIsValidEMF(t *testing.T) {
	var buf bytes.Buffer
	e := NewEmitter(&buf, "staging")
	e.now = func() time.Time { return time.UnixMilli(1700000000123) }
	e.Request("GET /api/v1/notes/{id}", 404, 1500*time.Microsecond)

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
		"Environment": "staging", "Route": "GET /api/v1/notes/{id}", "StatusClass": "4xx",
		"RequestCount": 1.0, "RequestLatency": 1.5,
	} {
		if flat[k] != want {
			t.Errorf("%s = %v, want %v", k, flat[k], want)
		}
	}
}

func TestDBErrorLineIsValidEMF(t *testing.T) {
	var buf bytes.Buffer
	NewEmitter(&buf, "prod").DBError()
	doc, flat := checkEMF(t, bytes.TrimSpace(buf.Bytes()))
	d := doc.AWS.CloudWatchMetrics[0]
	if !sameDimensions(d.Dimensions, [][]string{{"Environment"}}) || len(d.Metrics) != 1 ||
		d.Metrics[0].Name != "DBErrors" || d.Metrics[0].Unit != "Count" {
		t.Errorf("directive %+v", d)
	}
	if flat["DBErrors"] != 1.0 || flat["Environment"] != "prod" {
		t.Errorf("values %v", flat)
	}
}

func TestOneLinePerEvent(t *testing.T) {
	var buf bytes.Buffer
	e := NewEmitter(&buf, "x")
	e.Request("GET /healthz", 200, time.Millisecond)
	e.DBError()
	if n := bytes.Count(buf.Bytes(), []byte("\n")); n != 2 {
		t.Fatalf("%d lines, want 2:\n%s", n, buf.String())
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
