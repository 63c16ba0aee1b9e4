package api

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgtype"

	"github.com/octabyte/octabyte/app/internal/idempotency"
	"github.com/octabyte/octabyte/app/internal/notes"
	"github.com/octabyte/octabyte/app/metrics"
)

// fakeStore keeps notes in memory; err, when set, is returned by every call.
type fakeStore struct {
	mu    sync.Mutex
	notes map[pgtype.UUID]notes.Note
	keys  map[idempotency.Key]storedResponse
	err   error
	seq   byte
}

type storedResponse struct {
	fingerprint []byte
	resp        idempotency.Response
}

func newFakeStore() *fakeStore {
	return &fakeStore{notes: map[pgtype.UUID]notes.Note{}, keys: map[idempotency.Key]storedResponse{}}
}

func (f *fakeStore) Create(_ context.Context, d notes.Draft) (notes.Note, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.create(d)
}

func (f *fakeStore) create(d notes.Draft) (notes.Note, error) {
	if f.err != nil {
		return notes.Note{}, f.err
	}
	f.seq++
	id := pgtype.UUID{Bytes: [16]byte{15: f.seq}, Valid: true}
	n := notes.Note{ID: id.String(), Title: *d.Title, Body: d.BodyText(), CreatedAt: time.Now().UTC()}
	f.notes[id] = n
	return n, nil
}

// CreateOnce follows idempotency.Do's contract, serialised by the mutex.
func (f *fakeStore) CreateOnce(_ context.Context, key idempotency.Key, fingerprint []byte, d notes.Draft,
	respond func(notes.Note) idempotency.Response,
) (idempotency.Response, bool, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if stored, ok := f.keys[key]; ok {
		if !bytes.Equal(stored.fingerprint, fingerprint) {
			return idempotency.Response{}, false, idempotency.ErrKeyReused
		}
		return stored.resp, true, nil
	}
	n, err := f.create(d)
	if err != nil {
		return idempotency.Response{}, false, err
	}
	resp := respond(n)
	f.keys[key] = storedResponse{fingerprint, resp}
	return resp, false, nil
}

func (f *fakeStore) Get(_ context.Context, id pgtype.UUID) (notes.Note, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.err != nil {
		return notes.Note{}, f.err
	}
	n, ok := f.notes[id]
	if !ok {
		return n, notes.ErrNotFound
	}
	return n, nil
}

func (f *fakeStore) Delete(_ context.Context, id pgtype.UUID) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.err != nil {
		return f.err
	}
	if _, ok := f.notes[id]; !ok {
		return notes.ErrNotFound
	}
	delete(f.notes, id)
	return nil
}

func (f *fakeStore) List(_ context.Context, limit int, after *notes.Cursor) ([]notes.Note, *notes.Cursor, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.err != nil {
		return nil, nil, f.err
	}
	var page []notes.Note
	for _, n := range f.notes {
		if len(page) < limit {
			page = append(page, n)
		}
	}
	return page, nil, nil
}

func (f *fakeStore) Ping(context.Context) error { return f.err }

// harness is a Server on a fake store with its log and metric output captured.
type harness struct {
	*Server
	store   *fakeStore
	logs    bytes.Buffer
	metrics bytes.Buffer
}

