package main

// The load balancer's view of a deployment: the real app behind HAProxy
// configured like the ALB target group (compute/loadbalancer.go): GET
// /healthz must answer 200; a newly registered target takes traffic after
// one passing check ("After your target is registered, it must pass one
// health check to be considered healthy": Health checks for Application
// Load Balancer target groups, ELB User Guide), an unhealthy one again after
// 2 in a row (HealthyThreshold), and a target leaves rotation after 3
// failed ones (UnhealthyThreshold); the ALB's 10 s interval is scaled down
// to 200 ms. HAProxy, like an ALB, does not retry a request on another
// target. The test plays ECS: it starts the new task (which
// registers it), replaces the old one only once the new one is healthy
// (deregistration: drain, wait, SIGTERM), and otherwise stops the new one.

import (
	"bufio"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/octabyte/octabyte/app/internal/pgtest"
)

const (
	checkInterval = 200 * time.Millisecond // the ALB's 10 s, scaled by 1/50
	// deregistrationDelay is the ALB's 30 s, scaled likewise: how long a
	// draining target keeps its in-flight requests before ECS stops it.
	deregistrationDelay = 600 * time.Millisecond
)

// alb is HAProxy in front of two targets, "old" and "new", on fixed ports
// (a target with nothing listening fails its checks, as an ALB target
// whose task has not started).
type alb struct {
	url  string
	sock string
}

func startALB(t *testing.T, oldPort, newPort int) *alb {
	t.Helper()
	bin, err := exec.LookPath("haproxy")
	if err != nil {
		t.Fatal("haproxy is not installed (apt-get install -y haproxy): it is the ALB stand-in of this test")
	}
	// Not t.TempDir(): its path holds the test's name, and a unix socket's
	// path must stay under 108 bytes.
	dir, err := os.MkdirTemp("", "alb")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = os.RemoveAll(dir) })
	port := freePort(t)
	b := &alb{url: "http://127.0.0.1:" + strconv.Itoa(port), sock: filepath.Join(dir, "admin.sock")}
	// The check timeout is not scaled down with the interval (the ALB's is
	// 5 s): on a busy machine a 100 ms timeout would fail healthy targets.
	// "new" is the newly registered target: one passing check puts it in
	// rotation, as on an ALB, so a single 200 from a task that cannot
	// serve would be caught.
	ms := checkInterval.Milliseconds()
	cfg := fmt.Sprintf(`global
    stats socket %s mode 600 level admin
defaults
    mode http
    timeout connect 1s
    timeout client 10s
    timeout server 10s
    retries 0
frontend alb
    bind 127.0.0.1:%d
    default_backend targets
backend targets
    balance roundrobin
    option httpchk GET /healthz
    http-check expect status 200
    timeout check 1s
    default-server inter %dms fastinter %dms downinter %dms rise 2 fall 3
    server old 127.0.0.1:%d check
    server new 127.0.0.1:%d check rise 1
`, b.sock, port, ms, ms, ms, oldPort, newPort)
	cfgFile := filepath.Join(dir, "haproxy.cfg")
	if err := os.WriteFile(cfgFile, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	var out syncBuffer
	cmd := exec.Command(bin, "-db", "-f", cfgFile)
	cmd.Stdout, cmd.Stderr = &out, &out
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan struct{})
	go func() {
		_ = cmd.Wait()
		close(exited)
	}()
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		<-exited
		if t.Failed() {
			t.Logf("haproxy output:\n%s", out.String())
		}
	})
	waitFor(t, 10*time.Second, "haproxy's admin socket", func() bool {
		select {
		case <-exited:
			t.Fatalf("haproxy exited at start-up:\n%s", out.String())
		default:
		}
		c, err := net.Dial("unix", b.sock)
		if err == nil {
			_ = c.Close()
		}
		return err == nil
	})
	return b
}

// admin sends one command to HAProxy's runtime API and returns its answer.
func (b *alb) admin(t *testing.T, command string) string {
	t.Helper()
	c, err := net.Dial("unix", b.sock)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = c.Close() }()
	if _, err := fmt.Fprintln(c, command); err != nil {
		t.Fatal(err)
	}
	var sb strings.Builder
	sc := bufio.NewScanner(c)
	for sc.Scan() {
		sb.WriteString(sc.Text() + "\n")
	}
	return sb.String()
}

// target is one server's state as HAProxy sees it.
type target struct {
	status string // UP, DOWN, "DOWN 1/2" (one healthy check of two), DRAIN, ...
	served int    // requests sent to it so far
}

