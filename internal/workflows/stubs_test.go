package workflows

import (
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/octabyte/octabyte/internal/cli"
)

// The stub CLIs are this test binary under another name: the harness puts
// symlinks called aws, pulumi, gh, crane, go, make, docker, sudo and npm on PATH,
// and TestMain answers as that tool would, from and into the scenario's
// world (HARNESS_WORLD). curl and jq are the real ones.
var stubs = []string{"aws", "pulumi", "gh", "crane", "go", "make", "docker", "sudo", "npm"}

// repoRoot is this repository, whose test data the stubs may answer with.
var repoRoot, _ = filepath.Abs(filepath.Join("..", ".."))

func TestMain(m *testing.M) {
	name := filepath.Base(os.Args[0])
	if slices.Contains(stubs, name) && os.Getenv("HARNESS_WORLD") != "" {
		os.Exit(runStub(name, os.Args[1:]))
	}
	os.Exit(m.Run())
}

func runStub(name string, args []string) int {
	path := os.Getenv("HARNESS_WORLD")
	w, err := loadWorld(path)
	if err != nil {
		fmt.Fprintln(os.Stderr, "stub:", err)
		return 99
	}
	w.Calls = append(w.Calls, name+" "+strings.Join(args, " "))
	code := map[string]func(*world, []string) int{
		"aws": stubAWS, "pulumi": stubPulumi, "gh": stubGH, "crane": stubCrane,
		"go": stubGo, "make": stubMake, "docker": stubMake, "sudo": stubMake, "npm": stubNPM,
	}[name](w, args)
	if err := w.save(path); err != nil {
		fmt.Fprintln(os.Stderr, "stub:", err)
		return 99
	}
	return code
}

// flag returns the value after --name (or in --name=value).
func flag(args []string, name string) string {
	for i, a := range args {
		if a == name && i+1 < len(args) {
			return args[i+1]
		}
		if v, ok := strings.CutPrefix(a, name+"="); ok {
			return v
		}
	}
	return ""
}

// values returns the values after --name up to the next flag.
func values(args []string, name string) []string {
	i := slices.Index(args, name)
	if i < 0 {
		return nil
	}
	var out []string
	for _, a := range args[i+1:] {
		if strings.HasPrefix(a, "--") {
			break
		}
		out = append(out, a)
	}
	return out
}

func printJSON(v any) int {
	_ = json.NewEncoder(os.Stdout).Encode(v)
	return 0
}

func awsError(code int, msg string) int {
	fmt.Fprintln(os.Stderr, msg)
	return code
}

