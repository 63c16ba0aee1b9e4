package workflows

import (
	"bufio"
	"fmt"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"gopkg.in/yaml.v3"

	"github.com/octabyte/octabyte/internal/testfiles"
)

// The harness runs a workflow as GitHub's runner would, without GitHub:
// jobs in `needs` order with their `if` (default success()), matrix
// expansion, job and step outputs, `env` at three levels, status functions,
// continue-on-error, and every `run:` step's real script run by bash
// (`bash --noprofile --norc -eo pipefail`, GitHub's default shell) after
// ${{ }} interpolation, with GITHUB_OUTPUT, GITHUB_ENV, GITHUB_PATH,
// GITHUB_STEP_SUMMARY and RUNNER_TEMP. The CLIs the scripts call are stubs
// (stubs_test.go) answering from a world; curl and jq are real and talk to
// a load balancer stand-in. Steps that `uses:` an action are simulated, as
// their action.yml and code at the pinned SHA behave (see simulate).

type harness struct {
	t      *testing.T
	w      *workflow
	order  []string // job ids in file order
	dir    string
	bin    string
	repo   string // git repository the checkouts come from
	world  string // path of the world file
	alb    *alb
	albURL string

	// The run's trigger and settings.
	Event   string // push, workflow_dispatch, pull_request, schedule
	SHA     string
	Ref     string
	Actor   string
	RunID   int
	Inputs  map[string]any
	Vars    map[string]any
	Secrets map[string]any
	Fork    bool     // pull request from a fork
	Base    string   // the pull request's base commit; "" is SHA itself
	Approve bool     // reviewers approve the production environment
	Env     []string // added to every run: step's environment last, so it overrides the workflow's env

	// What happened.
	Results       map[string]string // job id → success, failure, skipped
	Outputs       map[string]map[string]any
	Annotations   []string // ::error and ::notice lines
	Notifications []string // "slack: text", "email: subject | body"
	Approvals     []string // jobs that waited for reviewers
	Log           strings.Builder
}

// newHarness prepares a git repository with two commits (older, newer), a
// world, the stub binaries and the load balancer stand-in.
func newHarness(t *testing.T) (h *harness, older, newer string) {
	t.Helper()
	dir := t.TempDir()
	h = &harness{t: t, dir: dir, bin: filepath.Join(dir, "bin"), repo: filepath.Join(dir, "repo"), world: worldPath(dir),
		Actor: "alice", RunID: 1000, Approve: true, Vars: map[string]any{}, Secrets: map[string]any{}, Inputs: map[string]any{}}
	require.NoError(t, os.MkdirAll(h.bin, 0o755))
	self, err := os.Executable()
	require.NoError(t, err)
	for _, s := range stubs {
		require.NoError(t, os.Symlink(self, filepath.Join(h.bin, s)))
	}
	require.NoError(t, os.MkdirAll(filepath.Join(h.repo, simulatorDir), 0o755))
	testfiles.Track(t, "../../.github", "../../Dockerfile")
	require.NoError(t, exec.Command("cp", "-r", "../../.github", "../../Dockerfile", h.repo).Run())
	// The simulator's lock file: the program's plan needs it installed (stubGo).
	require.NoError(t, exec.Command("cp", "../../"+simulatorDir+"/package-lock.json", filepath.Join(h.repo, simulatorDir)).Run())
	git := func(args ...string) string {
		cmd := exec.Command("git", append([]string{"-c", "user.name=t", "-c", "user.email=t@example.com"}, args...)...)
		cmd.Dir = h.repo
		out, err := cmd.CombinedOutput()
		require.NoError(t, err, string(out))
		return strings.TrimSpace(string(out))
	}
	git("init", "-q", "-b", "main")
	git("add", "-A")
	git("commit", "-q", "-m", "older")
	older = git("rev-parse", "HEAD")
	require.NoError(t, os.WriteFile(filepath.Join(h.repo, "CHANGE"), []byte("newer\n"), 0o644))
	git("add", "-A")
	git("commit", "-q", "-m", "newer")
	newer = git("rev-parse", "HEAD")
	require.NoError(t, newWorld().save(h.world))
	h.alb = &alb{path: h.world}
	srv := httptest.NewServer(h.alb)
	t.Cleanup(srv.Close)
	h.albURL = srv.URL
	return h, older, newer
}

func (h *harness) worldNow() *world {
	w, err := loadWorld(h.world)
	require.NoError(h.t, err)
	return w
}

