package workflows

import (
	"encoding/json"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"gopkg.in/yaml.v3"
)

// verifiedActions are the actions the workflows may use, at the commits
// that were checked: the tag named in the comment points at the commit
// (`git tag --points-at`), and its action.yml at that commit says
// `runs.using` as listed and declares these inputs (`git show
// <sha>:action.yml`; a trailing * marks `required: true`), in each action's
// repository snapshot. GitHub retires Node 20 runners: JavaScript actions
// must say node24. An input an action does not declare is only a warning on
// GitHub, and the value is silently ignored. Dependabot (github-actions)
// proposes new pins; add them here after the same check.
var verifiedActions = map[string]struct{ sha, version, runs, inputs string }{
	"actions/checkout": {"3d3c42e5aac5ba805825da76410c181273ba90b1", "v7.0.1", "node24",
		"repository ref token ssh-key ssh-known-hosts ssh-strict ssh-user persist-credentials path clean filter sparse-checkout sparse-checkout-cone-mode fetch-depth fetch-tags show-progress lfs submodules set-safe-directory github-server-url allow-unsafe-pr-checkout"},
	"actions/setup-go": {"b7ad1dad31e06c5925ef5d2fc7ad053ef454303e", "v7.0.0", "node24",
		"go-version go-version-file check-latest token cache cache-dependency-path architecture go-download-base-url"},
	"aws-actions/configure-aws-credentials": {"e6de054238d6b7531b4efff3b6587d9aade6a06c", "v6.2.3", "node24",
		"aws-region* aws-profile overwrite-aws-profile role-to-assume aws-access-key-id aws-secret-access-key aws-session-token web-identity-token-file role-chaining audience http-proxy no-proxy mask-aws-account-id role-duration-seconds role-external-id role-session-name role-skip-session-tagging transitive-tag-keys inline-session-policy managed-session-policies output-credentials output-env-credentials unset-current-credentials disable-retry retry-max-attempts special-characters-workaround use-existing-credentials allowed-account-ids force-skip-oidc action-timeout-s custom-tags sts-endpoint"},
	"aws-actions/amazon-ecr-login": {"03f1aad4c6c7ffd436567f42f9384779290529bd", "v2.1.7", "node24",
		"http-proxy mask-password registries registry-type skip-logout"},
	"pulumi/actions": {"8e5e406f4007fca908480587cb9893c07090f58d", "v7.0.0", "node24",
		"command stack-name pulumi-version pulumi-version-file work-dir comment-on-pr comment-on-pr-number comment-on-summary github-token cloud-url secrets-provider parallel message config-map expect-no-changes diff replace exclude exclude-dependents target target-dependents policyPacks policyPackConfigs refresh upsert remove edit-pr-comment color exclude-protected plan suppress-outputs suppress-progress always-include-summary continue-on-error log-verbosity log-flow debug"},
	"docker/setup-buildx-action": {"37fe631027851001ddb9b187196cc803df7f5f0e", "v4.3.0", "node24",
		"version driver driver-opts buildkitd-flags buildkitd-config buildkitd-config-inline use name endpoint platforms append keep-state cache-binary cleanup"},
	"docker/build-push-action": {"53b7df96c91f9c12dcc8a07bcb9ccacbed38856a", "v7.3.0", "node24",
		"add-hosts allow annotations attests build-args build-contexts builder cache-from cache-to call cgroup-parent context file labels load network no-cache no-cache-filters outputs platforms provenance pull push sbom secrets secret-envs secret-files shm-size ssh tags target ulimit github-token"},
	"marocchino/sticky-pull-request-comment": {"5770ad5eb8f42dd2c4f34da00c94c5381e49af88", "v3.0.5", "node24",
		"header append recreate delete only_create only_update hide_details hide hide_and_recreate hide_classify message path ignore_empty skip_unchanged follow_symbolic_links number number_force owner repo GITHUB_TOKEN"},
	"slackapi/slack-github-action": {"dcb1066f776dd043e64d0e8ba94ca15cc7e1875d", "v4.0.0", "node24",
		"api errors method payload payload-delimiter payload-file-path payload-templated proxy retries token webhook webhook-type"},
	"dawidd6/action-send-mail": {"94de994a9f6fffee200243214e17002e2920bb59", "v18", "node24",
		"connection_url server_address server_port secure username password subject* to from* body html_body cc bcc reply_to in_reply_to ignore_cert convert_markdown attachments priority headers nodemailerlog nodemailerdebug envelope_from envelope_to"},
	// Composite; it runs aquasecurity/setup-trivy v0.2.6 and actions/cache
	// v5.0.5 (both node24 or composite of node24) at pinned SHAs.
	"aquasecurity/trivy-action": {"ed142fd0673e97e23eac54620cfb913e5ce36c25", "v0.36.0", "composite",
		"scan-type image-ref input scan-ref exit-code ignore-unfixed vuln-type severity format template output skip-dirs skip-files cache-dir timeout ignore-policy hide-progress list-all-pkgs scanners trivyignores github-pat trivy-config tf-vars limit-severities-for-sarif docker-host version cache skip-setup-trivy token-setup-trivy"},
}