// stubAWS answers the AWS CLI calls the deploy scripts make.
func stubAWS(w *world, args []string) int {
	if os.Getenv("AWS_ACCESS_KEY_ID") == "" {
		return awsError(253, "Unable to locate credentials. You can configure credentials by running \"aws configure\".")
	}
	if len(args) < 2 {
		return awsError(252, "usage: aws SERVICE COMMAND")
	}
	switch args[0] + " " + args[1] {
	case "ecr describe-repositories":
		r := w.Repos[values(args, "--repository-names")[0]]
		if r == nil {
			return awsError(254, "RepositoryNotFoundException")
		}
		return printJSON(map[string]any{"repositories": []any{map[string]any{"repositoryUri": r.URL}}})
	case "ecr describe-images", "ecr batch-get-image":
		r := w.Repos[flag(args, "--repository-name")]
		id := flag(args, "--image-ids")
		if r == nil {
			return awsError(254, "RepositoryNotFoundException")
		}
		var digest string
		if d, ok := strings.CutPrefix(id, "imageDigest="); ok && r.Images[d] != nil {
			digest = d
		} else if tag, ok := strings.CutPrefix(id, "imageTag="); ok {
			_, digest = w.resolveRef(r.URL + ":" + tag)
		}
		if digest == "" {
			return awsError(254, "ImageNotFoundException: "+id)
		}
		if args[1] == "batch-get-image" {
			return printJSON(map[string]any{"images": []any{map[string]any{
				"imageManifest": `{"schemaVersion":2}`, "imageManifestMediaType": "application/vnd.oci.image.manifest.v1+json"}}})
		}
		return printJSON(map[string]any{"imageDetails": []any{map[string]any{"imageDigest": digest, "imageTags": r.Images[digest].Tags}}})
	case "ecr put-image":
		r := w.Repos[flag(args, "--repository-name")]
		tag := flag(args, "--image-tag")
		if r == nil {
			return awsError(254, "RepositoryNotFoundException")
		}
		// The stub's manifests are all alike; tag the image this script
		// just read (the last batch-get-image).
		digest := ""
		for i := len(w.Calls) - 1; i >= 0 && digest == ""; i-- {
			if strings.HasPrefix(w.Calls[i], "aws ecr batch-get-image") {
				digest = flag(strings.Fields(w.Calls[i]), "--image-ids")[len("imageDigest="):]
			}
		}
		if _, existing := w.resolveRef(r.URL + ":" + tag); existing != "" {
			return awsError(254, "ImageTagAlreadyExistsException: tag "+tag+" is immutable")
		}
		r.Images[digest].Tags = append(r.Images[digest].Tags, tag)
		return printJSON(map[string]any{"image": map[string]any{"imageId": map[string]any{"imageDigest": digest, "imageTag": tag}}})
	}
	if args[0] == "rds" {
		return stubRDS(w, args)
	}
	s := w.stackByCluster(flag(args, "--cluster"))
	switch {
	case args[0] == "elbv2":
		s = w.Stacks[strings.TrimPrefix(flag(args, "--target-group-arn"), "tg/")]
	case args[1] == "describe-task-definition":
		for _, candidate := range w.Stacks {
			if candidate.Service != nil && candidate.Service.TaskDefs[flag(args, "--task-definition")] != "" {
				s = candidate
			}
		}
	}
	if s == nil || s.Service == nil {
		return awsError(254, "ClusterNotFoundException / ServiceNotFoundException")
	}
	svc := s.Service
	switch args[0] + " " + args[1] {
	case "ecs describe-services":
		if flag(args, "--query") == "services[0].desiredCount" {
			fmt.Println(svc.Desired)
			return 0
		}
		if svc.DrainPolls > 0 {
			if svc.DrainPolls--; svc.DrainPolls == 0 { // steady: the PRIMARY deployment alone, COMPLETED
				svc.Deployments = svc.Deployments[:1]
				svc.Deployments[0].RolloutState = "COMPLETED"
			}
		}
		deps := []any{}
		for _, d := range svc.Deployments {
			deps = append(deps, map[string]any{"status": d.Status, "rolloutState": d.RolloutState, "taskDefinition": d.TaskDefinition, "rolloutStateReason": d.Reason})
		}
		return printJSON(map[string]any{"services": []any{map[string]any{
			"serviceName": s.Outputs["serviceName"], "desiredCount": svc.Desired, "deployments": deps,
			"loadBalancers": []any{map[string]any{"targetGroupArn": "tg/" + s.Name, "containerName": "app", "containerPort": 5000}},
		}}})
	case "ecs update-service":
		if _, err := fmt.Sscan(flag(args, "--desired-count"), &svc.Desired); err != nil {
			return awsError(252, "InvalidParameterException: --desired-count")
		}
		return printJSON(map[string]any{"service": map[string]any{"desiredCount": svc.Desired}})
	case "ecs describe-task-definition":
		return printJSON(map[string]any{"taskDefinition": map[string]any{"containerDefinitions": []any{
			map[string]any{"name": "app", "image": svc.TaskDefs[flag(args, "--task-definition")]}}}})
	case "ecs list-tasks":
		arns := []string{}
		for _, t := range svc.Tasks {
			arns = append(arns, t.Arn)
		}
		return printJSON(map[string]any{"taskArns": arns})
	case "ecs describe-tasks":
		out := []any{}
		for _, t := range svc.Tasks {
			if slices.Contains(values(args, "--tasks"), t.Arn) {
				out = append(out, map[string]any{"taskArn": t.Arn, "taskDefinitionArn": t.TaskDefinition, "lastStatus": "RUNNING",
					"attachments": []any{map[string]any{"type": "ElasticNetworkInterface", "details": []any{map[string]any{"name": "privateIPv4Address", "value": t.IP}}}}})
			}
		}
		return printJSON(map[string]any{"tasks": out})
	case "elbv2 describe-target-health":
		out := []any{}
		for i := range svc.Tasks {
			t := &svc.Tasks[i]
			out = append(out, map[string]any{"Target": map[string]any{"Id": t.IP, "Port": 5000}, "TargetHealth": map[string]any{"State": t.health()}})
			if t.InitialPolls > 0 {
				t.InitialPolls--
			}
		}
		return printJSON(map[string]any{"TargetHealthDescriptions": out})
	}
	return awsError(252, "stub aws: unsupported "+strings.Join(args, " "))
}

