package workflows

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// world is what AWS, GitHub and the Pulumi backend hold during a scenario.
// The stub CLIs (stubs_test.go) read and change it; it lives in a JSON file
// so that they, running as separate processes, share it.
type world struct {
	Stacks map[string]*stack // staging, prod
	Repos  map[string]*repo  // ECR repositories by name
	// Scenario knobs: how AWS and GitHub answer.
	Bad             map[string]bool // digests whose tasks fail their health checks
	Vulnerable      map[string]bool // digests Trivy finds HIGH/CRITICAL fixable issues in
	SmokeBroken     map[string]bool // stacks whose notes API answers 500
	CredentialsFail bool            // STS refuses the OIDC token
	PreviewFails    bool            // pulumi preview errors (e.g. a provider error)
	Drift           bool            // preview --refresh finds a changed resource
	// PendingMaintenance: prod's preview shows a database change RDS holds
	// for the maintenance window (database/testdata/*-pending.json).
	PendingMaintenance bool
	// RDSDescribeFails: the drift check's describe-db-instances is refused.
	RDSDescribeFails bool
	Reviewers        int // required reviewers on the production environment
	// Plan: what GitHub's plan allows a private repository: "" (a public
	// repository, or GitHub Enterprise) required reviewers; "team" (also
	// Pro) environments with branch policies but no required reviewers;
	// "free" no environments at all.
	Plan      string
	Variables map[string]string // repository variables gh set
	Calls     []string          // every stub call, in order
}

type stack struct {
	Name    string
	Exists  bool              // `pulumi stack init` was run (docs/setup.md)
	Config  map[string]string // the committed stack file's; `pulumi config set` lasts one job (checkoutConfig)
	Outputs map[string]string
	Service *service // nil until the first image
	// DBStopped: the sleep schedule stopped the database (RDS status
	// "stopped"); it becomes available a few polls after a start.
	DBStopped  bool
	DBStarting int
}

// service is an ECS service as describe-services shows it.
type service struct {
	Desired     int
	Deployments []deployment
	TaskDefs    map[string]string // ARN → image
	Tasks       []task            // RUNNING
	Completed   string            // task definition of the last completed deployment
	// DrainPolls: describe-services calls until every deployment but the
	// PRIMARY one is gone (old tasks draining) and it is COMPLETED; 0
	// leaves the deployments as they are.
	DrainPolls int
}

type deployment struct {
	Status, RolloutState, TaskDefinition, Reason string
}

type task struct {
	Arn, TaskDefinition, IP, Commit string
	// Its target's health: "initial" for InitialPolls describe-target-health
	// calls (a new task still passing its first checks), then healthy;
	// Unhealthy for good.
	InitialPolls int
	Unhealthy    bool
}

// health is the target's state as describe-target-health reports it.
func (t *task) health() string {
	switch {
	case t.Unhealthy:
		return "unhealthy"
	case t.InitialPolls > 0:
		return "initial"
	}
	return "healthy"
}

type repo struct {
	URL    string
	Images map[string]*image // by digest
}

type image struct {
	Tags   []string
	Commit string
}

const account = "123456789012.dkr.ecr.ap-south-1.amazonaws.com"

func newWorld() *world {
	return &world{
		Stacks: map[string]*stack{
			"staging": {Name: "staging", Exists: true, Config: map[string]string{}, Outputs: map[string]string{}},
			"prod":    {Name: "prod", Exists: true, Config: map[string]string{}, Outputs: map[string]string{}},
		},
		Repos: map[string]*repo{}, Bad: map[string]bool{}, Vulnerable: map[string]bool{}, SmokeBroken: map[string]bool{},
		Reviewers: 1,
	}
}

func loadWorld(path string) (*world, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	w := &world{}
	return w, json.Unmarshal(raw, w)
}

func (w *world) save(path string) error {
	raw, err := json.MarshalIndent(w, "", " ")
	if err != nil {
		return err
	}
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, raw, 0o644); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}

// digestFor is the digest a build of commit produces (deterministic).
func digestFor(commit string) string {
	sum := sha256.Sum256([]byte("image of " + commit))
	return "sha256:" + hex.EncodeToString(sum[:])
}

func repoName(stackName string) string { return "octabyte-" + stackName + "/app" }

func (w *world) repoByURL(url string) *repo {
	for _, r := range w.Repos {
		if r.URL == url {
			return r
		}
	}
	return nil
}