func (b *alb) targets(t *testing.T) map[string]target {
	t.Helper()
	lines := strings.Split(strings.TrimPrefix(b.admin(t, "show stat"), "# "), "\n")
	col := map[string]int{}
	for i, name := range strings.Split(lines[0], ",") {
		col[name] = i
	}
	out := map[string]target{}
	for _, line := range lines[1:] {
		f := strings.Split(line, ",")
		if len(f) < len(col) || f[col["pxname"]] != "targets" || f[col["svname"]] == "BACKEND" {
			continue
		}
		served, _ := strconv.Atoi(f[col["stot"]])
		out[f[col["svname"]]] = target{status: f[col["status"]], served: served}
	}
	return out
}

func (b *alb) waitStatus(t *testing.T, server, status string, limit time.Duration) {
	t.Helper()
	waitFor(t, limit, server+" "+status+" at the load balancer", func() bool { return b.targets(t)[server].status == status })
}

// watch polls the load balancer every check interval until stop is closed
// and records every status server had.
func (b *alb) watch(t *testing.T, server string, stop <-chan struct{}) (seen func() map[string]bool) {
	var mu sync.Mutex
	statuses := map[string]bool{}
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			s := b.targets(t)[server].status
			mu.Lock()
			statuses[s] = true
			mu.Unlock()
			select {
			case <-stop:
				return
			case <-time.After(checkInterval / 4):
			}
		}
	}()
	return func() map[string]bool {
		<-done
		mu.Lock()
		defer mu.Unlock()
		return statuses
	}
}

// traffic is clients sending a mix of database-backed requests through the
// load balancer until stopped: writes and reads.
type traffic struct {
	stop     chan struct{}
	wg       sync.WaitGroup
	mu       sync.Mutex
	statuses map[int]int   // -1: no HTTP answer at all
	slowest  time.Duration // of the non-2xx answers
}

func startTraffic(base string, clients int) *traffic {
	tr := &traffic{stop: make(chan struct{}), statuses: map[int]int{}}
	hc := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: clients}}
	for c := range clients {
		tr.wg.Go(func() {
			for i := 0; ; i++ {
				select {
				case <-tr.stop:
					return
				default:
				}
				var req *http.Request
				if i%2 == 0 {
					req, _ = http.NewRequest("POST", base+"/api/v1/notes", strings.NewReader(fmt.Sprintf(`{"title":"client %d request %d"}`, c, i)))
					req.Header.Set("Content-Type", "application/json")
				} else {
					req, _ = http.NewRequest("GET", base+"/api/v1/notes?limit=1", nil)
				}
				start := time.Now()
				status := -1
				if resp, err := hc.Do(req); err == nil {
					status = resp.StatusCode
					_ = resp.Body.Close()
				}
				took := time.Since(start)
				tr.mu.Lock()
				tr.statuses[status]++
				if status < 200 || status > 299 {
					tr.slowest = max(tr.slowest, took)
				}
				tr.mu.Unlock()
				time.Sleep(2 * time.Millisecond)
			}
		})
	}
	return tr
}

// total is the number of requests answered (or failed) so far.
func (tr *traffic) total() int {
	tr.mu.Lock()
	defer tr.mu.Unlock()
	n := 0
	for _, c := range tr.statuses {
		n += c
	}
	return n
}

// result stops the traffic and returns the count of each status.
func (tr *traffic) result() (statuses map[int]int, failed, total int, slowestFailure time.Duration) {
	close(tr.stop)
	tr.wg.Wait()
	for s, n := range tr.statuses {
		total += n
		if s < 200 || s > 299 {
			failed += n
		}
	}
	return tr.statuses, failed, total, tr.slowest
}

// startTask starts the app as an ECS task on port with its database URL.
func startTask(t *testing.T, port int, dbURL string) *app {
	t.Helper()
	return startAppOnPort(t, port, map[string]string{"DATABASE_URL": dbURL, "DRAIN_TIMEOUT": "5s"})
}

// deployment is an established task in rotation behind the load balancer,
// and the port where the new task of a deployment will listen.
type deployment struct {
	old     *app
	lb      *alb
	newPort int
}

func startDeployment(t *testing.T, dbURL string) deployment {
	t.Helper()
	oldPort, newPort := freePort(t), freePort(t)
	old := startTask(t, oldPort, dbURL)
	old.waitReady(t, 30*time.Second)
	lb := startALB(t, oldPort, newPort)
	lb.waitStatus(t, "old", "UP", 5*time.Second)
	lb.waitStatus(t, "new", "DOWN", 5*time.Second) // nothing listens there yet
	return deployment{old, lb, newPort}
}