// stubRDS answers for a stack's database, which the sleep schedule may have
// stopped: a start takes a few polls, as RDS takes minutes.
func stubRDS(w *world, args []string) int {
	var s *stack
	for _, candidate := range w.Stacks {
		if candidate.Outputs["dbInstanceId"] == flag(args, "--db-instance-identifier") {
			s = candidate
		}
	}
	if s == nil {
		return awsError(254, "DBInstanceNotFound")
	}
	switch args[1] {
	case "describe-db-instances":
		if flag(args, "--query") == "" { // the drift check reads the whole instance
			if w.RDSDescribeFails {
				return awsError(254, "An error occurred (AccessDenied) when calling the DescribeDBInstances operation")
			}
			name := "instances-none.json"
			if w.PendingMaintenance {
				name = "instances-pending.json"
			}
			return printFile(filepath.Join(os.Getenv("HARNESS_REPO_ROOT"), "database", "testdata", name))
		}
		status := "available"
		switch {
		case s.DBStopped:
			status = "stopped"
		case s.DBStarting > 0:
			status = "starting"
			s.DBStarting--
		}
		fmt.Println(status) // --query 'DBInstances[0].DBInstanceStatus' --output text
		return 0
	case "start-db-instance":
		if !s.DBStopped {
			return awsError(254, "InvalidDBInstanceState: Instance is not in stopped state")
		}
		s.DBStopped, s.DBStarting = false, 2
		return printJSON(map[string]any{"DBInstance": map[string]any{"DBInstanceStatus": "starting"}})
	}
	return awsError(252, "stub aws: unsupported "+strings.Join(args, " "))
}

