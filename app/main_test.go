package main

// End-to-end tests: the real binary (this test binary re-executed as the
// app) against a real PostgreSQL server, over real HTTP.

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/octabyte/octabyte/app/internal/database"
	"github.com/octabyte/octabyte/app/internal/pgtest"
)

const runAppEnv = "OCTABYTE_TEST_RUN_APP"

var pg *pgtest.Server // shared by the tests that do not stop it

func TestMain(m *testing.M) {
	if os.Getenv(runAppEnv) == "1" {
		main()
		return
	}
	pgtest.Run(func(s *pgtest.Server) int {
		pg = s
		return m.Run()
	})
}

// syncBuffer collects the app's output while it runs.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

type app struct {
	cmd    *exec.Cmd
	port   int
	url    string
	out    *syncBuffer
	exited chan struct{}
	err    error // set once exited is closed
}

var client = &http.Client{Timeout: 15 * time.Second}

func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = l.Close() }()
	return l.Addr().(*net.TCPAddr).Port
}

// appCommand runs this test binary as the app with only the given settings.
func appCommand(env map[string]string, args ...string) *exec.Cmd {
	cmd := exec.Command(os.Args[0], args...)
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		switch {
		case strings.HasPrefix(k, "DB_"), k == "DATABASE_URL", k == "APP_ENV", k == "PORT",
			k == "DRAIN_TIMEOUT", k == "LOG_LEVEL":
			continue // the machine's own settings must not leak in
		}
		cmd.Env = append(cmd.Env, kv)
	}
	cmd.Env = append(cmd.Env, runAppEnv+"=1")
	for k, v := range env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	return cmd
}

// startApp starts the app and waits until it answers HTTP (/healthz is 503
// until the database is reachable and migrated, then 200).
func startApp(t *testing.T, env map[string]string) *app {
	t.Helper()
	return startAppOnPort(t, freePort(t), env)
}

func startAppOnPort(t *testing.T, port int, env map[string]string) *app {
	t.Helper()
	a := &app{port: port, out: &syncBuffer{}, exited: make(chan struct{})}
	a.url = "http://127.0.0.1:" + strconv.Itoa(a.port)
	env["PORT"] = strconv.Itoa(a.port)
	if env["APP_ENV"] == "" {
		env["APP_ENV"] = "test"
	}
	a.cmd = appCommand(env)
	a.cmd.Stdout, a.cmd.Stderr = a.out, a.out
	if err := a.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		a.err = a.cmd.Wait()
		close(a.exited)
	}()
	t.Cleanup(func() {
		select {
		case <-a.exited:
		default:
			_ = a.cmd.Process.Kill()
			<-a.exited
		}
		if t.Failed() {
			t.Logf("app output:\n%s", a.out.String())
		}
	})
	waitFor(t, 15*time.Second, "app answering /healthz", func() bool {
		select {
		case <-a.exited:
			t.Fatalf("app exited at start-up: %v\n%s", a.err, a.out.String())
		default:
		}
		resp, err := client.Get(a.url + "/healthz")
		if err != nil {
			return false
		}
		_ = resp.Body.Close()
		return true
	})
	return a
}

func startReadyApp(t *testing.T, env map[string]string) *app {
	t.Helper()
	a := startApp(t, env)
	a.waitReady(t, 30*time.Second)
	return a
}

// waitReady waits until /readyz answers 200.
func (a *app) waitReady(t *testing.T, limit time.Duration) {
	t.Helper()
	waitFor(t, limit, "app ready", func() bool { return a.get(t, "/readyz").StatusCode == 200 })
}