func (h *harness) change(f func(*world)) {
	w := h.worldNow()
	f(w)
	require.NoError(h.t, w.save(h.world))
}

// run runs one workflow file from start to end.
func (h *harness) run(file string) {
	t := h.t
	h.w = one(t, file)
	h.RunID++ // every run has its own id (and workspace)
	h.Results, h.Outputs = map[string]string{}, map[string]map[string]any{}
	h.Annotations, h.Notifications, h.Approvals = nil, nil, nil
	h.Log.Reset()
	h.order = nil
	for i := 0; i+1 < len(h.w.root.Content[0].Content); i += 2 {
		if h.w.root.Content[0].Content[i].Value == "jobs" {
			jobs := h.w.root.Content[0].Content[i+1]
			for j := 0; j < len(jobs.Content); j += 2 {
				h.order = append(h.order, jobs.Content[j].Value)
			}
		}
	}
	for len(h.Results) < len(h.order) {
		progressed := false
		for _, id := range h.order {
			if _, done := h.Results[id]; done || !h.ready(id) {
				continue
			}
			h.runJob(id)
			progressed = true
		}
		require.True(t, progressed, "jobs wait for each other: %v", h.Results)
	}
}

func (h *harness) ready(id string) bool {
	for _, n := range h.w.Jobs[id].Needs {
		if _, ok := h.Results[n]; !ok {
			return false
		}
	}
	return true
}

func (h *harness) github() map[string]any {
	repo := "octabyte/octabyte"
	event := map[string]any{}
	if h.Event == "pull_request" {
		head := repo
		if h.Fork {
			head = "someone/octabyte"
		}
		base := h.Base
		if base == "" {
			base = h.SHA
		}
		event["pull_request"] = map[string]any{"number": 7.0, "head": map[string]any{"repo": map[string]any{"full_name": head}},
			"base": map[string]any{"sha": base}}
	}
	return map[string]any{"event_name": h.Event, "sha": h.SHA, "ref": h.Ref, "repository": repo, "actor": h.Actor,
		"run_id": fmt.Sprint(h.RunID), "run_number": "12", "run_attempt": "1", "server_url": "https://github.com",
		"token": "ghs_harness", "event": event}
}

// context builds what expressions see in a job.
func (h *harness) context(needs []string, matrix map[string]any) map[string]any {
	needsCtx := map[string]any{}
	for _, n := range needs {
		outs := h.Outputs[n]
		if outs == nil {
			outs = map[string]any{}
		}
		needsCtx[n] = map[string]any{"result": h.Results[n], "outputs": outs}
	}
	inputs := map[string]any{}
	for k, v := range h.Inputs {
		inputs[k] = v
	}
	if h.Event == "workflow_dispatch" { // declared inputs have their defaults
		var on struct {
			Dispatch struct {
				Inputs map[string]struct {
					Default any `yaml:"default"`
				} `yaml:"inputs"`
			} `yaml:"workflow_dispatch"`
		}
		_ = h.w.On.Decode(&on)
		for k, in := range on.Dispatch.Inputs {
			if _, set := inputs[k]; !set {
				inputs[k] = in.Default
			}
		}
	}
	return map[string]any{"github": h.github(), "vars": h.Vars, "secrets": h.Secrets, "inputs": inputs,
		"needs": needsCtx, "matrix": matrix, "env": map[string]any{}, "steps": map[string]any{},
		"runner": map[string]any{"os": "Linux", "temp": ""}}
}

func (h *harness) runJob(id string) {
	t := h.t
	j := h.w.Jobs[id]
	vars := h.context(j.Needs, nil)
	c := &exprContext{vars: vars, status: func(fn string) bool {
		switch fn {
		case "success":
			return !slices.ContainsFunc(j.Needs, func(n string) bool { return h.Results[n] != "success" })
		case "failure":
			return slices.ContainsFunc(j.Needs, func(n string) bool { return h.Results[n] == "failure" })
		case "always":
			return true
		}
		return false
	}}
	ok, err := c.condition(j.If)
	require.NoError(t, err, "%s: if", id)
	if !ok {
		h.Results[id] = "skipped"
		fmt.Fprintf(&h.Log, "== %s: skipped\n", id)
		return
	}
	combos := []map[string]any{nil}
	for key, vals := range j.Strategy.Matrix {
		combos = nil
		for _, v := range vals.([]any) {
			combos = append(combos, map[string]any{key: v})
		}
	}
	result := "success"
	for _, m := range combos {
		r, outs := h.runInstance(id, j, m)
		if r == "failure" {
			result = "failure"
		}
		h.Outputs[id] = outs
	}
	h.Results[id] = result
	fmt.Fprintf(&h.Log, "== %s: %s %v\n", id, result, h.Outputs[id])
}