// resolveRef finds "URL@digest" or "URL:tag".
func (w *world) resolveRef(ref string) (*repo, string) {
	if url, digest, ok := strings.Cut(ref, "@"); ok {
		if r := w.repoByURL(url); r != nil && r.Images[digest] != nil {
			return r, digest
		}
		return nil, ""
	}
	i := strings.LastIndex(ref, ":")
	if r := w.repoByURL(ref[:i]); r != nil {
		for d, img := range r.Images {
			if slices.Contains(img.Tags, ref[i+1:]) {
				return r, d
			}
		}
	}
	return nil, ""
}

// up is `pulumi up` of a stack: the bring-up creates the repository and the
// load balancer; with an image the ECS service rolls out, as ECS does with
// the circuit breaker and rollback on, from the config the job sees. It
// returns the error pulumi would.
func (w *world) up(s *stack, config map[string]string, albURL string) error {
	name := repoName(s.Name)
	if w.Repos[name] == nil {
		w.Repos[name] = &repo{URL: account + "/" + name, Images: map[string]*image{}}
	}
	r := w.Repos[name]
	s.Outputs["ecrRepositoryUrl"] = r.URL
	s.Outputs["albUrl"] = albURL
	s.Outputs["clusterName"] = "octabyte-" + s.Name + "-cluster"
	s.Outputs["serviceName"] = "octabyte-" + s.Name + "-app"
	s.Outputs["dbInstanceId"] = "octabyte-" + s.Name
	s.Outputs["appImage"] = config["octabyte:appImage"]
	s.Outputs["appCommit"] = config["octabyte:appCommit"]
	digest := config["octabyte:appImage"]
	if digest == "" {
		return nil // no service until the first image
	}
	if s.Service == nil {
		s.Service = &service{Desired: 2, TaskDefs: map[string]string{}}
	}
	svc := s.Service
	td := fmt.Sprintf("arn:aws:ecs:ap-south-1:123456789012:task-definition/octabyte-%s-app:%d", s.Name, len(svc.TaskDefs)+1)
	svc.TaskDefs[td] = r.URL + "@" + digest
	img := r.Images[digest]
	// A task that cannot reach its database never passes the health check.
	if img == nil || w.Bad[digest] || s.DBStopped || s.DBStarting > 0 {
		if svc.Completed == "" {
			// Nothing to roll back to: the deployment fails and stops
			// launching tasks, so the provider's wait for one deployment
			// with every desired task running times out.
			svc.Deployments = []deployment{{Status: "PRIMARY", RolloutState: "FAILED", TaskDefinition: td,
				Reason: "ECS deployment circuit breaker: tasks failed to start."}}
			svc.Tasks = nil
			return fmt.Errorf("waiting for ECS Service (%s) to reach steady state: timeout while waiting for state to become 'tfSTABLE'", s.Outputs["serviceName"])
		}
		// The rollback reaches a steady state on the old tasks, and the
		// provider reports success (terraform-provider-aws#19519). Its wait
		// (statusServiceWaitForStable) ends only when the service has a single
		// deployment with every desired task running: the failed deployment
		// is gone by then, and the PRIMARY one is the rollback's, on the
		// last completed task definition.
		svc.Deployments = []deployment{{Status: "PRIMARY", RolloutState: "COMPLETED", TaskDefinition: svc.Completed}}
		return nil
	}
	if config["octabyte:sleepSchedule"] != "" && svc.Desired == 0 {
		// The schedule owns the desired count (ignoreChanges): pulumi up
		// leaves a sleeping service at 0 tasks, whose rollout never
		// completes with the new image.
		svc.Deployments = []deployment{{Status: "PRIMARY", RolloutState: "IN_PROGRESS", TaskDefinition: td}}
		svc.Tasks = nil
		return nil
	}
	svc.Deployments = []deployment{{Status: "PRIMARY", RolloutState: "COMPLETED", TaskDefinition: td}}
	svc.Completed = td
	svc.Tasks = nil
	for i := range svc.Desired {
		svc.Tasks = append(svc.Tasks, task{
			Arn: fmt.Sprintf("arn:aws:ecs:ap-south-1:123456789012:task/%s/%d-%s", s.Name, i, digest[7:15]), TaskDefinition: td,
			IP: fmt.Sprintf("10.0.%d.%d", len(svc.TaskDefs), 10+i), Commit: img.Commit,
		})
	}
	return nil
}

// stackByCluster finds the stack whose cluster is named so.
func (w *world) stackByCluster(cluster string) *stack {
	for _, s := range w.Stacks {
		if s.Outputs["clusterName"] == cluster {
			return s
		}
	}
	return nil
}

func worldPath(dir string) string { return filepath.Join(dir, "world.json") }