// A new task that cannot reach its database never passes the health check,
// so it never takes traffic and the deployment fails while the old task
// serves every request.
func TestALBNewTaskWithoutItsDatabaseNeverTakesTraffic(t *testing.T) {
	_, url := pg.CreateDatabase(t)
	d := startDeployment(t, url)
	lb := d.lb
	load := startTraffic(lb.url, 4)

	// The deployment: the new task's database is unreachable (a wrong
	// host, a security group that does not let it in).
	stop := make(chan struct{})
	seen := lb.watch(t, "new", stop)
	newTask := startTask(t, d.newPort, "postgres://postgres@127.0.0.1:1/octabyte?sslmode=disable")
	// ECS gives it the health check grace period and more (60 s and the
	// container health check's 75 s, scaled down): 20 check intervals.
	time.Sleep(20 * checkInterval)
	close(stop)
	if code := healthcheckExitCode(t, d.newPort); code != 1 {
		t.Errorf("the container health check of the new task exited %d, want 1 (ECS would keep it)", code)
	}
	newTask.signal(t, syscall.SIGTERM) // the deployment failed: ECS stops the new task
	if code := newTask.exitCode(t, 10*time.Second); code != 0 {
		t.Errorf("new task exit code %d", code)
	}
	time.Sleep(5 * checkInterval)

	statuses, failed, total, _ := load.result()
	for s := range seen() {
		if !strings.HasPrefix(s, "DOWN") {
			t.Errorf("the new task was %q at the load balancer; it must never leave DOWN", s)
		}
	}
	if served := lb.targets(t)["new"].served; served != 0 {
		t.Errorf("%d requests were sent to the new task", served)
	}
	if failed != 0 || total < 50 {
		t.Errorf("%d of %d requests failed (%v); want none of at least 50", failed, total, statuses)
	}
	t.Logf("%d requests through the load balancer, statuses %v", total, statuses)
}

// A normal rolling replacement under load drops no request: the new task
// takes traffic once healthy, then the old one is drained and stopped.
func TestALBRollingReplacementDropsNoRequest(t *testing.T) {
	_, url := pg.CreateDatabase(t)
	d := startDeployment(t, url)
	old, lb := d.old, d.lb
	load := startTraffic(lb.url, 4)
	time.Sleep(5 * checkInterval)

	startTask(t, d.newPort, url)
	lb.waitStatus(t, "new", "UP", 10*time.Second) // one passing check once it is ready
	// Deregistration: no new requests to the old task, in-flight ones
	// finish during the delay, then ECS sends SIGTERM.
	lb.admin(t, "set server targets/old state drain")
	time.Sleep(deregistrationDelay)
	old.signal(t, syscall.SIGTERM)
	if code := old.exitCode(t, 10*time.Second); code != 0 {
		t.Errorf("old task exit code %d", code)
	}
	servedBefore := lb.targets(t)["new"].served
	time.Sleep(5 * checkInterval)

	statuses, failed, total, _ := load.result()
	if failed != 0 || total < 50 {
		t.Errorf("%d of %d requests failed (%v); want none of at least 50", failed, total, statuses)
	}
	if after := lb.targets(t)["new"].served; servedBefore == 0 || after <= servedBefore {
		t.Errorf("the new task served %d requests before the old one stopped and %d after; want it serving", servedBefore, after)
	}
	t.Logf("%d requests, statuses %v", total, statuses)
}

// During a database outage an established task stays in rotation (so ECS
// does not replace it, and it serves again the moment the database is
// back); its database-backed requests fail fast with 503 meanwhile.
func TestALBEstablishedTaskStaysInRotationThroughADatabaseOutage(t *testing.T) {
	own := pgtest.StartForTest(t)
	d := startDeployment(t, own.URL("postgres"))
	old, lb := d.old, d.lb

	load := startTraffic(lb.url, 4)
	time.Sleep(5 * checkInterval)
	if err := own.Stop(); err != nil {
		t.Fatal(err)
	}
	stop := make(chan struct{})
	seen := lb.watch(t, "old", stop)
	// The outage lasts 20 check intervals: long enough for 3 failed checks
	// to take the task out several times over.
	time.Sleep(20 * checkInterval)
	close(stop)
	statuses, failed, total, slowest := load.result()
	if r := old.get(t, "/readyz"); r.StatusCode != 503 {
		t.Errorf("/readyz during the outage: %d, want 503", r.StatusCode)
	}
	for s := range seen() {
		if s != "UP" {
			t.Errorf("the established task was %q at the load balancer during the outage; want UP throughout", s)
		}
	}
	for s, n := range statuses {
		if s != 201 && s != 200 && s != 503 {
			t.Errorf("%d requests got %d; during the outage only 2xx (before it) and 503 are right", n, s)
		}
	}
	if statuses[503] == 0 {
		t.Errorf("no 503 during the outage (%v): the test did not test anything", statuses)
	}
	if slowest > time.Second {
		t.Errorf("the slowest failed request took %v; 503s must come fast", slowest)
	}
	t.Logf("outage: %d requests, %d failed, statuses %v, slowest failure %v", total, failed, statuses, slowest)

	if err := own.Resume(); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 30*time.Second, "serving again through the load balancer", func() bool {
		r, err := (&app{url: lb.url}).try("POST", "/api/v1/notes", `{"title":"after the outage"}`)
		return err == nil && r.StatusCode == 201
	})
}