// runInstance runs one job (one matrix combination) step by step.
func (h *harness) runInstance(id string, j *job, matrix map[string]any) (string, map[string]any) {
	t := h.t
	vars := h.context(j.Needs, matrix)
	if j.environment() == "production" {
		h.Approvals = append(h.Approvals, id)
		if !h.Approve {
			h.Annotations = append(h.Annotations, "::error::"+id+": deployment to production rejected")
			return "failure", map[string]any{}
		}
	}
	jobDir := filepath.Join(h.dir, "jobs", fmt.Sprintf("%s-%d-%v", id, h.RunID, matrix))
	ws, temp := filepath.Join(jobDir, "ws"), filepath.Join(jobDir, "tmp")
	require.NoError(t, os.MkdirAll(temp, 0o755))
	env := map[string]any{}
	vars["env"] = env
	vars["runner"] = map[string]any{"os": "Linux", "temp": temp}
	failed := false
	c := &exprContext{vars: vars, status: func(fn string) bool {
		switch fn {
		case "success":
			return !failed
		case "failure":
			return failed
		case "always":
			return true
		}
		return false
	}}
	setEnv := func(m map[string]string) {
		for k, v := range m {
			s, err := c.interpolate(v)
			require.NoError(t, err, "%s env %s", id, k)
			env[k] = s
		}
	}
	setEnv(h.w.Env)
	setEnv(j.Env)
	steps := map[string]any{}
	vars["steps"] = steps
	path := []string{h.bin}
	for i, s := range j.Steps {
		name := s.Name
		if name == "" {
			name = s.Uses
		}
		run, err := c.condition(s.If)
		require.NoError(t, err, "%s/%s: if", id, name)
		record := func(outcome string, outputs map[string]any) {
			conclusion := outcome
			if outcome == "failure" && s.ContinueOnError == true {
				conclusion = "success"
			}
			if conclusion == "failure" {
				failed = true
			}
			if s.ID != "" {
				steps[s.ID] = map[string]any{"outcome": outcome, "conclusion": conclusion, "outputs": outputs}
			}
			fmt.Fprintf(&h.Log, "  %s / %s: %s\n", id, name, outcome)
		}
		if !run {
			record("skipped", map[string]any{})
			continue
		}
		stepEnv := map[string]any{}
		for k, v := range env {
			stepEnv[k] = v
		}
		for k, v := range s.Env {
			sv, err := c.interpolate(v)
			require.NoError(t, err, "%s/%s env %s", id, name, k)
			stepEnv[k] = sv
		}
		if s.Uses != "" {
			with := map[string]string{}
			for k, v := range s.With {
				sv, err := c.interpolate(fmt.Sprint(v))
				require.NoError(t, err, "%s/%s with %s", id, name, k)
				with[k] = sv
			}
			outputs, setenv, err := h.simulate(s.Uses, with, ws)
			for k, v := range setenv {
				env[k] = v
			}
			if err != nil {
				h.Annotations = append(h.Annotations, "::error::"+err.Error())
				record("failure", outputs)
			} else {
				record("success", outputs)
			}
			continue
		}
		script, err := c.interpolate(s.Run)
		require.NoError(t, err, "%s/%s: run", id, name)
		outcome, outputs := h.shell(fmt.Sprintf("%s/%d", jobDir, i), script, ws, temp, stepEnv, &path, env, id)
		record(outcome, outputs)
	}
	outs := map[string]any{}
	for k, v := range j.Outputs {
		sv, err := c.interpolate(v)
		require.NoError(t, err, "%s outputs.%s", id, k)
		outs[k] = sv
	}
	if failed {
		return "failure", outs
	}
	return "success", outs
}