func waitFor(t *testing.T, limit time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(limit)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", limit, what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

type reply struct {
	StatusCode int
	Header     http.Header
	Body       []byte
}

// try sends a request with the headers given as name, value pairs; a JSON
// body gets the JSON content type.
func (a *app) try(method, path, body string, header ...string) (reply, error) {
	req, err := http.NewRequest(method, a.url+path, strings.NewReader(body))
	if err != nil {
		return reply{}, err
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := client.Do(req)
	if err != nil {
		return reply{}, err
	}
	defer func() { _ = resp.Body.Close() }()
	var buf bytes.Buffer
	_, err = buf.ReadFrom(resp.Body)
	return reply{resp.StatusCode, resp.Header, buf.Bytes()}, err
}

func (a *app) do(t *testing.T, method, path, body string, header ...string) reply {
	t.Helper()
	r, err := a.try(method, path, body, header...)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	return r
}

func (a *app) get(t *testing.T, path string) reply { return a.do(t, "GET", path, "") }

func (a *app) signal(t *testing.T, sig os.Signal) {
	t.Helper()
	if err := a.cmd.Process.Signal(sig); err != nil {
		t.Fatal(err)
	}
}

// exitCode waits for the app to end and returns its exit status.
func (a *app) exitCode(t *testing.T, limit time.Duration) int {
	t.Helper()
	select {
	case <-a.exited:
	case <-time.After(limit):
		t.Fatalf("app still running after %v", limit)
	}
	var exitErr *exec.ExitError
	if errors.As(a.err, &exitErr) {
		return exitErr.ExitCode()
	}
	if a.err != nil {
		t.Fatal(a.err)
	}
	return 0
}

func expect503(t *testing.T, r reply, what string) {
	t.Helper()
	if r.StatusCode != 503 || r.Header.Get("Retry-After") == "" {
		t.Errorf("%s: status %d, Retry-After %q; want 503 with Retry-After", what, r.StatusCode, r.Header.Get("Retry-After"))
	}
}

type note struct {
	ID    string `json:"id"`
	Title string `json:"title"`
	Body  string `json:"body"`
}

func TestAPIRoundTripWithTheECSEnvironment(t *testing.T) {
	db, _ := pg.CreateDatabase(t)
	a := startReadyApp(t, map[string]string{
		"DB_HOST": "127.0.0.1", "DB_PORT": strconv.Itoa(pg.Port), "DB_NAME": db,
		"DB_USER": "postgres", "DB_PASSWORD": "unused-with-trust-auth", "DB_SSLMODE": "disable", "APP_ENV": "staging",
	})
	var info map[string]string
	_ = json.Unmarshal(a.get(t, "/").Body, &info)
	if info["service"] != "octabyte" || info["environment"] != "staging" || info["version"] == "" || info["commit"] == "" {
		t.Errorf("GET / = %v", info)
	}

	r := a.do(t, "POST", "/api/v1/notes", `{"title":"first","body":"round trip"}`)
	if r.StatusCode != 201 {
		t.Fatalf("create: %d %s", r.StatusCode, r.Body)
	}
	var created note
	_ = json.Unmarshal(r.Body, &created)
	if r = a.get(t, r.Header.Get("Location")); r.StatusCode != 200 || !bytes.Contains(r.Body, []byte(`"round trip"`)) {
		t.Errorf("get: %d %s", r.StatusCode, r.Body)
	}
	var list struct {
		Notes []note `json:"notes"`
	}
	_ = json.Unmarshal(a.get(t, "/api/v1/notes").Body, &list)
	if len(list.Notes) != 1 || list.Notes[0] != created {
		t.Errorf("list %+v", list)
	}
	if r = a.do(t, "DELETE", "/api/v1/notes/"+created.ID, ""); r.StatusCode != 204 {
		t.Errorf("delete: %d", r.StatusCode)
	}
	if r = a.get(t, "/api/v1/notes/"+created.ID); r.StatusCode != 404 {
		t.Errorf("get after delete: %d", r.StatusCode)
	}
}

func TestLogsAreJSONLinesWithoutSecrets(t *testing.T) {
	db, _ := pg.CreateDatabase(t)
	const password = "s3cret-Pa55word"
	a := startReadyApp(t, map[string]string{
		"DB_HOST": "127.0.0.1", "DB_PORT": strconv.Itoa(pg.Port), "DB_NAME": db,
		"DB_USER": "postgres", "DB_PASSWORD": password, "DB_SSLMODE": "disable", "LOG_LEVEL": "debug",
	})
	a.do(t, "POST", "/api/v1/notes", `{"title":"x"}`)
	a.get(t, "/nope")
	a.signal(t, syscall.SIGTERM)
	if code := a.exitCode(t, 30*time.Second); code != 0 {
		t.Errorf("exit code %d", code)
	}
	out := a.out.String()
	if strings.Contains(out, password) {
		t.Errorf("the password appears in the output")
	}
	var requests, emf int
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		var m map[string]any
		if err := json.Unmarshal([]byte(line), &m); err != nil {
			t.Fatalf("not a JSON line: %q", line)
		}
		if m["msg"] == "request" {
			requests++
			for _, k := range []string{"request_id", "method", "route", "status", "duration_ms"} {
				if _, ok := m[k]; !ok {
					t.Errorf("request log without %s: %s", k, line)
				}
			}
		}
		if _, ok := m["_aws"]; ok {
			emf++
		}
	}
	if requests < 3 || emf != 0 {
		t.Errorf("%d request log lines and %d EMF lines, want at least 3 and none (nothing failed)", requests, emf)
	}
}

func TestHealthcheckSubcommand(t *testing.T) {
	a := startReadyApp(t, map[string]string{"DATABASE_URL": pg.URL("postgres")})
	unready := startApp(t, map[string]string{"DATABASE_URL": "postgres://postgres@127.0.0.1:1/x?sslmode=disable"})
	run := func(port int) int { return healthcheckExitCode(t, port) }
	if code := run(a.port); code != 0 {
		t.Errorf("healthcheck against a live app exited %d, want 0", code)
	}
	if code := run(freePort(t)); code != 1 {
		t.Errorf("healthcheck with nothing listening exited %d, want 1", code)
	}
	if code := run(unready.port); code != 1 {
		t.Errorf("healthcheck against an app that never reached its database exited %d, want 1", code)
	}
}

// healthcheckExitCode runs the container health check against port.
func healthcheckExitCode(t *testing.T, port int) int {
	t.Helper()
	err := appCommand(map[string]string{"PORT": strconv.Itoa(port)}, "healthcheck").Run()
	var exitErr *exec.ExitError
	if errors.As(err, &exitErr) {
		return exitErr.ExitCode()
	}
	if err != nil {
		t.Fatal(err)
	}
	return 0
}

func TestInvalidConfigurationExitsWithAClearError(t *testing.T) {
	out, err := appCommand(map[string]string{"DB_SSLMODE": "prefer"}).CombinedOutput()
	var exitErr *exec.ExitError
	if !errors.As(err, &exitErr) || exitErr.ExitCode() != 1 {
		t.Fatalf("want exit 1, got %v", err)
	}
	for _, want := range []string{"DB_HOST: required", `DB_SSLMODE=\"prefer\"`} {
		if !strings.Contains(string(out), want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
}

func TestStartsWithoutTheDatabaseAndBecomesReadyWhenItComes(t *testing.T) {
	own := pgtest.StartForTest(t)
	if err := own.Stop(); err != nil {
		t.Fatal(err)
	}
	a := startApp(t, map[string]string{"DATABASE_URL": own.URL("postgres")})

	expect503(t, a.get(t, "/readyz"), "readyz without a database")
	expect503(t, a.do(t, "POST", "/api/v1/notes", `{"title":"t"}`), "create without a database")
	if r := a.do(t, "POST", "/api/v1/notes", `{"title":`); r.StatusCode != 400 {
		t.Errorf("malformed JSON without a database: %d, want 400", r.StatusCode)
	}
	time.Sleep(2 * time.Second) // a few failed migration attempts
	select {
	case <-a.exited:
		t.Fatalf("app exited while the database was down: %v", a.err)
	default:
	}
	// Never ready yet: the health check fails, so no traffic is routed here.
	expect503(t, a.get(t, "/healthz"), "healthz of a task that never reached its database")

	if err := own.Resume(); err != nil {
		t.Fatal(err)
	}
	a.waitReady(t, 60*time.Second) // after the database came up
	if r := a.get(t, "/healthz"); r.StatusCode != 200 {
		t.Errorf("healthz once ready: %d", r.StatusCode)
	}
	if r := a.do(t, "POST", "/api/v1/notes", `{"title":"t"}`); r.StatusCode != 201 {
		t.Errorf("create after recovery: %d %s", r.StatusCode, r.Body)
	}
}

func TestDatabaseOutageIs503AndRecoversWithoutLosingAcknowledgedWrites(t *testing.T) {
	own := pgtest.StartForTest(t)
	a := startReadyApp(t, map[string]string{"DATABASE_URL": own.URL("postgres")})

	// A writer keeps creating notes through the outage and remembers every
	// one the API acknowledged with 201.
	var (
		mu       sync.Mutex
		acked    []string
		statuses = map[int]int{}
		stop     = make(chan struct{})
		done     = make(chan struct{})
	)
	go func() {
		defer close(done)
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			r, err := a.try("POST", "/api/v1/notes", fmt.Sprintf(`{"title":"write %d"}`, i))
			if err != nil {
				r.StatusCode = -1 // the app must keep answering: counted as a failure below
			}
			mu.Lock()
			statuses[r.StatusCode]++
			if r.StatusCode == 201 {
				var n note
				_ = json.Unmarshal(r.Body, &n)
				acked = append(acked, n.ID)
			}
			mu.Unlock()
			time.Sleep(10 * time.Millisecond)
		}
	}()
	count := func(status int) int {
		mu.Lock()
		defer mu.Unlock()
		return statuses[status]
	}
	waitFor(t, 10*time.Second, "writes before the outage", func() bool { return count(201) >= 5 })

	if err := own.Stop(); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 15*time.Second, "a write refused during the outage", func() bool { return count(503) > 0 })
	if r := a.get(t, "/healthz"); r.StatusCode != 200 {
		t.Errorf("healthz during the outage: %d", r.StatusCode)
	}
	expect503(t, a.get(t, "/readyz"), "readyz during the outage")
	expect503(t, a.get(t, "/api/v1/notes"), "list during the outage")
	expect503(t, a.do(t, "POST", "/api/v1/notes", `{"title":"during"}`), "create during the outage")

	if err := own.Resume(); err != nil {
		t.Fatal(err)
	}
	a.waitReady(t, 30*time.Second) // again
	before := count(201)
	waitFor(t, 15*time.Second, "writes after recovery", func() bool { return count(201) >= before+5 })
	close(stop)
	<-done

	mu.Lock()
	defer mu.Unlock()
	for status := range statuses {
		if status != 201 && status != 503 {
			t.Errorf("writer got %d %d times; only 201 and 503 are acceptable", status, statuses[status])
		}
	}
	conn, err := pgx.Connect(context.Background(), own.URL("postgres"))
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = conn.Close(context.Background()) }()
	var found int
	if err := conn.QueryRow(context.Background(), `SELECT count(*) FROM notes WHERE id::text = ANY($1)`, acked).Scan(&found); err != nil {
		t.Fatal(err)
	}
	if found != len(acked) {
		t.Errorf("%d of %d acknowledged writes survived the outage", found, len(acked))
	}
	t.Logf("writer: %v; %d acknowledged notes all present", statuses, len(acked))

	// The outage is in the app's metrics: the refused writes by route, and
	// the failed database calls (flushed once a second).
	waitFor(t, 5*time.Second, "ServerErrors and DBErrors EMF lines", func() bool {
		var serverErrors, dbErrors bool
		for _, line := range strings.Split(a.out.String(), "\n") {
			var m struct {
				AWS          json.RawMessage `json:"_aws"`
				Route        string
				ServerErrors int
				DBErrors     int
			}
			if json.Unmarshal([]byte(line), &m) == nil && m.AWS != nil {
				serverErrors = serverErrors || (m.Route == "POST /api/v1/notes" && m.ServerErrors > 0)
				dbErrors = dbErrors || m.DBErrors > 0
			}
		}
		return serverErrors && dbErrors
	})
}