// stubPulumi is the Pulumi CLI against the self-managed backend.
func stubPulumi(w *world, args []string) int {
	if len(args) == 0 {
		return 2
	}
	st := func() *stack {
		name := flag(args, "--stack")
		if name == "" && len(args) > 2 && args[0] == "stack" && args[1] == "select" {
			name = args[2]
		}
		return w.Stacks[name]
	}
	switch {
	case args[0] == "login":
		return 0
	case args[0] == "stack" && args[1] == "select":
		if s := st(); s == nil || !s.Exists {
			return awsError(255, "error: no stack named '"+args[2]+"' found")
		}
		return 0
	case args[0] == "stack" && args[1] == "output":
		v := st().Outputs[args[2]]
		if v == "" {
			return awsError(255, "error: current stack does not have output property '"+args[2]+"'")
		}
		fmt.Println(v)
		return 0
	case args[0] == "config" && args[1] == "set":
		s := st()
		set := checkoutConfig(s.Name)
		set[args[2]] = args[3]
		if err := saveCheckoutConfig(s.Name, set); err != nil {
			return awsError(255, "error: "+err.Error())
		}
		return 0
	case args[0] == "up":
		s := st()
		if os.Getenv("AWS_ACCESS_KEY_ID") == "" {
			return awsError(255, "error: no valid credential sources found")
		}
		if err := w.up(s, jobConfig(s), os.Getenv("HARNESS_ALB")+"/"+s.Name); err != nil {
			return awsError(255, "error: "+err.Error())
		}
		return 0
	case args[0] == "preview":
		if os.Getenv("AWS_ACCESS_KEY_ID") == "" || w.PreviewFails {
			return awsError(255, "error: preview failed: AccessDenied")
		}
		if w.PendingMaintenance && flag(args, "--stack") == "prod" {
			return printFile(filepath.Join(os.Getenv("HARNESS_REPO_ROOT"), "database", "testdata", "preview-pending.json"))
		}
		steps := []any{map[string]any{"op": "same", "urn": "urn:pulumi:" + flag(args, "--stack") + "::octabyte::pulumi:pulumi:Stack::octabyte"}}
		if w.Drift {
			steps = append(steps, map[string]any{"op": "update", "urn": "urn:pulumi:" + flag(args, "--stack") + "::octabyte::aws:ec2/securityGroup:SecurityGroup::alb"})
		}
		// The program plans the image its config names, and no ECS service
		// without one: a preview that did not restore the running image
		// would take it away.
		if s := st(); s.Outputs["appImage"] != "" && jobConfig(s)["octabyte:appImage"] != s.Outputs["appImage"] {
			op := "update"
			if jobConfig(s)["octabyte:appImage"] == "" {
				op = "delete"
			}
			steps = append(steps, map[string]any{"op": op, "urn": "urn:pulumi:" + s.Name + "::octabyte::aws:ecs/service:Service::app"})
		}
		return printJSON(map[string]any{"steps": steps, "changeSummary": map[string]any{"same": 1}})
	}
	return awsError(2, "stub pulumi: unsupported "+strings.Join(args, " "))
}

// checkoutConfig is what `pulumi config set` wrote into the stack file of
// the checkout the command runs in (the working directory). Each job checks
// out afresh, so it never sees what another job set: only the stack's
// committed config (stack.Config) and its outputs outlive a job.
func checkoutConfig(stack string) map[string]string {
	set := map[string]string{}
	if raw, err := os.ReadFile("Pulumi." + stack + ".harness.json"); err == nil {
		_ = json.Unmarshal(raw, &set)
	}
	return set
}

func saveCheckoutConfig(stack string, set map[string]string) error {
	raw, err := json.Marshal(set)
	if err != nil {
		return err
	}
	return os.WriteFile("Pulumi."+stack+".harness.json", raw, 0o644)
}

// jobConfig is the stack's config as a command in this checkout sees it.
func jobConfig(s *stack) map[string]string {
	cfg := maps.Clone(s.Config)
	maps.Copy(cfg, checkoutConfig(s.Name))
	return cfg
}

