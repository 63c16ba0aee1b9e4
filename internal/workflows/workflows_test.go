// Package workflows holds the tests of the GitHub Actions workflows in
// .github/workflows: they parse the YAML and prove the properties the
// pipeline's security and ordering rest on. actionlint (make lint) checks
// the syntax, expressions and shell scripts.
package workflows

import (
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"gopkg.in/yaml.v3"
)

const dir = "../../.github/workflows"

type workflow struct {
	file        string
	raw         string
	root        yaml.Node
	Name        string            `yaml:"name"`
	On          yaml.Node         `yaml:"on"`
	Permissions yaml.Node         `yaml:"permissions"`
	Concurrency *concurrency      `yaml:"concurrency"`
	Env         map[string]string `yaml:"env"`
	Jobs        map[string]*job   `yaml:"jobs"`
}

type concurrency struct {
	Group            string `yaml:"group"`
	CancelInProgress bool   `yaml:"cancel-in-progress"`
}

type job struct {
	Name           string            `yaml:"name"`
	If             string            `yaml:"if"`
	Needs          list              `yaml:"needs"`
	TimeoutMinutes int               `yaml:"timeout-minutes"`
	Permissions    yaml.Node         `yaml:"permissions"`
	Environment    yaml.Node         `yaml:"environment"`
	Concurrency    *concurrency      `yaml:"concurrency"`
	Env            map[string]string `yaml:"env"`
	Outputs        map[string]string `yaml:"outputs"`
	Uses           string            `yaml:"uses"`
	Strategy       struct {
		Matrix map[string]any `yaml:"matrix"`
	} `yaml:"strategy"`
	Steps []step `yaml:"steps"`
}

type step struct {
	Name            string            `yaml:"name"`
	ID              string            `yaml:"id"`
	If              string            `yaml:"if"`
	Uses            string            `yaml:"uses"`
	Run             string            `yaml:"run"`
	With            map[string]any    `yaml:"with"`
	Env             map[string]string `yaml:"env"`
	ContinueOnError any               `yaml:"continue-on-error"`
}

// list is a YAML string or list of strings.
type list []string

func (l *list) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind == yaml.ScalarNode {
		*l = list{n.Value}
		return nil
	}
	var s []string
	err := n.Decode(&s)
	*l = s
	return err
}

func load(t *testing.T) map[string]*workflow {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(dir, "*.yml"))
	require.NoError(t, err)
	yamls, err := filepath.Glob(filepath.Join(dir, "*.yaml"))
	require.NoError(t, err)
	files = append(files, yamls...)
	require.NotEmpty(t, files)
	out := map[string]*workflow{}
	for _, f := range files {
		raw, err := os.ReadFile(f)
		require.NoError(t, err)
		w := &workflow{file: filepath.Base(f), raw: string(raw)}
		require.NoError(t, yaml.Unmarshal(raw, &w.root), f)
		require.NoError(t, w.root.Decode(w), f)
		require.NotEmpty(t, w.Jobs, f)
		out[w.file] = w
	}
	return out
}

func one(t *testing.T, file string) *workflow {
	t.Helper()
	w, ok := load(t)[file]
	require.True(t, ok, "no workflow %s", file)
	return w
}

func (w *workflow) job(t *testing.T, id string) *job {
	t.Helper()
	j, ok := w.Jobs[id]
	require.True(t, ok, "%s has no job %s", w.file, id)
	return j
}

// permissions returns a job's permissions as scope → level.
func (j *job) permissions(t *testing.T) map[string]string {
	t.Helper()
	require.NotZero(t, j.Permissions.Kind, "every job states its permissions")
	require.Equal(t, yaml.MappingNode, j.Permissions.Kind, "permissions must list scopes, not read-all/write-all")
	var m map[string]string
	require.NoError(t, j.Permissions.Decode(&m))
	return m
}

func (j *job) environment() string {
	switch j.Environment.Kind {
	case yaml.ScalarNode:
		return j.Environment.Value
	case yaml.MappingNode:
		var e struct {
			Name string `yaml:"name"`
		}
		_ = j.Environment.Decode(&e)
		return e.Name
	}
	return ""
}

