package workflows

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// fakeService is the app's API as the smoke test sees it, with knobs for
// the ways a fresh deployment misbehaves.
type fakeService struct {
	mu            sync.Mutex
	healthzFails  int  // answer 503 this many times first (tasks still starting)
	postFails     int  // answer 502 this many times first (ALB without targets)
	neverReady    bool // /readyz never succeeds
	wrongTitle    bool // GET returns another note
	notes         map[string]string
	deleted       []string
	healthzCalled int
	keys          []string // Idempotency-Key of each POST
}

func (f *fakeService) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	switch {
	case r.URL.Path == "/healthz":
		f.healthzCalled++
		if f.healthzFails > 0 {
			f.healthzFails--
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		_, _ = w.Write([]byte("ok"))
	case r.URL.Path == "/readyz":
		if f.neverReady {
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		_, _ = w.Write([]byte("ok"))
	case r.URL.Path == "/api/v1/notes" && r.Method == http.MethodPost:
		f.keys = append(f.keys, r.Header.Get("Idempotency-Key"))
		if f.postFails > 0 {
			f.postFails--
			w.WriteHeader(http.StatusBadGateway)
			return
		}
		var in struct{ Title, Body string }
		if r.Header.Get("Content-Type") != "application/json" || json.NewDecoder(r.Body).Decode(&in) != nil || in.Title == "" {
			w.WriteHeader(http.StatusBadRequest)
			return
		}
		id := "0b7c5a3e-2f5d-4c1a-9a8e-3d2f1b0c9e8d"
		f.notes[id] = in.Title
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusCreated)
		_ = json.NewEncoder(w).Encode(map[string]string{"id": id, "title": in.Title, "body": in.Body})
	case strings.HasPrefix(r.URL.Path, "/api/v1/notes/"):
		id := strings.TrimPrefix(r.URL.Path, "/api/v1/notes/")
		title, ok := f.notes[id]
		if !ok {
			w.WriteHeader(http.StatusNotFound)
			return
		}
		switch r.Method {
		case http.MethodGet:
			if f.wrongTitle {
				title = "something else"
			}
			w.Header().Set("Content-Type", "application/json")
			_ = json.NewEncoder(w).Encode(map[string]string{"id": id, "title": title})
		case http.MethodDelete:
			delete(f.notes, id)
			f.deleted = append(f.deleted, id)
			w.WriteHeader(http.StatusNoContent)
		}
	default:
		w.WriteHeader(http.StatusNotFound)
	}
}

// smokeScript is the smoke test of a deploy job, and the step's env.
func smokeScript(t *testing.T, jobID string) step {
	t.Helper()
	return one(t, "deploy.yml").job(t, jobID).step(t, "Smoke test")
}

func runSmoke(t *testing.T, script string, svc *fakeService, deadline string) (string, error) {
	t.Helper()
	for _, tool := range []string{"bash", "curl", "jq"} {
		_, err := exec.LookPath(tool)
		require.NoError(t, err, "the smoke test needs %s (GitHub's runners have it)", tool)
	}
	srv := httptest.NewServer(svc)
	defer srv.Close()
	cmd := exec.Command("bash", "-e", "-c", script)
	cmd.Dir = "../.." // steps run in the checked-out repository
	cmd.Env = append(os.Environ(),
		"STACK=staging",
		"BASE_URL="+srv.URL+"/",
		"SMOKE_DEADLINE_SECONDS="+deadline,
		"SMOKE_POLL_SECONDS=0.1",
		"GITHUB_RUN_ID=42", "GITHUB_RUN_ATTEMPT=1",
	)
	out, err := cmd.CombinedOutput()
	return string(out), err
}

func TestBothSmokeTestsAreTheSameScript(t *testing.T) {
	staging, prod := smokeScript(t, "staging"), smokeScript(t, "production")
	assert.Equal(t, staging.Run, prod.Run)
	assert.Equal(t, "${{ steps.outputs.outputs.url }}", staging.Env["BASE_URL"])
	assert.Equal(t, staging.Env, prod.Env)
}

func TestSmokeTestWaitsForTheServiceThenRoundTripsANote(t *testing.T) {
	svc := &fakeService{healthzFails: 3, postFails: 1, notes: map[string]string{}}
	out, err := runSmoke(t, smokeScript(t, "staging").Run, svc, "30")
	require.NoError(t, err, out)
	assert.Equal(t, 4, svc.healthzCalled, "retried /healthz until it answered")
	assert.Contains(t, out, "API round trip OK")
	assert.Len(t, svc.deleted, 1, "the smoke note is cleaned up")
	assert.Empty(t, svc.notes)
	require.Len(t, svc.keys, 2, "the POST was retried once")
	assert.Equal(t, []string{"deploy-42-1-staging", "deploy-42-1-staging"}, svc.keys, "a retried POST carries the same Idempotency-Key")
}

func TestSmokeTestFailsWhenNeverReady(t *testing.T) {
	svc := &fakeService{neverReady: true, notes: map[string]string{}}
	out, err := runSmoke(t, smokeScript(t, "staging").Run, svc, "1")
	require.Error(t, err)
	assert.Contains(t, out, "/readyz did not answer 2xx within 1s")
}

func TestSmokeTestFailsWhenTheNoteDoesNotComeBack(t *testing.T) {
	svc := &fakeService{wrongTitle: true, notes: map[string]string{}}
	out, err := runSmoke(t, smokeScript(t, "production").Run, svc, "10")
	require.Error(t, err)
	assert.Contains(t, out, "did not return the note just created")
}