func TestEveryActionIsAVerifiedNode24Pin(t *testing.T) {
	for file, w := range load(t) {
		var uses [][2]*yaml.Node
		usesNodes(&w.root, &uses)
		for _, u := range uses {
			name, sha, _ := strings.Cut(u[1].Value, "@")
			v, ok := verifiedActions[name]
			if !assert.True(t, ok, "%s:%d: %s is not among the verified actions", file, u[1].Line, name) {
				continue
			}
			assert.Equal(t, v.sha, sha, "%s:%d: %s", file, u[1].Line, name)
			assert.Equal(t, "# "+v.version, u[1].LineComment, "%s:%d: %s", file, u[1].Line, name)
			assert.Contains(t, []string{"node24", "composite"}, v.runs, name)
		}
	}
}

// Every `with:` names an input the action declares at its pinned SHA, and
// every input it requires is given.
func TestEveryActionInputIsDeclaredAtItsPin(t *testing.T) {
	var checked int
	for file, w := range load(t) {
		for _, id := range sortedJobs(w) {
			for _, s := range w.Jobs[id].Steps {
				name, _, _ := strings.Cut(s.Uses, "@")
				v, ok := verifiedActions[name]
				if !ok {
					continue // TestEveryActionIsAVerifiedNode24Pin says so
				}
				declared := map[string]bool{}
				for _, in := range strings.Fields(v.inputs) {
					input, required := strings.CutSuffix(in, "*")
					declared[input] = true
					if required {
						assert.Contains(t, s.With, input, "%s/%s %s: %s is required", file, id, name, input)
					}
				}
				for input := range s.With {
					assert.True(t, declared[input], "%s/%s %s %s has no input %q", file, id, name, v.version, input)
					checked++
				}
			}
		}
	}
	assert.Greater(t, checked, 50)
}

// One Go version: the toolchain line of both modules, the Dockerfile's
// builder image, and what every setup-go step reads (go.mod's toolchain
// line: setup-go v7's parseGoVersionFile prefers it to the go line).
func TestOneGoVersionEverywhere(t *testing.T) {
	toolchain := regexp.MustCompile(`(?m)^toolchain go(\d+\.\d+\.\d+)$`)
	var versions []string
	for _, mod := range []string{"../../go.mod", "../../app/go.mod"} {
		raw, err := os.ReadFile(mod)
		require.NoError(t, err)
		m := toolchain.FindSubmatch(raw)
		require.NotNil(t, m, "%s needs a toolchain line", mod)
		versions = append(versions, string(m[1]))
	}
	dockerfile, err := os.ReadFile("../../Dockerfile")
	require.NoError(t, err)
	builder := regexp.MustCompile(`(?m)^FROM .*golang:(\d+\.\d+\.\d+)-`).FindSubmatch(dockerfile)
	require.NotNil(t, builder, "the Dockerfile builds with golang:X.Y.Z-...")
	versions = append(versions, string(builder[1]))
	for _, v := range versions {
		assert.Equal(t, versions[0], v, "go.mod, app/go.mod and the Dockerfile name one Go release")
	}
	for file, w := range load(t) {
		for _, id := range sortedJobs(w) {
			for _, s := range w.Jobs[id].stepsUsing("actions/setup-go") {
				assert.Equal(t, "go.mod", s.With["go-version-file"], "%s/%s", file, id)
				assert.Nil(t, s.With["go-version"], "%s/%s: no second source of the version", file, id)
			}
		}
	}
}