func TestSIGTERMLetsInFlightRequestsFinish(t *testing.T) {
	_, url := pg.CreateDatabase(t)
	a := startReadyApp(t, map[string]string{"DATABASE_URL": url, "DRAIN_TIMEOUT": "15s"})
	waiting, release := pgtest.LockTable(t, url, "notes")

	const inFlight = 8
	results := make(chan int, inFlight)
	for i := range inFlight {
		go func() {
			r, err := a.try("POST", "/api/v1/notes", fmt.Sprintf(`{"title":"in flight %d"}`, i))
			if err != nil {
				r.StatusCode = -1
			}
			results <- r.StatusCode
		}()
	}
	waitFor(t, 10*time.Second, "all requests waiting in the database", func() bool { return waiting() == inFlight })

	a.signal(t, syscall.SIGTERM)
	// The listener closes at once: no new request gets in while draining.
	waitFor(t, 5*time.Second, "listener closed", func() bool {
		c, err := net.DialTimeout("tcp", "127.0.0.1:"+strconv.Itoa(a.port), time.Second)
		if err == nil {
			_ = c.Close()
		}
		return err != nil
	})
	select {
	case <-a.exited:
		t.Fatal("app exited with requests in flight")
	default:
	}

	release()
	for range inFlight {
		if status := <-results; status != 201 {
			t.Errorf("in-flight request ended with %d, want 201", status)
		}
	}
	if code := a.exitCode(t, 20*time.Second); code != 0 {
		t.Errorf("exit code %d, want 0", code)
	}
	if !strings.Contains(a.out.String(), `"msg":"stopped"`) {
		t.Errorf("no clean stop logged")
	}
	conn, err := pgx.Connect(context.Background(), url)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = conn.Close(context.Background()) }()
	var n int
	_ = conn.QueryRow(context.Background(), `SELECT count(*) FROM notes WHERE title LIKE 'in flight %'`).Scan(&n)
	if n != inFlight {
		t.Errorf("%d notes stored, want %d", n, inFlight)
	}
}