func newHarness(t *testing.T) *harness {
	t.Helper()
	h := &harness{store: newFakeStore()}
	log := slog.New(slog.NewJSONHandler(&h.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	h.Server = New(h.store, Info{Service: "octabyte", Version: "1.2.3", Commit: "abc123", Environment: "test"},
		log, metrics.NewEmitter(&h.metrics, "test"))
	h.SchemaReady()
	return h
}

type response struct {
	*httptest.ResponseRecorder
	t *testing.T
}

func (h *harness) do(t *testing.T, method, target, contentType, body string) response {
	t.Helper()
	req := httptest.NewRequest(method, target, strings.NewReader(body))
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	return h.send(t, req)
}

// send serves req and records the response.
func (h *harness) send(t *testing.T, req *http.Request) response {
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return response{rec, t}
}

// status checks the status code, and the security headers every response
// carries.
func (r response) status(want int) response {
	r.t.Helper()
	if r.Code != want {
		r.t.Fatalf("status %d, want %d; body %s", r.Code, want, r.Body)
	}
	checkSecurityHeaders(r.t, r.Header())
	return r
}

func checkSecurityHeaders(t *testing.T, h http.Header) {
	t.Helper()
	for k, want := range map[string]string{
		"X-Content-Type-Options":  "nosniff",
		"X-Frame-Options":         "DENY",
		"Referrer-Policy":         "no-referrer",
		"Content-Security-Policy": "default-src 'none'; frame-ancestors 'none'",
		"Cache-Control":           "no-store",
	} {
		if got := h.Get(k); got != want {
			t.Errorf("%s = %q, want %q", k, got, want)
		}
	}
}

// apiError checks the stable error shape, the code and the content type.
func (r response) apiError(wantCode string) response {
	r.t.Helper()
	checkErrorBody(r.t, r.Header(), r.Body.Bytes(), wantCode)
	return r
}

func checkErrorBody(t *testing.T, h http.Header, b []byte, wantCode string) {
	t.Helper()
	var body struct {
		Error struct{ Code, Message string } `json:"error"`
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&body); err != nil {
		t.Fatalf("error body not {error:{code,message}}: %v: %s", err, b)
	}
	if body.Error.Code != wantCode || body.Error.Message == "" {
		t.Fatalf("error %+v, want code %q and a message", body.Error, wantCode)
	}
	if ct := h.Get("Content-Type"); ct != "application/json" {
		t.Errorf("Content-Type %q", ct)
	}
}

func (r response) retryAfter() response {
	r.t.Helper()
	if r.Header().Get("Retry-After") == "" {
		r.t.Errorf("503 without Retry-After")
	}
	return r
}

func (r response) decode(v any) {
	r.t.Helper()
	if err := json.Unmarshal(r.Body.Bytes(), v); err != nil {
		r.t.Fatalf("%v: %s", err, r.Body)
	}
}

const jsonCT = "application/json"

func TestRootReportsServiceVersionCommitEnvironment(t *testing.T) {
	h := newHarness(t)
	var info Info
	h.do(t, "GET", "/", "", "").status(200).decode(&info)
	if info != (Info{"octabyte", "1.2.3", "abc123", "test"}) {
		t.Errorf("got %+v", info)
	}
}

// A process that has never been ready fails the health check, so that the
// load balancer never routes to a task that cannot serve.
func TestHealthzFailsUntilTheFirstReadiness(t *testing.T) {
	h := newHarness(t)
	h.schema.Store(false)
	h.do(t, "GET", "/healthz", "", "").status(503).apiError("unavailable").retryAfter()
	h.SchemaReady()
	h.do(t, "GET", "/healthz", "", "").status(200)
}

// Once ready, the health check is liveness only: a database outage does not
// fail it (or ECS would replace every task).
func TestHealthzNeverTouchesTheDatabase(t *testing.T) {
	h := newHarness(t)
	h.store.err = errors.New("database on fire")
	h.do(t, "GET", "/healthz", "", "").status(200)
	h.Drain()
	h.do(t, "GET", "/healthz", "", "").status(200)
}

func TestReadyz(t *testing.T) {
	h := newHarness(t)
	h.do(t, "GET", "/readyz", "", "").status(200)

	h.store.err = &pgconn.ConnectError{}
	h.do(t, "GET", "/readyz", "", "").status(503).apiError("unavailable").retryAfter()
	h.store.err = nil

	h.Drain()
	h.do(t, "GET", "/readyz", "", "").status(503).apiError("unavailable").retryAfter()
}

func TestNotReadyUntilTheSchemaIsMigrated(t *testing.T) {
	h := newHarness(t)
	h.schema.Store(false)
	h.do(t, "GET", "/readyz", "", "").status(503).retryAfter()
	h.do(t, "POST", "/api/v1/notes", jsonCT, `{"title":"t"}`).status(503).apiError("unavailable").retryAfter()
	h.do(t, "GET", "/api/v1/notes", "", "").status(503).retryAfter()
	// Client mistakes are still reported as such.
	h.do(t, "POST", "/api/v1/notes", jsonCT, `{"title":`).status(400)
}

func TestCreateGetListDelete(t *testing.T) {
	h := newHarness(t)
	r := h.do(t, "POST", "/api/v1/notes", "application/json; charset=utf-8", `{"title":"hello","body":"world"}`).status(201)
	var n notes.Note
	r.decode(&n)
	if n.Title != "hello" || n.Body != "world" || n.ID == "" || n.CreatedAt.IsZero() {
		t.Fatalf("created %+v", n)
	}
	if loc := r.Header().Get("Location"); loc != "/api/v1/notes/"+n.ID {
		t.Errorf("Location %q", loc)
	}
	var got notes.Note
	h.do(t, "GET", "/api/v1/notes/"+n.ID, "", "").status(200).decode(&got)
	if got != n {
		t.Errorf("get %+v, want %+v", got, n)
	}
	var list struct {
		Notes      []notes.Note `json:"notes"`
		NextCursor *string      `json:"next_cursor"`
	}
	h.do(t, "GET", "/api/v1/notes?limit=5", "", "").status(200).decode(&list)
	if len(list.Notes) != 1 || list.NextCursor != nil {
		t.Errorf("list %+v", list)
	}
	r = h.do(t, "DELETE", "/api/v1/notes/"+n.ID, "", "").status(204)
	if r.Body.Len() != 0 {
		t.Errorf("204 with a body: %s", r.Body)
	}
	h.do(t, "GET", "/api/v1/notes/"+n.ID, "", "").status(404).apiError("not_found")
	h.do(t, "DELETE", "/api/v1/notes/"+n.ID, "", "").status(404).apiError("not_found")
}

func TestEmptyListIsAnArray(t *testing.T) {
	h := newHarness(t)
	r := h.do(t, "GET", "/api/v1/notes", "", "").status(200)
	if got := strings.TrimSpace(r.Body.String()); got != `{"notes":[],"next_cursor":null}` {
		t.Errorf("body %s", got)
	}
}

func TestClientMistakes(t *testing.T) {
	const note = "/api/v1/notes"
	for name, tc := range map[string]struct {
		method, target, ct, body string
		status                   int
		code                     string
	}{
		"malformed JSON":          {"POST", note, jsonCT, `{"title":`, 400, "invalid_json"},
		"syntax error":            {"POST", note, jsonCT, `{"title" "x"}`, 400, "invalid_json"},
		"empty body":              {"POST", note, jsonCT, ``, 400, "invalid_json"},
		"unknown field":           {"POST", note, jsonCT, `{"title":"t","owner":"me"}`, 400, "invalid_json"},
		"wrong type":              {"POST", note, jsonCT, `{"title":42}`, 400, "invalid_json"},
		"array instead of object": {"POST", note, jsonCT, `[]`, 400, "invalid_json"},
		"two objects":             {"POST", note, jsonCT, `{"title":"a"} {"title":"b"}`, 400, "invalid_json"},
		"trailing garbage":        {"POST", note, jsonCT, `{"title":"a"}x`, 400, "invalid_json"},
		"no content type":         {"POST", note, "", `{"title":"t"}`, 415, "unsupported_media_type"},
		"text/plain":              {"POST", note, "text/plain", `{"title":"t"}`, 415, "unsupported_media_type"},
		"form":                    {"POST", note, "application/x-www-form-urlencoded", `title=t`, 415, "unsupported_media_type"},
		"body over 64 KiB":        {"POST", note, jsonCT, `{"title":"t","body":"` + strings.Repeat("a", 70<<10) + `"}`, 413, "body_too_large"},
		"title missing":           {"POST", note, jsonCT, `{"body":"b"}`, 422, "validation_failed"},
		"null":                    {"POST", note, jsonCT, `null`, 422, "validation_failed"},
		"title empty":             {"POST", note, jsonCT, `{"title":""}`, 422, "validation_failed"},
		"title 201 chars":         {"POST", note, jsonCT, `{"title":"` + strings.Repeat("x", 201) + `"}`, 422, "validation_failed"},
		"body 10001 chars":        {"POST", note, jsonCT, `{"title":"t","body":"` + strings.Repeat("x", 10001) + `"}`, 422, "validation_failed"},
		"NUL in title":            {"POST", note, jsonCT, `{"title":"a\u0000b"}`, 422, "validation_failed"},
		"limit zero":              {"GET", note + "?limit=0", "", "", 400, "invalid_parameter"},
		"limit 101":               {"GET", note + "?limit=101", "", "", 400, "invalid_parameter"},
		"limit not a number":      {"GET", note + "?limit=ten", "", "", 400, "invalid_parameter"},
		"forged cursor":           {"GET", note + "?cursor=abc", "", "", 400, "invalid_parameter"},
		"cursor before 4714 BC": {"GET", note + "?cursor=" + base64.RawURLEncoding.EncodeToString(
			[]byte("-9223372036854775808.0b7c5a3e-2f5d-4c1a-9a8e-3d2f1b0c9e8d")), "", "", 400, "invalid_parameter"},
		"bad id on get":    {"GET", note + "/42", "", "", 400, "invalid_id"},
		"bad id on delete": {"DELETE", note + "/not-a-uuid", "", "", 400, "invalid_id"},
		"unknown id":       {"GET", note + "/0b7c5a3e-2f5d-4c1a-9a8e-3d2f1b0c9e8d", "", "", 404, "not_found"},
		"unknown path":     {"GET", "/api/v1/tasks", "", "", 404, "not_found"},
		"trailing slash":   {"GET", note + "/", "", "", 404, "not_found"},
		"dot-dot path":     {"GET", note + "/../notes", "", "", 404, "not_found"},
		"double slash":     {"POST", "/api//v1/notes", jsonCT, `{"title":"t"}`, 404, "not_found"},
		"dot segment":      {"GET", "/./healthz", "", "", 404, "not_found"},
	} {
		t.Run(name, func(t *testing.T) {
			h := newHarness(t)
			h.do(t, tc.method, tc.target, tc.ct, tc.body).status(tc.status).apiError(tc.code)
			if len(h.store.notes) != 0 {
				t.Errorf("a rejected request stored something")
			}
		})
	}
}

func TestWrongMethodIs405WithAllow(t *testing.T) {
	for target, tc := range map[string]struct{ method, allow string }{
		"/":             {"POST", "GET, HEAD"},
		"/healthz":      {"DELETE", "GET, HEAD"},
		"/api/v1/notes": {"PUT", "GET, HEAD, POST"},
		"/api/v1/notes/0b7c5a3e-2f5d-4c1a-9a8e-3d2f1b0c9e8d": {"PATCH", "GET, HEAD, DELETE"},
	} {
		h := newHarness(t)
		r := h.do(t, tc.method, target, jsonCT, `{}`).status(405).apiError("method_not_allowed")
		if got := r.Header().Get("Allow"); got != tc.allow {
			t.Errorf("%s %s: Allow %q, want %q", tc.method, target, got, tc.allow)
		}
	}
}

func TestDatabaseUnavailableIs503WithRetryAfter(t *testing.T) {
	h := newHarness(t)
	h.store.err = &pgconn.PgError{Code: "57P01", Message: "terminating connection due to administrator command"}
	h.do(t, "POST", "/api/v1/notes", jsonCT, `{"title":"t"}`).status(503).apiError("unavailable").retryAfter()
	h.do(t, "GET", "/api/v1/notes", "", "").status(503).apiError("unavailable").retryAfter()
	h.do(t, "GET", "/api/v1/notes/0b7c5a3e-2f5d-4c1a-9a8e-3d2f1b0c9e8d", "", "").status(503).retryAfter()
	h.do(t, "DELETE", "/api/v1/notes/0b7c5a3e-2f5d-4c1a-9a8e-3d2f1b0c9e8d", "", "").status(503).retryAfter()
	h.Server.metrics.Flush()
	if n := strings.Count(h.metrics.String(), `"DBErrors":4`); n != 1 {
		t.Errorf("no DBErrors metric of 4: %s", h.metrics.String())
	}
}

func TestUnexpectedDatabaseErrorIs500(t *testing.T) {
	h := newHarness(t)
	h.store.err = &pgconn.PgError{Code: "42P01", Message: "relation does not exist"}
	r := h.do(t, "GET", "/api/v1/notes", "", "").status(500).apiError("internal")
	if strings.Contains(r.Body.String(), "relation") {
		t.Errorf("internal details leaked to the client")
	}
}

func TestClientThatHungUpIsNotA5xx(t *testing.T) {
	h := newHarness(t)
	h.store.err = context.Canceled
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if r := h.send(t, httptest.NewRequest("GET", "/api/v1/notes", nil).WithContext(ctx)); r.Code != statusClientClosed {
		t.Errorf("status %d, want %d", r.Code, statusClientClosed)
	}
}

func TestPanicIs500AndLogged(t *testing.T) {
	h := newHarness(t)
	h.Server.store = panicStore{h.store, "boom"}
	h.do(t, "GET", "/api/v1/notes", "", "").status(500).apiError("internal")
	if !strings.Contains(h.logs.String(), `"msg":"panic"`) {
		t.Errorf("panic not logged: %s", h.logs.String())
	}
}

// http.ErrAbortHandler is net/http's way to abort a response silently: it
// passes through to the server, neither logged as a panic nor answered 500.
func TestAbortHandlerPanicReachesTheServer(t *testing.T) {
	h := newHarness(t)
	h.Server.store = panicStore{h.store, http.ErrAbortHandler}
	defer func() {
		if p := recover(); p != http.ErrAbortHandler {
			t.Errorf("recovered %v, want http.ErrAbortHandler", p)
		}
		if strings.Contains(h.logs.String(), `"msg":"panic"`) {
			t.Errorf("an abort logged as a panic: %s", h.logs.String())
		}
	}()
	h.send(t, httptest.NewRequest("GET", "/api/v1/notes", nil))
}

// panicStore panics with value in List.
type panicStore struct {
	*fakeStore
	value any
}

func (p panicStore) List(context.Context, int, *notes.Cursor) ([]notes.Note, *notes.Cursor, error) {
	panic(p.value)
}

func TestRequestIDIsHonouredOrMadeUp(t *testing.T) {
	h := newHarness(t)
	for _, good := range []string{"abc-123", "Trace_1.2:Z-9", strings.Repeat("a", 128)} {
		req := httptest.NewRequest("GET", "/healthz", nil)
		req.Header.Set("X-Request-Id", good)
		if got := h.send(t, req).Header().Get("X-Request-Id"); got != good {
			t.Errorf("for %q echoed %q", good, got)
		}
	}
	made := map[string]bool{}
	for _, bad := range []string{"", "with space", "<script>", "a/b", strings.Repeat("a", 129)} {
		req := httptest.NewRequest("GET", "/healthz", nil)
		req.Header.Set("X-Request-Id", bad)
		got := h.send(t, req).Header().Get("X-Request-Id")
		if _, err := hex.DecodeString(got); err != nil || len(got) != 32 || made[got] {
			t.Errorf("for %q got %q, want a fresh 32-hex id", bad, got)
		}
		made[got] = true
	}
}

// logLine is one access-log record.
type logLine struct {
	Msg        string  `json:"msg"`
	Level      string  `json:"level"`
	RequestID  string  `json:"request_id"`
	Method     string  `json:"method"`
	Route      string  `json:"route"`
	Status     int     `json:"status"`
	DurationMS float64 `json:"duration_ms"`
}

func lines[T any](t *testing.T, b *bytes.Buffer) []T {
	t.Helper()
	var out []T
	dec := json.NewDecoder(b)
	for {
		var v T
		if err := dec.Decode(&v); err == io.EOF {
			return out
		} else if err != nil {
			t.Fatalf("not a JSON line: %v", err)
		}
		out = append(out, v)
	}
}

func TestAccessLogAndMetricsUseRoutePatterns(t *testing.T) {
	h := newHarness(t)
	req := httptest.NewRequest("GET", "/api/v1/notes/0b7c5a3e-2f5d-4c1a-9a8e-3d2f1b0c9e8d", nil)
	req.Header.Set("X-Request-Id", "req-1")
	h.send(t, req)
	h.do(t, "PUT", "/api/v1/notes", jsonCT, "{}")
	h.do(t, "GET", "/wp-login.php", "", "")
	h.do(t, "GET", "/", "", "")

	logs := lines[logLine](t, &h.logs)
	want := []logLine{
		{Msg: "request", Level: "INFO", RequestID: "req-1", Method: "GET", Route: "GET /api/v1/notes/{id}", Status: 404},
		{Msg: "request", Level: "INFO", Method: "PUT", Route: "/api/v1/notes", Status: 405},
		{Msg: "request", Level: "INFO", Method: "GET", Route: "unmatched", Status: 404},
		{Msg: "request", Level: "INFO", Method: "GET", Route: "GET /", Status: 200},
	}
	if len(logs) != len(want) {
		t.Fatalf("%d log lines, want %d", len(logs), len(want))
	}
	for i, l := range logs {
		if want[i].RequestID == "" {
			want[i].RequestID = l.RequestID
		}
		want[i].DurationMS = l.DurationMS
		if l != want[i] || l.RequestID == "" {
			t.Errorf("log %d = %+v, want %+v", i, l, want[i])
		}
	}

	h.Server.metrics.Flush()
	if h.metrics.Len() != 0 {
		t.Errorf("metrics for requests without a 5xx: %s", h.metrics.String())
	}
}

// A 5xx is counted per route (HEAD and the like as "other"); a health
// check's 503 is not: it is the health signal, which the target group
// reports.
func TestServerErrorsAreCountedByRouteButNotForHealthChecks(t *testing.T) {
	h := newHarness(t)
	h.store.err = &pgconn.PgError{Code: "57P01", Message: "terminating connection due to administrator command"}
	h.do(t, "POST", "/api/v1/notes", jsonCT, `{"title":"t"}`).status(503)
	h.do(t, "POST", "/api/v1/notes", jsonCT, `{"title":"t"}`).status(503)
	h.do(t, "HEAD", "/api/v1/notes", "", "").status(503)
	h.do(t, "GET", "/readyz", "", "").status(503)
	h.do(t, "GET", "/api/v1/notes/not-an-id", "", "").status(400)

	type emf struct {
		Route, Environment string
		ServerErrors       int
	}
	h.Server.metrics.Flush()
	got := map[string]int{}
	for _, l := range lines[emf](t, &h.metrics) {
		if l.Route != "" {
			got[l.Route+" in "+l.Environment] += l.ServerErrors
		}
	}
	want := map[string]int{"POST /api/v1/notes in test": 2, metrics.RouteOther + " in test": 1}
	if !maps.Equal(got, want) {
		t.Errorf("ServerErrors %v, want %v", got, want)
	}
}

// metrics.Routes, the series the dashboards and the cost estimate count on,
// are exactly the routes the API serves (HEAD and the health checks aside).
func TestMetricRoutesAreTheAPIsRoutes(t *testing.T) {
	var served []string
	for _, r := range newHarness(t).routes {
		for method, label := range r.byMethod {
			if !r.probe && method != http.MethodHead {
				served = append(served, label)
			}
		}
	}
	slices.Sort(served)
	want := slices.Sorted(slices.Values(metrics.Routes))
	if !slices.Equal(served, want) {
		t.Errorf("the API serves %q, metrics.Routes is %q", served, want)
	}
}

// Health checks (every few seconds) stay out of the info log unless they
// fail; a 503 is an expected outage (warn), any other 5xx a bug (error).
func TestAccessLogLevels(t *testing.T) {
	h := newHarness(t)
	h.do(t, "GET", "/healthz", "", "").status(200)
	h.do(t, "GET", "/readyz", "", "").status(200)
	h.do(t, "GET", "/api/v1/notes/not-an-id", "", "").status(400)
	h.store.err = &pgconn.PgError{Code: "57P01", Message: "terminating connection due to administrator command"}
	h.do(t, "GET", "/readyz", "", "").status(503)
	h.do(t, "POST", "/api/v1/notes", jsonCT, `{"title":"t"}`).status(503)
	h.store.err = &pgconn.PgError{Code: "42P01", Message: `relation "notes" does not exist`}
	h.do(t, "POST", "/api/v1/notes", jsonCT, `{"title":"t"}`).status(500)

	var got []string
	for _, l := range lines[logLine](t, &h.logs) {
		if l.Msg == "request" {
			got = append(got, fmt.Sprintf("%d %s", l.Status, l.Level))
		}
	}
	want := []string{"200 DEBUG", "200 DEBUG", "400 INFO", "503 WARN", "503 WARN", "500 ERROR"}
	if !slices.Equal(got, want) {
		t.Errorf("access log levels %q, want %q", got, want)
	}
}

// The database error's log line carries the request's id, so that it can
// be found beside the access log line and the client's X-Request-Id.
func TestDatabaseErrorLogCarriesTheRequestID(t *testing.T) {
	h := newHarness(t)
	h.store.err = &pgconn.PgError{Code: "57P01", Message: "terminating connection due to administrator command"}
	req := httptest.NewRequest("GET", "/api/v1/notes", nil)
	req.Header.Set("X-Request-Id", "req-db-1")
	h.send(t, req)
	var ids []string
	for _, l := range lines[logLine](t, &h.logs) {
		if l.Msg == "database error" {
			ids = append(ids, l.RequestID)
		}
	}
	if !slices.Equal(ids, []string{"req-db-1"}) {
		t.Errorf("database error lines with request ids %q, want one with req-db-1", ids)
	}
}

// At the info level (production's default) a passing health check writes
// no log line at all; a failing one does.
func TestPassingHealthChecksWriteNoInfoLogLine(t *testing.T) {
	h := newHarness(t)
	h.log = slog.New(slog.NewJSONHandler(&h.logs, nil))
	h.do(t, "GET", "/healthz", "", "").status(200)
	h.do(t, "GET", "/readyz", "", "").status(200)
	h.store.err = &pgconn.ConnectError{}
	h.do(t, "GET", "/readyz", "", "").status(503)
	var got []string
	for _, l := range lines[logLine](t, &h.logs) {
		if l.Msg == "request" {
			got = append(got, fmt.Sprintf("%s %d %s", l.Route, l.Status, l.Level))
		}
	}
	if want := []string{"GET /readyz 503 WARN"}; !slices.Equal(got, want) {
		t.Errorf("access log %q, want %q", got, want)
	}
}

func TestHTTPServerHasTimeouts(t *testing.T) {
	s := NewHTTPServer(http.NotFoundHandler(), slog.Default())
	if s.ReadHeaderTimeout == 0 || s.ReadTimeout == 0 || s.WriteTimeout == 0 || s.IdleTimeout <= 60*time.Second {
		t.Errorf("timeouts %v %v %v %v", s.ReadHeaderTimeout, s.ReadTimeout, s.WriteTimeout, s.IdleTimeout)
	}
}