// setup-go's cache key is setup-go-<os>-<arch>-<image>-go-<version>-
// <hash of cache-dependency-path> (src/cache-restore.ts at the pinned
// SHA): the same inputs everywhere mean pull requests restore what main's
// jobs saved (a PR may read its base branch's caches).
func TestOneGoCacheKeySchemeEverywhere(t *testing.T) {
	var first map[string]any
	for file, w := range load(t) {
		for _, id := range sortedJobs(w) {
			for _, s := range w.Jobs[id].stepsUsing("actions/setup-go") {
				assert.Equal(t, "go.sum\napp/go.sum\n", s.With["cache-dependency-path"], "%s/%s", file, id)
				assert.Nil(t, s.With["cache"], "%s/%s: caching stays on", file, id)
				if first == nil {
					first = s.With
				}
				assert.Equal(t, first, s.With, "%s/%s", file, id)
			}
		}
	}
	require.NotNil(t, first)
}

// The roles each AWS job assumes, by the repository variable holding its
// ARN, and their logical names in the bootstrap program.
var roleOfVariable = map[string]string{
	"${{ vars.AWS_PREVIEW_ROLE_ARN }}":    "preview",
	"${{ vars.AWS_STAGING_ROLE_ARN }}":    "deploy-staging",
	"${{ vars.AWS_PRODUCTION_ROLE_ARN }}": "deploy-prod",
}

// Credentials outlive the jobs: configure-aws-credentials asks STS for
// role-duration-seconds (default 3600: DEFAULT_ROLE_DURATION in src/index.ts
// at the pinned SHA), which STS refuses above the role's MaxSessionDuration
// (AssumeRoleWithWebIdentity, DurationSeconds). Static credentials expire
// mid-job otherwise: a `pulumi up` creating a Multi-AZ database fails an
// hour in. So each job asks for at least its timeout, and each role allows
// what its jobs ask. The durations come from the bootstrap's own plan.
func TestCredentialsOutliveEveryJob(t *testing.T) {
	cmd := exec.Command("go", "run", "./bootstrap", "plan", "--stack", "bootstrap", "--json")
	cmd.Dir = "../.."
	out, err := cmd.Output()
	require.NoError(t, err, "go run ./bootstrap plan --json")
	var p struct {
		Resources []struct {
			Type, Name string
			Inputs     map[string]any
		}
	}
	require.NoError(t, json.Unmarshal(out, &p))
	maxSession := map[string]int{}
	for _, r := range p.Resources {
		if r.Type == "aws:iam/role:Role" {
			maxSession[r.Name] = int(r.Inputs["maxSessionDuration"].(float64))
		}
	}
	var checked int
	for file, w := range load(t) {
		for _, id := range sortedJobs(w) {
			j := w.Jobs[id]
			for _, s := range j.stepsUsing("aws-actions/configure-aws-credentials") {
				role, ok := roleOfVariable[s.With["role-to-assume"].(string)]
				require.True(t, ok, "%s/%s assumes %v", file, id, s.With["role-to-assume"])
				seconds, ok := s.With["role-duration-seconds"].(int)
				require.True(t, ok, "%s/%s: set role-duration-seconds (the default is one hour)", file, id)
				assert.GreaterOrEqual(t, seconds, j.TimeoutMinutes*60, "%s/%s: credentials expire before the job's timeout", file, id)
				assert.LessOrEqual(t, seconds, maxSession[role], "%s/%s: STS refuses more than %s's MaxSessionDuration", file, id, role)
				checked++
			}
		}
	}
	assert.Greater(t, checked, 5)
	assert.GreaterOrEqual(t, maxSession["deploy-prod"], 2*3600, "the first prod bring-up creates a Multi-AZ database")
}