func TestDrainTimeoutBoundsTheShutdown(t *testing.T) {
	_, url := pg.CreateDatabase(t)
	a := startReadyApp(t, map[string]string{"DATABASE_URL": url, "DRAIN_TIMEOUT": "1s"})
	waiting, release := pgtest.LockTable(t, url, "notes")
	defer release()
	go func() { _, _ = a.try("POST", "/api/v1/notes", `{"title":"stuck"}`) }()
	waitFor(t, 10*time.Second, "the request waiting in the database", func() bool { return waiting() == 1 })
	a.signal(t, syscall.SIGTERM)
	// Had the drain waited for the request (freed by the 5s query timeout
	// with a 503), the exit would be a clean 0.
	if code := a.exitCode(t, 20*time.Second); code != 1 {
		t.Errorf("exit code %d, want 1 for a drain that ran out of time", code)
	}
	if !strings.Contains(a.out.String(), "DRAIN_TIMEOUT=1s") {
		t.Errorf("the overrun is not logged:\n%s", a.out.String())
	}
}

// With the database allowing the app fewer connections than its pool size,
// concurrent requests wait for a pooled connection: none gets a 503.
func TestRequestsWaitForAPooledConnectionAtTheDatabasesConnectionLimit(t *testing.T) {
	_, url := pg.CreateLimitedDatabase(t, 3)
	a := startReadyApp(t, map[string]string{"DATABASE_URL": url})
	load := startTraffic(a.url, 16)
	waitFor(t, 60*time.Second, "320 requests", func() bool { return load.total() >= 320 })
	if statuses, failed, total, _ := load.result(); failed != 0 || statuses[200] == 0 || statuses[201] == 0 {
		t.Errorf("%d of %d requests failed (%v); want only 200s and 201s", failed, total, statuses)
	}
	waitFor(t, 5*time.Second, "the limit logged (else the test proves nothing)", func() bool {
		return strings.Contains(a.out.String(), "at its connection limit")
	})
}