// script runs one of .github/scripts on its own (as an admin runs
// production-approval.sh, or to reach states no workflow run leaves behind)
// against the stubs and this harness's world, with env added.
func (h *harness) script(name string, env []string, args ...string) (string, error) {
	testfiles.Track(h.t, filepath.Join(repoRoot, ".github", "scripts"))
	cmd := exec.Command("bash", append([]string{filepath.Join(repoRoot, ".github", "scripts", name)}, args...)...)
	cmd.Env = append(append(os.Environ(), "PATH="+h.bin+":"+os.Getenv("PATH"), "HARNESS_WORLD="+h.world), env...)
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// shell runs one run: step and reads back its file commands.
func (h *harness) shell(base, script, ws, temp string, stepEnv map[string]any, path *[]string, jobEnv map[string]any, id string) (string, map[string]any) {
	t := h.t
	files := map[string]string{}
	for _, f := range []string{"GITHUB_OUTPUT", "GITHUB_ENV", "GITHUB_PATH", "GITHUB_STEP_SUMMARY"} {
		files[f] = base + "." + strings.ToLower(f)
		require.NoError(t, os.WriteFile(files[f], nil, 0o644))
	}
	require.NoError(t, os.WriteFile(base+".sh", []byte(script), 0o644))
	if _, err := os.Stat(ws); err != nil {
		require.NoError(t, os.MkdirAll(ws, 0o755)) // a job without checkout
	}
	cmd := exec.Command("bash", "--noprofile", "--norc", "-eo", "pipefail", base+".sh")
	cmd.Dir = ws
	environ := []string{
		"PATH=" + strings.Join(*path, ":") + ":" + os.Getenv("PATH"), "HOME=" + os.Getenv("HOME"),
		"HARNESS_WORLD=" + h.world, "HARNESS_ALB=" + h.albURL, "HARNESS_REPO_ROOT=" + repoRoot, "RUNNER_TEMP=" + temp, "CI=true",
		"GITHUB_SHA=" + h.SHA, "GITHUB_REF=" + h.Ref, "GITHUB_REPOSITORY=octabyte/octabyte", "GITHUB_ACTOR=" + h.Actor,
		fmt.Sprintf("GITHUB_RUN_ID=%d", h.RunID), "GITHUB_RUN_ATTEMPT=1", "GITHUB_JOB=" + id,
		"GITHUB_WORKSPACE=" + ws, "GOCACHE=" + os.Getenv("GOCACHE"),
	}
	for f, p := range files {
		environ = append(environ, f+"="+p)
	}
	for k, v := range stepEnv {
		environ = append(environ, k+"="+str(v))
	}
	cmd.Env = append(environ, h.Env...)
	out, err := cmd.CombinedOutput()
	fmt.Fprintf(&h.Log, "%s", out)
	for _, line := range strings.Split(string(out), "\n") {
		if strings.HasPrefix(line, "::error") || strings.HasPrefix(line, "::notice") {
			h.Annotations = append(h.Annotations, line)
		}
	}
	outputs := map[string]any{}
	for k, v := range fileCommands(t, files["GITHUB_OUTPUT"]) {
		outputs[k] = v
	}
	for k, v := range fileCommands(t, files["GITHUB_ENV"]) {
		jobEnv[k] = v
	}
	raw, _ := os.ReadFile(files["GITHUB_PATH"])
	for _, p := range strings.Fields(string(raw)) {
		*path = append([]string{p}, *path...)
	}
	if err != nil {
		return "failure", outputs
	}
	return "success", outputs
}

// fileCommands parses GITHUB_OUTPUT/GITHUB_ENV: NAME=value lines and
// NAME<<DELIMITER heredocs.
func fileCommands(t *testing.T, path string) map[string]string {
	f, err := os.Open(path)
	require.NoError(t, err)
	defer func() { _ = f.Close() }()
	out := map[string]string{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		if name, delim, ok := strings.Cut(line, "<<"); ok && !strings.Contains(name, "=") {
			var body []string
			for sc.Scan() && sc.Text() != delim {
				body = append(body, sc.Text())
			}
			out[name] = strings.Join(body, "\n")
			continue
		}
		if k, v, ok := strings.Cut(line, "="); ok {
			out[k] = v
		}
	}
	return out
}

// simulate does what each action does at its pinned SHA, as far as the
// workflows depend on it:
//   - actions/checkout: clones the repository at its ref (github.sha by
//     default) into the workspace or its path (fetch-depth 0: the whole
//     history; the harness always clones it all).
//   - actions/setup-go: nothing to do here (Go's version is TestOneGoVersionEverywhere's).
//   - aws-actions/configure-aws-credentials: exchanges the OIDC token for
//     role credentials and exports AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY,
//     AWS_SESSION_TOKEN and AWS_REGION (src/index.ts exportCredentials); fails
//     when STS refuses (world.CredentialsFail).
//   - aws-actions/amazon-ecr-login: docker login to the account's registry;
//     fails without credentials.
//   - pulumi/actions: installs the CLI (a stub here); its command: preview
//     and the PR comment are not simulated (drift.yml's preview, through
//     the stub CLI, is).
//   - docker/setup-buildx-action: nothing observable.
//   - docker/build-push-action: builds; with push: true pushes to the tag's
//     repository and outputs the digest (one per commit, build-arg COMMIT).
//   - aquasecurity/trivy-action: scans image-ref (a pushed digest must
//     exist); exit-code 1 fails on a finding (world.Vulnerable).
//   - slackapi/slack-github-action, dawidd6/action-send-mail: send; the
//     harness records the message.
//   - marocchino/sticky-pull-request-comment: posts a comment (recorded).
func (h *harness) simulate(uses string, with map[string]string, ws string) (map[string]any, map[string]string, error) {
	name, _, _ := strings.Cut(uses, "@")
	w := h.worldNow()
	defer func() { require.NoError(h.t, w.save(h.world)) }()
	switch name {
	case "actions/checkout":
		dst := ws
		if p := with["path"]; p != "" {
			dst = filepath.Join(ws, p)
		}
		ref := h.SHA
		if with["ref"] != "" {
			ref = with["ref"]
		}
		for _, args := range [][]string{{"clone", "-q", h.repo, dst}, {"-C", dst, "checkout", "-q", "--detach", ref}} {
			if out, err := exec.Command("git", args...).CombinedOutput(); err != nil {
				return nil, nil, fmt.Errorf("checkout: %s", out)
			}
		}
	case "aws-actions/configure-aws-credentials":
		if w.CredentialsFail || with["role-to-assume"] == "" {
			return nil, nil, fmt.Errorf("Could not assume role with OIDC: Not authorized to perform sts:AssumeRoleWithWebIdentity")
		}
		return nil, map[string]string{"AWS_ACCESS_KEY_ID": "ASIAHARNESS", "AWS_SECRET_ACCESS_KEY": "x", "AWS_SESSION_TOKEN": "x",
			"AWS_REGION": with["aws-region"]}, nil
	case "aws-actions/amazon-ecr-login":
		if w.CredentialsFail {
			return nil, nil, fmt.Errorf("ecr login: no credentials")
		}
	case "docker/build-push-action":
		digest := digestFor(h.SHA)
		if with["push"] == "true" {
			url, tag, _ := strings.Cut(with["tags"], ":")
			r := w.repoByURL(url)
			if r == nil {
				return nil, nil, fmt.Errorf("push: no repository %s", url)
			}
			// The repositories' tags are immutable, and a rebuild is a new
			// digest (build timestamps): ECR refuses a tag that exists.
			if _, existing := w.resolveRef(url + ":" + tag); existing != "" {
				return nil, nil, fmt.Errorf("push: tag invalid: the image tag '%s' already exists in the '%s' repository and cannot be overwritten because the repository is immutable", tag, url)
			}
			if r.Images[digest] == nil {
				commit := ""
				for _, arg := range strings.Split(with["build-args"], "\n") {
					if v, ok := strings.CutPrefix(strings.TrimSpace(arg), "COMMIT="); ok {
						commit = v
					}
				}
				r.Images[digest] = &image{Commit: commit}
			}
			r.Images[digest].Tags = append(r.Images[digest].Tags, tag)
		}
		return map[string]any{"digest": digest}, nil, nil
	case "aquasecurity/trivy-action":
		ref := with["image-ref"]
		if strings.Contains(ref, "@") {
			if _, d := w.resolveRef(ref); d == "" {
				return nil, nil, fmt.Errorf("trivy: %s: MANIFEST_UNKNOWN", ref)
			} else if w.Vulnerable[d] && with["exit-code"] == "1" {
				return nil, nil, fmt.Errorf("trivy: %s: 2 HIGH vulnerabilities with a fixed version", ref)
			}
		}
	case "slackapi/slack-github-action":
		var p struct{ Text string }
		if err := yaml.Unmarshal([]byte(with["payload"]), &p); err != nil || p.Text == "" {
			return nil, nil, fmt.Errorf("slack: payload is not YAML with a text: %q", with["payload"])
		}
		h.Notifications = append(h.Notifications, "slack: "+p.Text)
	case "dawidd6/action-send-mail":
		h.Notifications = append(h.Notifications, "email: "+with["subject"]+" | "+strings.TrimSpace(with["body"]))
	case "marocchino/sticky-pull-request-comment", "pulumi/actions", "actions/setup-go", "docker/setup-buildx-action":
	default:
		return nil, nil, fmt.Errorf("the harness does not simulate %s", name)
	}
	return map[string]any{}, nil, nil
}