// stubGH answers the GitHub calls of resolve.sh and production-approval.sh:
// users, the production environment (read, and created or updated as the
// repository's plan allows: w.Plan) and repository variables.
func stubGH(w *world, args []string) int {
	if len(args) >= 4 && args[0] == "variable" && args[1] == "set" {
		if w.Variables == nil {
			w.Variables = map[string]string{}
		}
		w.Variables[args[2]] = flag(args, "--body")
		return 0
	}
	if len(args) < 2 || args[0] != "api" {
		return awsError(1, "stub gh: unsupported "+strings.Join(args, " "))
	}
	path := args[len(args)-1]
	if i := slices.Index(args, "--method"); i >= 0 {
		path = args[i+2]
	}
	switch {
	case strings.HasPrefix(path, "users/"):
		login := strings.TrimPrefix(path, "users/")
		if strings.HasPrefix(login, "nosuch") {
			return awsError(1, "gh: Not Found (HTTP 404)")
		}
		return printJSON(map[string]any{"login": login, "id": len(login) * 1000})
	case strings.HasSuffix(path, "/environments/production") && flag(args, "--method") == "PUT":
		var req struct {
			Reviewers []any `json:"reviewers"`
		}
		if err := json.NewDecoder(os.Stdin).Decode(&req); err != nil {
			return awsError(1, "gh: HTTP 400: Problems parsing JSON")
		}
		// The replies GitHub gives where a plan lacks the feature
		// (REST "Create or update an environment"; plans: docs.github.com
		// "Managing environments for deployment", availability note).
		switch {
		case w.Plan == "free":
			return awsError(1, "gh: Failed to create the environment. Please ensure the billing plan supports environments in private repositories. (HTTP 422)")
		case w.Plan == "team" && len(req.Reviewers) > 0:
			return awsError(1, "gh: Failed to create the environment protection rule. Please ensure the billing plan supports the required reviewers protection rule. (HTTP 422)")
		}
		w.Reviewers = len(req.Reviewers)
		return printJSON(map[string]any{"name": "production"})
	case strings.HasSuffix(path, "/environments/production"):
		rules := []any{map[string]any{"type": "branch_policy"}}
		if w.Reviewers > 0 {
			rules = append(rules, map[string]any{"type": "required_reviewers", "prevent_self_review": true, "reviewers": []any{}})
		}
		return printJSON(map[string]any{"name": "production", "protection_rules": rules})
	}
	return awsError(1, "stub gh: unsupported "+strings.Join(args, " "))
}

// stubCrane copies images between the world's repositories.
func stubCrane(w *world, args []string) int {
	switch args[0] {
	case "digest":
		_, d := w.resolveRef(args[1])
		if d == "" {
			return awsError(1, "MANIFEST_UNKNOWN: "+args[1])
		}
		fmt.Println(d)
		return 0
	case "copy":
		src, d := w.resolveRef(args[1])
		i := strings.LastIndex(args[2], ":")
		dst := w.repoByURL(args[2][:i])
		if src == nil || dst == nil {
			return awsError(1, "crane copy: not found")
		}
		if dst.Images[d] == nil {
			dst.Images[d] = &image{Commit: src.Images[d].Commit}
		}
		dst.Images[d].Tags = append(dst.Images[d].Tags, args[2][i+1:])
		return 0
	}
	return awsError(1, "stub crane: unsupported")
}

// simulatorDir holds the deploy-permission check's IAM simulator, a Node
// package every `go run . plan` needs installed (permissions.SimulatorDir).
const simulatorDir = "permissions/simulator"

// stubGo answers `go env GOPATH`, and runs the project's own `drift`
// command for real (it only reads the files the workflow wrote). `go run .
// plan` fails as the program does where the tree it runs in has the
// simulator's lock file but no installed simulator (permissions/simulate.go).
func stubGo(_ *world, args []string) int {
	if len(args) == 2 && args[0] == "env" && args[1] == "GOPATH" {
		fmt.Println(filepath.Dir(filepath.Dir(os.Args[0])))
	}
	if len(args) >= 3 && args[0] == "run" && args[2] == "drift" {
		return cli.Drift(args[3:], os.Stdout, os.Stderr)
	}
	if len(args) >= 3 && args[0] == "run" && args[2] == "plan" {
		_, lock := os.Stat(filepath.Join(simulatorDir, "package-lock.json"))
		_, installed := os.Stat(filepath.Join(simulatorDir, "node_modules", "@cloud-copilot", "iam-simulate"))
		if lock == nil && installed != nil {
			return awsError(1, "error: the IAM simulator is not installed: run `npm ci --prefix "+simulatorDir+"` (make plan does)")
		}
	}
	return 0
}