// post sends a note with an Idempotency-Key.
func (a *app) post(t *testing.T, key, body string) reply {
	t.Helper()
	return a.do(t, "POST", "/api/v1/notes", body, "Idempotency-Key", key)
}

func queryInt(t *testing.T, url, sql string) int {
	t.Helper()
	conn, err := pgx.Connect(context.Background(), url)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = conn.Close(context.Background()) }()
	var n int
	if err := conn.QueryRow(context.Background(), sql).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// A client whose answer was lost retries with its key and gets the first
// response: same status, Location and body, and no second note.
func TestRetryAfterALostAnswerReplaysTheFirstResponse(t *testing.T) {
	db, url := pg.CreateDatabase(t)
	a := startReadyApp(t, map[string]string{"DATABASE_URL": url})
	const key = "5f0c6f0e-7a43-4c55-9a43-0c2e1b9e8a11"
	first := a.post(t, key, `{"title":"exactly once"}`) // its answer "lost" on the way
	if first.StatusCode != 201 {
		t.Fatalf("first attempt: %d %s", first.StatusCode, first.Body)
	}
	retry := a.post(t, key, `{"title":"exactly once"}`)
	if retry.StatusCode != 201 || !bytes.Equal(retry.Body, first.Body) ||
		retry.Header.Get("Location") != first.Header.Get("Location") || retry.Header.Get("Idempotent-Replayed") != "true" {
		t.Errorf("retry: %d %s %s (replayed %q); want the first response %s %s",
			retry.StatusCode, retry.Header.Get("Location"), retry.Body, retry.Header.Get("Idempotent-Replayed"),
			first.Header.Get("Location"), first.Body)
	}
	if r := a.post(t, key, `{"title":"another note"}`); r.StatusCode != 422 {
		t.Errorf("the key reused for another note: %d, want 422", r.StatusCode)
	}
	if n := queryInt(t, pg.URL(db), `SELECT count(*) FROM notes`); n != 1 {
		t.Errorf("%d notes, want 1", n)
	}
}