func (j *job) stepsUsing(action string) []step {
	var out []step
	for _, s := range j.Steps {
		if strings.HasPrefix(s.Uses, action+"@") {
			out = append(out, s)
		}
	}
	return out
}

func (j *job) step(t *testing.T, name string) step {
	t.Helper()
	for _, s := range j.Steps {
		if s.Name == name {
			return s
		}
	}
	require.Failf(t, "no step", "%q", name)
	return step{}
}

func sortedJobs(w *workflow) []string {
	ids := make([]string, 0, len(w.Jobs))
	for id := range w.Jobs {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	return ids
}

func TestProductionNeedsStagingAndUsesTheProductionEnvironment(t *testing.T) {
	w := one(t, "deploy.yml")
	prod := w.job(t, "production")
	assert.Contains(t, prod.Needs, "staging", "production deploys only after staging deployed and passed its smoke test")
	assert.Contains(t, prod.Needs, "build", "production deploys the image staging ran")
	assert.Equal(t, "production", prod.environment(), "approval by the production environment's required reviewers")
	staging := w.job(t, "staging")
	assert.Contains(t, staging.Needs, "build")
	assert.Empty(t, staging.environment(), "staging's OIDC subject must stay ref:refs/heads/main")
	for _, id := range []string{"staging", "production"} {
		assert.Equal(t, "${{ needs.resolve.outputs.digest || needs.build.outputs.digest }}", w.job(t, id).Env["DIGEST"],
			"%s deploys the digest built once (or the one a dispatch names)", id)
	}
}

func TestPromotionDeploysTheSameDigestToBothStacks(t *testing.T) {
	w := one(t, "deploy.yml")
	build := w.job(t, "build")
	assert.Equal(t, "${{ steps.image.outputs.digest }}", build.Outputs["digest"])
	push := build.stepsUsing("docker/build-push-action")
	require.Len(t, push, 1)
	assert.Equal(t, "linux/arm64", push[0].With["platforms"])
	assert.Equal(t, true, push[0].With["push"])
	assert.Equal(t, "${{ env.REPOSITORY_URL }}:${{ github.sha }}", push[0].With["tags"])
	assert.Equal(t, false, push[0].With["provenance"], "one manifest: the digest scanned is the digest deployed")
	assert.Contains(t, push[0].With["build-args"], "COMMIT=${{ github.sha }}", "GET / reports the commit the verification expects")
	assert.Contains(t, push[0].With["cache-from"], "type=gha")
	assert.Contains(t, push[0].With["cache-to"], "type=gha")

	for _, id := range []string{"staging", "production"} {
		var setsDigest bool
		for _, s := range w.job(t, id).Steps {
			if strings.Contains(s.Run, `pulumi config set octabyte:appImage "$DIGEST"`) {
				setsDigest = true
				assert.Contains(t, s.Run, `pulumi config set octabyte:appCommit "$COMMIT"`, "%s records the commit", id)
				assert.Contains(t, s.Run, "pulumi up --yes", "%s: config set, then up", id)
			}
		}
		assert.True(t, setsDigest, "%s sets octabyte:appImage to the digest", id)
	}
	copyStep := w.job(t, "production").step(t, "Copy the image by digest from staging's repository")
	assert.Contains(t, copyStep.Run, `crane copy "$STAGING_REPOSITORY_URL@$DIGEST"`, "copied by digest, not by tag")
	assert.Contains(t, copyStep.Run, `[ "$copied" = "$DIGEST" ] || fail`, "the copy is verified")
}

func TestAFirstRunCreatesTheRepositoriesBeforePushing(t *testing.T) {
	w := one(t, "deploy.yml")
	assert.Contains(t, w.job(t, "build").Needs, "staging-repository")
	for _, id := range []string{"staging-repository", "production"} {
		s := w.job(t, id).step(t, "Find the repository (create the stack's resources on the first run)")
		assert.Contains(t, s.Run, "pulumi stack output ecrRepositoryUrl")
		assert.Contains(t, s.Run, "pulumi up --yes")
	}
}

func TestPreviewsCommentOnPullRequestsForBothStacks(t *testing.T) {
	w := one(t, "pr-check.yml")
	preview := w.job(t, "preview")
	assert.ElementsMatch(t, []any{"staging", "prod"}, preview.Strategy.Matrix["stack"])
	steps := preview.stepsUsing("pulumi/actions")
	var previews []step
	for _, s := range steps {
		if s.With["command"] == "preview" {
			previews = append(previews, s)
		}
	}
	require.Len(t, previews, 1)
	p := previews[0].With
	assert.Equal(t, "${{ matrix.stack }}", p["stack-name"])
	assert.Equal(t, true, p["comment-on-pr"])
	assert.Equal(t, true, p["edit-pr-comment"])
	assert.Equal(t, ".", p["work-dir"])
	assert.Equal(t, "policy/pack", p["policyPacks"], "the guardrails pack runs on every preview")
	assert.Equal(t, "${{ vars.PULUMI_BACKEND_URL }}", preview.Env["PULUMI_BACKEND_URL"])
	assert.Equal(t, "${{ vars.PULUMI_SECRETS_PROVIDER }}", p["secrets-provider"])
	assert.Equal(t, "write", preview.permissions(t)["pull-requests"])

	creds := preview.stepsUsing("aws-actions/configure-aws-credentials")
	require.Len(t, creds, 1)
	assert.Equal(t, "${{ vars.AWS_PREVIEW_ROLE_ARN }}", creds[0].With["role-to-assume"])

	comment := w.job(t, "cost-comment")
	assert.ElementsMatch(t, []any{"staging", "prod"}, comment.Strategy.Matrix["stack"])
	sticky := comment.stepsUsing("marocchino/sticky-pull-request-comment")
	require.Len(t, sticky, 1)
	assert.Equal(t, "cost-${{ matrix.stack }}", sticky[0].With["header"])
	assert.Equal(t, "${{ needs.cost.outputs[matrix.stack] }}", sticky[0].With["message"])
}

func TestCostDiffComparesTheHeadWithTheBaseRevision(t *testing.T) {
	w := one(t, "pr-check.yml")
	cost := w.job(t, "cost")
	assert.Equal(t, map[string]string{"contents": "read"}, cost.permissions(t), "runs PR code: no write token")
	var base bool
	for _, s := range cost.stepsUsing("actions/checkout") {
		if s.With["ref"] == "${{ github.event.pull_request.base.sha }}" {
			base = true
			assert.Equal(t, ".base", s.With["path"])
		}
	}
	assert.True(t, base, "the base revision is checked out")
	diff := cost.step(t, "Plan both stacks at the base and at the head, and diff their cost")
	assert.Contains(t, diff.Run, `(cd .base && go run . plan --stack "$stack" --json) > "base-$stack.json"`)
	assert.Contains(t, diff.Run, `go run . plan --stack "$stack" --cost-diff "base-$stack.json" > "cost-$stack.md"`)
}

func TestForkPullRequestsSkipPreviewsWithANotice(t *testing.T) {
	w := one(t, "pr-check.yml")
	const sameRepo = "github.event.pull_request.head.repo.full_name == github.repository"
	for _, id := range sortedJobs(w) {
		j := w.Jobs[id]
		perms := j.permissions(t)
		if perms["id-token"] == "write" || perms["pull-requests"] == "write" {
			assert.Contains(t, j.If, sameRepo, "%s needs OIDC or a write token, which forks do not get", id)
		}
	}
	notice := w.job(t, "fork-notice")
	assert.Contains(t, notice.If, "github.event.pull_request.head.repo.full_name != github.repository")
	assert.Contains(t, notice.Steps[0].Run, "::notice")
}

var (
	pinned    = regexp.MustCompile(`^[A-Za-z0-9_.-]+/[A-Za-z0-9_./-]+@[0-9a-f]{40}$`)
	versioned = regexp.MustCompile(`^# v?\d+(\.\d+)*$`)
)

// usesNodes finds every `uses:` value with its line comment.
func usesNodes(n *yaml.Node, out *[][2]*yaml.Node) {
	if n.Kind == yaml.MappingNode {
		for i := 0; i+1 < len(n.Content); i += 2 {
			if n.Content[i].Value == "uses" {
				*out = append(*out, [2]*yaml.Node{n.Content[i], n.Content[i+1]})
			}
		}
	}
	for _, c := range n.Content {
		usesNodes(c, out)
	}
}

func TestEveryActionIsPinnedToACommitWithItsVersion(t *testing.T) {
	for file, w := range load(t) {
		var uses [][2]*yaml.Node
		usesNodes(&w.root, &uses)
		require.NotEmpty(t, uses, file)
		for _, u := range uses {
			ref := u[1].Value
			if strings.HasPrefix(ref, "./") {
				continue // local actions and reusable workflows live in this repository
			}
			assert.Regexp(t, pinned, ref, "%s:%d: %s is not pinned to a full commit SHA", file, u[1].Line, ref)
			assert.Regexp(t, versioned, u[1].LineComment, "%s:%d: %s needs its version as a comment", file, u[1].Line, ref)
		}
	}
}

func TestSameActionSameCommitEverywhere(t *testing.T) {
	seen := map[string]string{}
	for file, w := range load(t) {
		var uses [][2]*yaml.Node
		usesNodes(&w.root, &uses)
		for _, u := range uses {
			name, sha, ok := strings.Cut(u[1].Value, "@")
			if !ok {
				continue
			}
			if prev, dup := seen[name]; dup {
				assert.Equal(t, prev, sha, "%s: %s pinned to two commits", file, name)
			}
			seen[name] = sha
		}
	}
}

func TestNoLongLivedAWSKeysAnywhere(t *testing.T) {
	for file, w := range load(t) {
		for _, banned := range []string{"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "aws-access-key-id", "aws-secret-access-key", "AWS_SESSION_TOKEN"} {
			assert.NotContains(t, w.raw, banned, file)
		}
		for _, id := range sortedJobs(w) {
			for _, s := range w.Jobs[id].stepsUsing("aws-actions/configure-aws-credentials") {
				assert.Contains(t, s.With["role-to-assume"], "${{ vars.", "%s/%s: credentials come from a role assumed with OIDC", file, id)
			}
		}
	}
}

func TestPermissionsAreExplicitPerJob(t *testing.T) {
	for file, w := range load(t) {
		assert.Equal(t, yaml.MappingNode, w.Permissions.Kind, "%s: top-level permissions must be {}", file)
		assert.Empty(t, w.Permissions.Content, "%s: top-level permissions must be {}: each job asks for its own", file)
		for _, id := range sortedJobs(w) {
			perms := w.Jobs[id].permissions(t)
			for scope, level := range perms {
				assert.Contains(t, []string{"read", "write", "none"}, level, "%s/%s %s", file, id, scope)
			}
		}
	}
}

func TestIDTokenOnlyWhereOIDCIsUsed(t *testing.T) {
	for file, w := range load(t) {
		for _, id := range sortedJobs(w) {
			j := w.Jobs[id]
			usesOIDC := len(j.stepsUsing("aws-actions/configure-aws-credentials")) > 0
			assert.Equal(t, usesOIDC, j.permissions(t)["id-token"] == "write",
				"%s/%s: id-token: write exactly when the job assumes an AWS role", file, id)
		}
	}
}

func TestPullRequestWriteOnlyWhereAJobComments(t *testing.T) {
	for file, w := range load(t) {
		for _, id := range sortedJobs(w) {
			j := w.Jobs[id]
			comments := len(j.stepsUsing("marocchino/sticky-pull-request-comment")) > 0
			for _, s := range j.stepsUsing("pulumi/actions") {
				if s.With["comment-on-pr"] == true {
					comments = true
				}
			}
			assert.Equal(t, comments, j.permissions(t)["pull-requests"] == "write", "%s/%s", file, id)
			assert.NotEqual(t, "write", j.permissions(t)["contents"], "%s/%s: no workflow pushes to the repository", file, id)
		}
	}
}

func TestScansFailOnHighAndCriticalFindings(t *testing.T) {
	w := one(t, "pr-check.yml")
	types := map[string]bool{}
	for _, id := range sortedJobs(w) {
		for _, s := range w.Jobs[id].stepsUsing("aquasecurity/trivy-action") {
			types[s.With["scan-type"].(string)] = true
			assert.Equal(t, "1", s.With["exit-code"], "%s: a finding fails the check", s.Name)
			assert.Equal(t, "HIGH,CRITICAL", s.With["severity"], s.Name)
			assert.Equal(t, true, s.With["ignore-unfixed"], s.Name)
		}
	}
	assert.Equal(t, map[string]bool{"fs": true, "image": true}, types, "a filesystem and an image scan")

	hadolint := w.job(t, "hadolint").step(t, "hadolint (warnings and errors fail)")
	assert.Regexp(t, `^ghcr\.io/hadolint/hadolint:v[0-9.]+@sha256:[0-9a-f]{64}$`, hadolint.Env["HADOLINT_IMAGE"], "pinned by digest")
	assert.Contains(t, hadolint.Run, `"$HADOLINT_IMAGE" hadolint --failure-threshold warning - < Dockerfile`)

	var govuln []string
	for _, s := range w.job(t, "govulncheck").Steps {
		if strings.Contains(s.Run, "govulncheck") {
			govuln = append(govuln, s.Run)
		}
	}
	assert.Len(t, govuln, 2, "both modules")
}

func TestEveryJobHasATimeout(t *testing.T) {
	for file, w := range load(t) {
		for _, id := range sortedJobs(w) {
			m := w.Jobs[id].TimeoutMinutes
			assert.True(t, m > 0 && m <= 120, "%s/%s: timeout-minutes = %d", file, id, m)
		}
	}
}

// untrusted are contexts an outsider controls: PR and issue text, branch
// names, commit messages.
var untrusted = regexp.MustCompile(`\$\{\{[^}]*(github\.event\.(pull_request\.(title|body|head\.ref|head\.label)|issue\.(title|body)|comment\.body|review\.body|review_comment\.body|head_commit\.(message|author)|commits)|github\.head_ref)`)

func TestNoUntrustedTextInScripts(t *testing.T) {
	for file, w := range load(t) {
		for _, id := range sortedJobs(w) {
			for _, s := range w.Jobs[id].Steps {
				assert.NotRegexp(t, untrusted, s.Run, "%s/%s step %q: pass it through env:", file, id, s.Name)
			}
		}
	}
	assert.True(t, untrusted.MatchString("echo ${{ github.event.pull_request.title }}"), "the pattern itself works")
	assert.True(t, untrusted.MatchString("echo ${{github.head_ref}}"))
}

func TestNoSecretIsPrintedOrPutInAScript(t *testing.T) {
	for file, w := range load(t) {
		for _, id := range sortedJobs(w) {
			for _, s := range w.Jobs[id].Steps {
				assert.NotContains(t, s.Run, "secrets.", "%s/%s %q: secrets go to action inputs only", file, id, s.Name)
				for k, v := range s.Env {
					assert.NotContains(t, v, "secrets.", "%s/%s %q env %s", file, id, s.Name, k)
				}
			}
		}
	}
}

func TestDeploysAreSerialisedPerStackAndNeverCancelled(t *testing.T) {
	w := one(t, "deploy.yml")
	groups := map[string]string{}
	for _, id := range []string{"staging", "production"} {
		c := w.job(t, id).Concurrency
		require.NotNil(t, c, id)
		assert.False(t, c.CancelInProgress, "%s: a running pulumi up is never cancelled", id)
		groups[id] = c.Group
	}
	assert.NotEqual(t, groups["staging"], groups["production"], "one group per stack")
	assert.Nil(t, w.Concurrency, "no workflow-wide group: a run waiting for approval must not hold staging")

	pr := one(t, "pr-check.yml")
	require.NotNil(t, pr.Concurrency)
	assert.True(t, pr.Concurrency.CancelInProgress, "a new push cancels the checks of the previous one")
	assert.Contains(t, pr.Concurrency.Group, "github.event.pull_request.number")
}

func TestDeployRunsOnlyFromMain(t *testing.T) {
	w := one(t, "deploy.yml")
	var on struct {
		Push struct {
			Branches []string `yaml:"branches"`
		} `yaml:"push"`
	}
	require.NoError(t, w.On.Decode(&on))
	assert.Equal(t, []string{"main"}, on.Push.Branches)
	for _, id := range []string{"resolve", "notify"} {
		assert.Contains(t, w.job(t, id).If, "github.ref == 'refs/heads/main'", "%s: workflow_dispatch from another branch deploys nothing", id)
	}
	var after func(id string) bool // id needs resolve, directly or not
	after = func(id string) bool {
		return slices.ContainsFunc(w.Jobs[id].Needs, func(n string) bool { return n == "resolve" || after(n) })
	}
	for _, id := range sortedJobs(w) {
		if id != "resolve" && id != "notify" {
			assert.True(t, after(id), "%s runs only after resolve, which runs only on main", id)
		}
	}
}

// The repository variables the bootstrap stack's githubSetupCommands output
// sets (bootstrap/account/account.go), and the two
// .github/scripts/production-approval.sh sets.
var bootstrapVariables = []string{"AWS_REGION", "PULUMI_BACKEND_URL", "PULUMI_SECRETS_PROVIDER", "AWS_PREVIEW_ROLE_ARN", "AWS_STAGING_ROLE_ARN", "AWS_PRODUCTION_ROLE_ARN",
	"PRODUCTION_APPROVAL", "PRODUCTION_APPROVERS"}

func TestWorkflowsReadOnlyVariablesTheBootstrapSets(t *testing.T) {
	vars := regexp.MustCompile(`vars\.([A-Z0-9_]+)`)
	for file, w := range load(t) {
		for _, m := range vars.FindAllStringSubmatch(w.raw, -1) {
			assert.Contains(t, bootstrapVariables, m[1], file)
		}
	}
	// The production role is an environment variable of production: only
	// the job running in that environment can read it.
	for file, w := range load(t) {
		for _, id := range sortedJobs(w) {
			for _, s := range w.Jobs[id].stepsUsing("aws-actions/configure-aws-credentials") {
				if s.With["role-to-assume"] == "${{ vars.AWS_PRODUCTION_ROLE_ARN }}" {
					assert.Equal(t, "production", w.Jobs[id].environment(), "%s/%s", file, id)
				}
			}
		}
	}
}

func TestNotificationsNeverFailTheRunAndSkipWithANotice(t *testing.T) {
	for _, file := range []string{"deploy.yml", "drift.yml"} {
		w := one(t, file)
		var slack, mail int
		for _, id := range sortedJobs(w) {
			j := w.Jobs[id]
			for _, action := range []string{"slackapi/slack-github-action", "dawidd6/action-send-mail"} {
				for _, s := range j.stepsUsing(action) {
					assert.Equal(t, true, s.ContinueOnError, "%s/%s %q", file, id, s.Name)
					assert.Regexp(t, `env\.HAS_(SLACK|MAIL) == 'true'`, s.If, "%s/%s %q runs only when configured", file, id, s.Name)
					if action == "slackapi/slack-github-action" {
						slack++
					} else {
						mail++
					}
				}
			}
			if len(j.stepsUsing("slackapi/slack-github-action")) > 0 {
				assert.Contains(t, j.step(t, "Slack not configured").Run, "::notice")
				assert.Contains(t, j.step(t, "Email not configured").Run, "::notice")
			}
		}
		assert.Equal(t, 1, slack, file)
		assert.Equal(t, 1, mail, file)
	}
	notify := one(t, "deploy.yml").job(t, "notify")
	assert.Contains(t, notify.If, "always()", "success and failure are both reported")
	assert.ElementsMatch(t, list{"resolve", "staging-repository", "build", "scan", "staging", "production"}, notify.Needs)
}

func TestDriftCheckExpectsNoChangesOnBothStacks(t *testing.T) {
	w := one(t, "drift.yml")
	var on map[string]any
	require.NoError(t, w.On.Decode(&on))
	assert.Contains(t, on, "schedule")
	j := w.job(t, "drift")
	assert.ElementsMatch(t, []any{"staging", "prod"}, j.Strategy.Matrix["stack"])
	p := j.step(t, "pulumi preview --refresh")
	assert.Contains(t, p.Run, `pulumi preview --refresh --json`)
	assert.Equal(t, "preview", p.ID)
	creds := j.stepsUsing("aws-actions/configure-aws-credentials")
	require.Len(t, creds, 1)
	assert.Equal(t, "${{ vars.AWS_PREVIEW_ROLE_ARN }}", creds[0].With["role-to-assume"], "drift checks are read-only")
	assert.Equal(t, "always() && steps.result.outputs.result != 'clean'", j.step(t, "Fail unless clean").If)
}

// Previews, drift checks and bring-ups put the deployed image back into the
// stack's config (from its appImage output) before running the program:
// otherwise each would plan to take the image away.
func TestTheDeployedImageIsRestoredBeforeAnyPreview(t *testing.T) {
	cases := []struct{ file, job string }{
		{"pr-check.yml", "preview"}, {"drift.yml", "drift"},
		{"deploy.yml", "staging-repository"}, {"deploy.yml", "staging"}, {"deploy.yml", "production"},
	}
	script, err := os.ReadFile("../../.github/scripts/select-stack.sh")
	require.NoError(t, err)
	assert.Contains(t, string(script), "for key in appImage appCommit")
	assert.Contains(t, string(script), `pulumi stack output "$key"`)
	assert.Contains(t, string(script), `pulumi config set "octabyte:$key" "$value"`)
	const restore = "Select the stack and restore its deployed image"
	for _, c := range cases {
		j := one(t, c.file).job(t, c.job)
		r := j.step(t, restore)
		assert.Equal(t, "bash .github/scripts/select-stack.sh", strings.TrimSpace(r.Run), "%s/%s: one script restores the image everywhere", c.file, c.job)
		var restored, runs bool
		for _, s := range j.Steps {
			restored = restored || s.Name == restore
			if s.With["command"] == "preview" || strings.Contains(s.Run, "pulumi preview") || strings.Contains(s.Run, "pulumi up") {
				runs = true
				assert.True(t, restored, "%s/%s: %q runs the program before the image is restored", c.file, c.job, s.Name)
			}
		}
		assert.True(t, runs, "%s/%s runs the program", c.file, c.job)
	}
}

// The pull request's test job runs `make test-app`, whose tests fail (never
// skip) without their system packages: it installs every package the
// Makefile's APP_TEST_PACKAGES names. GitHub's Ubuntu image has neither
// the PostgreSQL server binaries nor HAProxy.
func TestPullRequestTestsInstallWhatTheAppTestsNeed(t *testing.T) {
	makefile, err := os.ReadFile("../../Makefile")
	require.NoError(t, err)
	m := regexp.MustCompile(`(?m)^APP_TEST_PACKAGES := (.+)$`).FindSubmatch(makefile)
	require.NotNil(t, m, "the Makefile lists APP_TEST_PACKAGES")
	packages := strings.Fields(string(m[1]))
	require.NotEmpty(t, packages)

	j := one(t, "pr-check.yml").job(t, "test")
	var installed []string
	for i, s := range j.Steps {
		if strings.Contains(s.Run, "make test-app") {
			assert.Subset(t, installed, packages, "the test job installs the app tests' packages before step %d runs them", i)
			return
		}
		for _, line := range strings.Split(s.Run, "\n") {
			if _, args, ok := strings.Cut(line, "apt-get install"); ok {
				installed = append(installed, strings.Fields(args)...)
			}
		}
	}
	t.Fatal("the test job runs no make test-app")
}