// stubNPM installs: `npm ci --prefix DIR` puts the simulator's package in
// DIR/node_modules.
func stubNPM(_ *world, args []string) int {
	if len(args) > 0 && args[0] == "ci" {
		dir := flag(args, "--prefix")
		if _, err := os.Stat(filepath.Join(dir, "package-lock.json")); err != nil {
			return awsError(1, "npm ERR! The `npm ci` command can only install with an existing package-lock.json")
		}
		if err := os.MkdirAll(filepath.Join(dir, "node_modules", "@cloud-copilot", "iam-simulate"), 0o755); err != nil {
			return awsError(1, err.Error())
		}
	}
	return 0
}

func printFile(path string) int {
	raw, err := os.ReadFile(path)
	if err != nil {
		return awsError(1, err.Error())
	}
	_, _ = os.Stdout.Write(raw)
	return 0
}

// stubMake stands for the build tools of the PR checks; HARNESS_FAIL_MAKE
// makes `make TARGET` fail.
func stubMake(_ *world, args []string) int {
	if len(args) > 0 && args[0] == os.Getenv("HARNESS_FAIL_MAKE") {
		fmt.Fprintln(os.Stderr, "FAIL")
		return 2
	}
	return 0
}

// alb is the stacks' load balancers: it routes /<stack>/... to the running
// tasks of that stack's service in the world, round robin, and serves the
// app's API as each task's commit would.
type alb struct {
	path string
	mu   sync.Mutex
	n    int
	keys []string // Idempotency-Key of each POST
}

func (a *alb) ServeHTTP(rw http.ResponseWriter, r *http.Request) {
	a.mu.Lock()
	defer a.mu.Unlock()
	w, err := loadWorld(a.path)
	if err != nil {
		http.Error(rw, err.Error(), 500)
		return
	}
	name, rest, _ := strings.Cut(strings.TrimPrefix(r.URL.Path, "/"), "/")
	s := w.Stacks[name]
	if s == nil || s.Service == nil || len(s.Service.Tasks) == 0 {
		http.Error(rw, "503 Service Temporarily Unavailable", http.StatusServiceUnavailable)
		return
	}
	// An ALB routes to its healthy targets, or to all of them when none is
	// healthy (fail open: "Health checks for your target groups").
	targets := slices.DeleteFunc(slices.Clone(s.Service.Tasks), func(t task) bool { return t.health() != "healthy" })
	if len(targets) == 0 {
		targets = s.Service.Tasks
	}
	t := targets[a.n%len(targets)]
	a.n++
	rw.Header().Set("Content-Type", "application/json")
	switch {
	case rest == "":
		_ = json.NewEncoder(rw).Encode(map[string]string{"service": "octabyte", "commit": t.Commit, "environment": name})
	case rest == "healthz" || rest == "readyz":
		_, _ = rw.Write([]byte(`{"status":"ok"}`))
	case w.SmokeBroken[name]:
		http.Error(rw, `{"error":"internal"}`, http.StatusInternalServerError)
	case rest == "api/v1/notes" && r.Method == http.MethodPost:
		var in struct{ Title string }
		_ = json.NewDecoder(r.Body).Decode(&in)
		a.keys = append(a.keys, r.Header.Get("Idempotency-Key"))
		rw.WriteHeader(http.StatusCreated)
		_ = json.NewEncoder(rw).Encode(map[string]string{"id": "n1", "title": in.Title})
	case strings.HasPrefix(rest, "api/v1/notes/") && r.Method == http.MethodGet:
		title := ""
		for _, k := range a.keys {
			title = "smoke " + k
		}
		_ = json.NewEncoder(rw).Encode(map[string]string{"id": "n1", "title": title})
	case strings.HasPrefix(rest, "api/v1/notes/") && r.Method == http.MethodDelete:
		rw.WriteHeader(http.StatusNoContent)
	default:
		http.NotFound(rw, r)
	}
}