// The answer 503 does not always mean "not written": when the answer to the
// COMMIT is lost, the note is committed but the app can only say 503. The
// retry with the key gets the committed note, and no duplicate is made.
func TestRetryAfterA503WhoseCommitHappenedReplaysTheNote(t *testing.T) {
	db, _ := pg.CreateDatabase(t)
	proxy := startPGProxy(t, pg.Port)
	a := startReadyApp(t, map[string]string{"DATABASE_URL": proxy.URL(db)})
	const key = "0c9e8a11-5f0c-4c55-9a43-7a436f0e2b1e"

	proxy.loseNextCommitAnswer()
	failed := a.post(t, key, `{"title":"committed in the dark"}`)
	select {
	case <-proxy.lost:
	default:
		t.Fatalf("no COMMIT answer was lost: the test did not test anything (status %d)", failed.StatusCode)
	}
	expect503(t, failed, "create whose COMMIT answer was lost")
	var id string
	conn, err := pgx.Connect(context.Background(), pg.URL(db))
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = conn.Close(context.Background()) }()
	if err := conn.QueryRow(context.Background(), `SELECT id::text FROM notes`).Scan(&id); err != nil {
		t.Fatalf("the note was not committed: %v", err)
	}

	retry := a.post(t, key, `{"title":"committed in the dark"}`)
	var n note
	_ = json.Unmarshal(retry.Body, &n)
	if retry.StatusCode != 201 || n.ID != id || retry.Header.Get("Location") != "/api/v1/notes/"+id ||
		retry.Header.Get("Idempotent-Replayed") != "true" {
		t.Errorf("retry: %d %s (replayed %q); want 201 with the committed note %s", retry.StatusCode, retry.Body,
			retry.Header.Get("Idempotent-Replayed"), id)
	}
	if count := queryInt(t, pg.URL(db), `SELECT count(*) FROM notes`); count != 1 {
		t.Errorf("%d notes, want 1", count)
	}
}

// A task purges expired idempotency keys once its schema is ready (then
// every 10 minutes): a key expired over an hour ago is gone, a live one kept.
func TestExpiredIdempotencyKeysArePurged(t *testing.T) {
	_, url := pg.CreateDatabase(t)
	pool, err := database.Open(url, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	if err := database.Migrate(context.Background(), pool, slog.New(slog.DiscardHandler)); err != nil {
		t.Fatal(err)
	}
	pool.Close()
	conn, err := pgx.Connect(context.Background(), url)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = conn.Close(context.Background()) }()
	if _, err := conn.Exec(context.Background(), `INSERT INTO idempotency_keys (key, fingerprint, status, header, body, expires_at)
		VALUES ('expired', '\x00', 201, '{}', '', now() - interval '2 hours'), ('live', '\x00', 201, '{}', '', now() + interval '1 hour')`); err != nil {
		t.Fatal(err)
	}
	startReadyApp(t, map[string]string{"DATABASE_URL": url})
	waitFor(t, 10*time.Second, "the expired key purged", func() bool {
		return queryInt(t, url, `SELECT count(*) FROM idempotency_keys WHERE key = 'expired'`) == 0
	})
	if n := queryInt(t, url, `SELECT count(*) FROM idempotency_keys WHERE key = 'live'`); n != 1 {
		t.Errorf("the live key was purged too")
	}
}
