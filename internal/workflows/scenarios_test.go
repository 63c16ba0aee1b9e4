package workflows

import (
	"os/exec"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The pipeline's scenarios, each run end to end through the harness.

var allSecrets = map[string]any{"SLACK_WEBHOOK_URL": "https://hooks.slack.invalid/x", "MAIL_SERVER": "smtp.invalid",
	"MAIL_USERNAME": "ci", "MAIL_PASSWORD": "pw", "MAIL_TO": "team@example.com"}

// deployHarness is a repository set up as docs/setup.md says: stacks
// created, variables set, required reviewers available, notifications on.
func deployHarness(t *testing.T) (*harness, string, string) {
	t.Parallel() // each scenario has its own world, repository and load balancer
	h, older, newer := newHarness(t)
	h.Vars = map[string]any{"AWS_REGION": "ap-south-1", "PULUMI_BACKEND_URL": "s3://state", "AWS_STAGING_ROLE_ARN": "arn:staging",
		"AWS_PRODUCTION_ROLE_ARN": "arn:prod", "AWS_PREVIEW_ROLE_ARN": "arn:preview", "PRODUCTION_APPROVAL": "reviewers", "PRODUCTION_APPROVERS": "alice"}
	h.Secrets = allSecrets
	h.Env = slices.Clone(fastClock)
	return h, older, newer
}

// fastClock shortens the deploy scripts' polls and deadlines (set in the
// workflow as minutes): a scenario waits seconds, and a script that waits
// for a state the world never reaches fails within one test run.
var fastClock = []string{"WAKE_POLL_SECONDS=0", "WAKE_DEADLINE_SECONDS=20", "VERIFY_POLL_SECONDS=0.1",
	"VERIFY_DEADLINE_SECONDS=20", "SMOKE_POLL_SECONDS=0.1", "SMOKE_DEADLINE_SECONDS=20"}

func (h *harness) push(sha string) {
	h.Event, h.Ref, h.SHA, h.Inputs = "push", "refs/heads/main", sha, map[string]any{}
	h.run("deploy.yml")
}

func (h *harness) dispatch(sha string, inputs map[string]any) {
	h.Event, h.Ref, h.SHA, h.Inputs = "workflow_dispatch", "refs/heads/main", sha, inputs
	h.run("deploy.yml")
}

// assertJobs checks each job's result.
func (h *harness) assertJobs(want map[string]string) {
	h.t.Helper()
	assert.Equal(h.t, want, h.Results, h.Log.String())
}

// running is the commit every task of a stack reports on GET /.
func (h *harness) running(stack string) []string {
	var out []string
	if s := h.worldNow().Stacks[stack]; s.Service != nil {
		for _, t := range s.Service.Tasks {
			out = append(out, t.Commit)
		}
	}
	return out
}

func (h *harness) notified(t *testing.T, want ...string) {
	t.Helper()
	require.Len(t, h.Notifications, 2, "one Slack message and one email: %v", h.Notifications)
	for _, n := range h.Notifications {
		for _, w := range want {
			assert.Contains(t, n, w)
		}
	}
}

var allSucceeded = map[string]string{"resolve": "success", "staging-repository": "success", "build": "success", "scan": "success",
	"staging": "success", "production": "success", "notify": "success"}

func TestScenarioFirstDeployIntoAnEmptyAccount(t *testing.T) {
	h, _, newer := deployHarness(t)
	h.push(newer)
	h.assertJobs(allSucceeded)
	w := h.worldNow()
	for _, s := range []string{"staging", "prod"} {
		assert.Equal(t, newer, w.Stacks[s].Outputs["appCommit"], "%s records the deployed commit", s)
		assert.Equal(t, digestFor(newer), w.Stacks[s].Outputs["appImage"])
		assert.Equal(t, []string{newer, newer}, h.running(s), "%s: every task reports the built commit", s)
		assert.Len(t, w.Stacks[s].Service.TaskDefs, 1, "%s: the service was created with the first image, no placeholder before", s)
	}
	assert.Contains(t, strings.Join(h.Annotations, "\n"), "has no ECR repository yet", "the bring-up ran")
	tags := w.Repos["octabyte-staging/app"].Images[digestFor(newer)].Tags
	assert.ElementsMatch(t, []string{newer, "scanned-" + newer, "staging-" + newer}, tags, "built, scanned, verified on staging")
	assert.Equal(t, []string{"production"}, h.Approvals)
	h.notified(t, "succeeded", digestFor(newer), "verified on staging and production")
	assert.Equal(t, []string{"deploy-1001-1-staging", "deploy-1001-1-prod"}, h.alb.keys, "each smoke POST carries its Idempotency-Key")
}

func TestScenarioHappyPathStagingApprovalProduction(t *testing.T) {
	h, older, newer := deployHarness(t)
	h.push(older)
	h.assertJobs(allSucceeded)

	// Reviewers reject: production fails, prod keeps the older commit.
	h.Approve = false
	h.push(newer)
	assert.Equal(t, "success", h.Results["staging"])
	assert.Equal(t, "failure", h.Results["production"])
	assert.Equal(t, []string{older, older}, h.running("prod"))
	h.notified(t, "failed in production")

	// They approve a later run of the same commit: its image is reused.
	h.Approve = true
	h.push(newer)
	h.assertJobs(allSucceeded)
	assert.Equal(t, []string{"production"}, h.Approvals, "production waited for the reviewers")
	assert.Equal(t, []string{newer, newer}, h.running("prod"))
	assert.Equal(t, newer, h.worldNow().Stacks["prod"].Outputs["appCommit"])
	h.notified(t, "succeeded", newer)
}

func TestScenarioStagingSmokeTestFails(t *testing.T) {
	h, _, newer := deployHarness(t)
	h.change(func(w *world) { w.SmokeBroken["staging"] = true })
	h.push(newer)
	h.assertJobs(map[string]string{"resolve": "success", "staging-repository": "success", "build": "success", "scan": "success",
		"staging": "failure", "production": "skipped", "notify": "success"})
	assert.Empty(t, h.Approvals, "nothing reaches the approval")
	assert.Empty(t, h.running("prod"))
	h.notified(t, "failed in staging", "POST /api/v1/notes failed")
}

func TestScenarioECSRollsBackAndOldTasksKeepServing(t *testing.T) {
	h, older, newer := deployHarness(t)
	h.push(older)
	h.assertJobs(allSucceeded)
	h.change(func(w *world) { w.Bad[digestFor(newer)] = true })
	h.push(newer)
	h.assertJobs(map[string]string{"resolve": "success", "staging-repository": "success", "build": "success", "scan": "success",
		"staging": "failure", "production": "skipped", "notify": "success"})
	assert.Equal(t, []string{older, older}, h.running("staging"), "the circuit breaker rolled back: the old tasks keep serving")
	assert.Equal(t, []string{older, older}, h.running("prod"), "the broken digest never reaches prod")
	h.notified(t, "failed in staging", "ECS rolled back", "runs "+account+"/octabyte-staging/app@"+digestFor(older)+", not")
	assert.NotContains(t, h.worldNow().Repos["octabyte-staging/app"].Images[digestFor(newer)].Tags, "staging-"+newer)
}

func TestScenarioBadFirstImageHasNothingToRollBackTo(t *testing.T) {
	h, _, newer := deployHarness(t)
	h.change(func(w *world) { w.Bad[digestFor(newer)] = true })
	h.push(newer)
	assert.Equal(t, "failure", h.Results["staging"])
	assert.Equal(t, "skipped", h.Results["production"])
	svc := h.worldNow().Stacks["staging"].Service
	require.NotNil(t, svc)
	assert.Len(t, svc.TaskDefs, 1, "the only revision names the pushed image: no placeholder to roll back to")
	h.notified(t, "failed in staging", "pulumi up failed on staging")
}

func TestScenarioOlderCommitArrivesAfterANewerOne(t *testing.T) {
	h, older, newer := deployHarness(t)
	h.push(newer)
	h.assertJobs(allSucceeded)
	h.push(older) // a late re-run of an older push
	h.assertJobs(map[string]string{"resolve": "success", "staging-repository": "success", "build": "success", "scan": "success",
		"staging": "failure", "production": "skipped", "notify": "success"})
	assert.Equal(t, []string{newer, newer}, h.running("staging"), "staging was not touched")
	assert.Equal(t, []string{newer, newer}, h.running("prod"))
	h.notified(t, "failed in staging", "refusing to deploy "+older, "rollback=true")

	// An intentional rollback names the older digest, built and scanned by its own run.
	h.dispatch(newer, map[string]any{"digest": digestFor(older), "rollback": true})
	h.assertJobs(map[string]string{"resolve": "success", "staging-repository": "success", "build": "skipped", "scan": "skipped",
		"staging": "success", "production": "success", "notify": "success"})
	assert.Equal(t, []string{older, older}, h.running("prod"))
	assert.Equal(t, older, h.worldNow().Stacks["prod"].Outputs["appCommit"])

	// Forward again: the newer digest, which prod's repository already
	// holds under its commit (the copy finds it and checks its digest).
	h.dispatch(newer, map[string]any{"digest": digestFor(newer)})
	h.assertJobs(map[string]string{"resolve": "success", "staging-repository": "success", "build": "skipped", "scan": "skipped",
		"staging": "success", "production": "success", "notify": "success"})
	assert.Equal(t, []string{newer, newer}, h.running("prod"))
	assert.Contains(t, h.Log.String(), "octabyte-prod/app:"+newer+" already holds "+digestFor(newer))

	// Requests resolve refuses before anything is deployed.
	for _, c := range []struct {
		inputs map[string]any
		reason string
	}{
		{map[string]any{"digest": "sha256:" + strings.Repeat("0", 64), "rollback": true}, "only images this workflow built"},
		{map[string]any{"digest": "sha256:ABC", "rollback": true}, "is not sha256:<64 hex digits>"},
		{map[string]any{"rollback": true}, "rollback and promote need a digest"},
		{map[string]any{"digest": digestFor(older), "promote": true}, "promote=true is for PRODUCTION_APPROVAL=dispatch"},
	} {
		h.dispatch(newer, c.inputs)
		assert.Equal(t, "failure", h.Results["resolve"], "%v", c.inputs)
		assert.Equal(t, "skipped", h.Results["staging"], "%v", c.inputs)
		assert.Equal(t, "skipped", h.Results["production"], "%v", c.inputs)
		h.notified(t, "failed in resolve", c.reason)
	}
}

func TestScenarioVulnerableImageNeverReachesStaging(t *testing.T) {
	h, _, newer := deployHarness(t)
	h.change(func(w *world) { w.Vulnerable[digestFor(newer)] = true })
	h.push(newer)
	h.assertJobs(map[string]string{"resolve": "success", "staging-repository": "success", "build": "success", "scan": "failure",
		"staging": "skipped", "production": "skipped", "notify": "success"})
	h.notified(t, "failed in scan", "Trivy found HIGH or CRITICAL")

	// The pushed digest stays in the repository, untagged by the scan: it
	// cannot be deployed by name either.
	h.dispatch(newer, map[string]any{"digest": digestFor(newer)})
	assert.Equal(t, "failure", h.Results["resolve"])
	assert.Equal(t, "skipped", h.Results["staging"])
	h.notified(t, "failed in resolve", "was never scanned")
}

func TestScenarioNotificationSecretsMissing(t *testing.T) {
	h, _, newer := deployHarness(t)
	h.Secrets = map[string]any{}
	h.push(newer)
	h.assertJobs(allSucceeded)
	assert.Empty(t, h.Notifications)
	all := strings.Join(h.Annotations, "\n")
	assert.Contains(t, all, "SLACK_WEBHOOK_URL is not set; Slack notification skipped.")
	assert.Contains(t, all, "email notification skipped.")
}

func TestScenarioNoApprovalGateConfigured(t *testing.T) {
	h, _, newer := deployHarness(t)
	delete(h.Vars, "PRODUCTION_APPROVAL")
	h.push(newer)
	h.assertJobs(map[string]string{"resolve": "failure", "staging-repository": "skipped", "build": "skipped", "scan": "skipped",
		"staging": "skipped", "production": "skipped", "notify": "success"})
	h.notified(t, "failed in resolve", "no production approval gate is configured")

	// "reviewers" claimed, but the environment has none (a private repository on a Team plan).
	h.Vars["PRODUCTION_APPROVAL"] = "reviewers"
	h.change(func(w *world) { w.Reviewers = 0 })
	h.push(newer)
	assert.Equal(t, "failure", h.Results["resolve"])
	h.notified(t, "production environment has no required reviewers")
}

// Where the plan has no required reviewers: staging deploys, production
// waits for an approver's promote run.
func TestScenarioDispatchApprovalGate(t *testing.T) {
	h, older, newer := deployHarness(t)
	h.Vars["PRODUCTION_APPROVAL"], h.Vars["PRODUCTION_APPROVERS"] = "dispatch", "bob, carol"
	h.change(func(w *world) { w.Reviewers = 0 })

	// Scanned, but staging's smoke test failed: not promotable.
	h.change(func(w *world) { w.SmokeBroken["staging"] = true })
	h.push(older)
	assert.Equal(t, "failure", h.Results["staging"])
	h.Actor = "carol"
	h.dispatch(older, map[string]any{"digest": digestFor(older), "promote": true})
	assert.Equal(t, "failure", h.Results["resolve"])
	assert.Equal(t, "skipped", h.Results["production"])
	h.notified(t, "staging never verified")
	h.change(func(w *world) { w.SmokeBroken["staging"] = false })

	h.Actor = "alice"
	h.push(newer)
	h.assertJobs(map[string]string{"resolve": "success", "staging-repository": "success", "build": "success", "scan": "success",
		"staging": "success", "production": "skipped", "notify": "success"})
	h.notified(t, "awaiting promotion", "-f digest="+digestFor(newer)+" -f promote=true")

	h.Actor = "mallory"
	h.dispatch(newer, map[string]any{"digest": digestFor(newer), "promote": true})
	assert.Equal(t, "failure", h.Results["resolve"])
	assert.Equal(t, "skipped", h.Results["production"])
	h.notified(t, "mallory is not one of PRODUCTION_APPROVERS")

	h.Actor = "carol"
	h.dispatch(newer, map[string]any{"digest": digestFor(newer), "promote": true})
	h.assertJobs(map[string]string{"resolve": "success", "staging-repository": "skipped", "build": "skipped", "scan": "skipped",
		"staging": "skipped", "production": "success", "notify": "success"})
	assert.Equal(t, []string{newer, newer}, h.running("prod"))
	h.notified(t, "succeeded")
}

func driftHarness(t *testing.T) *harness {
	h, _, newer := deployHarness(t)
	h.push(newer) // both stacks deployed
	h.Event, h.Ref, h.SHA = "schedule", "refs/heads/main", newer
	return h
}

func TestScenarioDriftJobWithFailingCredentials(t *testing.T) {
	h := driftHarness(t)
	h.change(func(w *world) { w.CredentialsFail = true })
	h.run("drift.yml")
	assert.Equal(t, map[string]string{"drift": "failure"}, h.Results)
	require.Len(t, h.Notifications, 4, "both stacks, Slack and email: %v", h.Notifications)
	for _, n := range h.Notifications {
		assert.Contains(t, n, "could not run")
		assert.NotContains(t, n, "drift found")
	}
}

func TestScenarioDriftFoundIsNotCheckFailed(t *testing.T) {
	h := driftHarness(t)
	h.run("drift.yml")
	assert.Equal(t, map[string]string{"drift": "success"}, h.Results, h.Log.String())
	assert.Empty(t, h.Notifications, "no drift, no message")

	h.change(func(w *world) { w.Drift = true })
	h.run("drift.yml")
	assert.Equal(t, "failure", h.Results["drift"])
	require.Len(t, h.Notifications, 4)
	for _, n := range h.Notifications {
		assert.Contains(t, n, "drift found in")
	}

	h.change(func(w *world) { w.Drift, w.PreviewFails = false, true })
	h.run("drift.yml")
	assert.Equal(t, "failure", h.Results["drift"])
	for _, n := range h.Notifications {
		assert.Contains(t, n, "could not run", "a preview that fails is not drift")
	}
}

func prHarness(t *testing.T, fork bool) *harness {
	h, _, newer := deployHarness(t)
	h.Event, h.Ref, h.SHA, h.Fork = "pull_request", "refs/pull/7/merge", newer, fork
	if fork { // forks get no secrets and no OIDC token
		h.Secrets = map[string]any{}
	}
	return h
}

func TestScenarioForkPullRequestPassesTheRequiredCheck(t *testing.T) {
	h := prHarness(t, true)
	h.run("pr-check.yml")
	assert.Equal(t, "skipped", h.Results["preview"])
	assert.Equal(t, "skipped", h.Results["cost-comment"])
	assert.Equal(t, "success", h.Results["fork-notice"])
	assert.Equal(t, "success", h.Results["required"], h.Log.String())

	h.Env = append(h.Env, "HARNESS_FAIL_MAKE=test-app")
	h.run("pr-check.yml")
	assert.Equal(t, "failure", h.Results["test"])
	assert.Equal(t, "failure", h.Results["required"], "a failing check fails the required one for forks too")
}

func TestScenarioSameRepositoryPullRequestNeedsItsPreviews(t *testing.T) {
	h := prHarness(t, false)
	h.run("pr-check.yml")
	assert.Equal(t, "success", h.Results["cost"])
	assert.NotContains(t, h.Log.String(), "has no plan", "the base revision is planned too, not costed as empty")
	assert.Equal(t, "success", h.Results["preview"])
	assert.Equal(t, "skipped", h.Results["fork-notice"])
	assert.Equal(t, "success", h.Results["required"], h.Log.String())

	h.change(func(w *world) { w.CredentialsFail = true })
	h.run("pr-check.yml")
	assert.Equal(t, "failure", h.Results["preview"])
	assert.Equal(t, "failure", h.Results["required"])
}

// A staging stack with a sleep schedule, deployed at night: the database
// is stopped and the service runs 0 tasks. The deploy wakes it first
// (start the database, wait for it, scale to awakeDesiredCount), then
// deploys and verifies; without the wake the rollout could not complete.
// A pull request whose base predates the deploy-permission check: the base
// has no simulator to install, and its plan needs none.
func TestScenarioPullRequestAgainstABaseWithoutTheSimulator(t *testing.T) {
	h := prHarness(t, false)
	for _, args := range [][]string{{"checkout", "-q", "-b", "before-simulator", h.SHA}, {"rm", "-q", "-r", "permissions"},
		{"commit", "-q", "-m", "before the simulator"}} {
		out, err := exec.Command("git", append([]string{"-C", h.repo, "-c", "user.name=t", "-c", "user.email=t@example.com"}, args...)...).CombinedOutput()
		require.NoError(t, err, "%s", out)
	}
	out, err := exec.Command("git", "-C", h.repo, "rev-parse", "HEAD").Output()
	require.NoError(t, err)
	h.Base = strings.TrimSpace(string(out))
	h.run("pr-check.yml")
	assert.Equal(t, "success", h.Results["cost"], h.Log.String())
	assert.NotContains(t, h.Log.String(), "has no plan")
}

func TestScenarioSleepingStagingIsWokenBeforeItDeploys(t *testing.T) {
	h, older, newer := deployHarness(t)
	h.push(older)
	h.assertJobs(allSucceeded)
	h.change(func(w *world) {
		s := w.Stacks["staging"]
		s.Config["octabyte:sleepSchedule"] = "mon-fri 08:00-20:00"
		s.Outputs["sleepScheduleGroup"] = "octabyte-staging-sleep"
		s.Outputs["awakeDesiredCount"] = "2"
		s.DBStopped, s.Service.Desired, s.Service.Tasks = true, 0, nil
	})
	h.push(newer)
	h.assertJobs(allSucceeded)
	assert.Equal(t, []string{newer, newer}, h.running("staging"), "woken, deployed and verified")
	calls := strings.Join(h.worldNow().Calls, "\n")
	start := strings.Index(calls, "aws rds start-db-instance --db-instance-identifier octabyte-staging")
	scale := strings.Index(calls, "aws ecs update-service --cluster octabyte-staging-cluster --service octabyte-staging-app --desired-count 2")
	up := strings.LastIndex(calls, "pulumi up --yes --non-interactive --stack staging")
	require.True(t, start >= 0 && scale >= 0, calls)
	assert.Less(t, start, scale, "the database before the tasks that need it")
	assert.Less(t, scale, up, "awake before pulumi up")
	assert.NotContains(t, calls, "aws rds start-db-instance --db-instance-identifier octabyte-prod", "production never sleeps")

	// Asleep again; a late run of the older commit is refused before
	// anything is woken (a wake would keep staging billing until evening).
	h.change(func(w *world) {
		s := w.Stacks["staging"]
		s.DBStopped, s.Service.Desired, s.Service.Tasks = true, 0, nil
		w.Calls = nil
	})
	h.push(older)
	assert.Equal(t, "failure", h.Results["staging"])
	h.notified(t, "refusing to deploy "+older)
	assert.True(t, h.worldNow().Stacks["staging"].DBStopped, "the database stays stopped")
	assert.NotContains(t, strings.Join(h.worldNow().Calls, "\n"), "update-service", "the service stays at 0 tasks")
}

// Prod's repository already holds another image under the commit's
// (immutable) tag: the promotion stops there instead of deploying what
// staging never verified.
func TestScenarioProdTagHoldsAnotherImage(t *testing.T) {
	h, _, newer := deployHarness(t)
	other := digestFor("another build of " + newer)
	h.change(func(w *world) {
		w.Repos[repoName("prod")] = &repo{URL: account + "/" + repoName("prod"),
			Images: map[string]*image{other: {Commit: newer, Tags: []string{newer}}}}
	})
	h.push(newer)
	assert.Equal(t, "success", h.Results["staging"])
	assert.Equal(t, "failure", h.Results["production"])
	assert.Empty(t, h.running("prod"))
	h.notified(t, "failed in production", "octabyte-prod/app:"+newer+" already holds "+other+", not "+digestFor(newer))
}

// The workflows never create stacks: a missing one stops the run with the
// instruction, before any `pulumi up`.
func TestScenarioStackNotCreated(t *testing.T) {
	h, _, newer := deployHarness(t)
	h.change(func(w *world) { w.Stacks["staging"].Exists = false })
	h.push(newer)
	h.assertJobs(map[string]string{"resolve": "success", "staging-repository": "failure", "build": "skipped", "scan": "skipped",
		"staging": "skipped", "production": "skipped", "notify": "success"})
	h.notified(t, "failed in staging-repository", "Stack staging does not exist in the backend")
	assert.NotContains(t, strings.Join(h.worldNow().Calls, "\n"), "pulumi up")
}

// production-approval.sh, run by an admin once (docs/setup.md step 5),
// against GitHub as each plan answers: the gate recorded is the one the
// repository really got, and a repository without environments gets none.
func TestProductionApprovalSetupPerPlan(t *testing.T) {
	for _, c := range []struct {
		plan, approval string
		reviewers      int
	}{
		{"", "reviewers", 2},    // public repository, or GitHub Enterprise
		{"team", "dispatch", 0}, // private on Pro or Team: no required reviewers
		{"free", "", 0},         // private on Free: no environments
	} {
		t.Run("plan="+c.plan, func(t *testing.T) {
			h, _, _ := newHarness(t)
			h.change(func(w *world) { w.Plan, w.Reviewers = c.plan, 0 })
			out, err := h.script("production-approval.sh", nil, "octabyte/octabyte", "alice", "bob")
			w := h.worldNow()
			assert.Equal(t, c.reviewers, w.Reviewers, out)
			if c.approval == "" {
				require.Error(t, err, out)
				assert.Contains(t, out, "has no environments")
				assert.Empty(t, w.Variables, "no gate recorded: the deploy workflow refuses to run")
				return
			}
			require.NoError(t, err, out)
			assert.Equal(t, map[string]string{"PRODUCTION_APPROVAL": c.approval, "PRODUCTION_APPROVERS": "alice,bob"}, w.Variables)
		})
	}
	// Approvers GitHub would not take: nothing is set up, nothing recorded.
	for _, c := range []struct {
		approvers []string
		reason    string
	}{
		{[]string{"nosuch-alice", "bob"}, "nosuch-alice is not a GitHub user login"},
		{[]string{"a", "b", "c", "d", "e", "f", "g"}, "at most 6 approvers"},
	} {
		h, _, _ := newHarness(t)
		out, err := h.script("production-approval.sh", nil, append([]string{"octabyte/octabyte"}, c.approvers...)...)
		require.Error(t, err, out)
		assert.Contains(t, out, c.reason)
		w := h.worldNow()
		assert.Empty(t, w.Variables, "%v", c.approvers)
		assert.NotContains(t, strings.Join(w.Calls, "\n"), "--method PUT", "%v", c.approvers)
	}
}
