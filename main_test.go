package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/octabyte/octabyte/internal/cli"
	"github.com/octabyte/octabyte/plan"
)

var stacks = []string{"staging", "prod"}

// deployedDigest is the image the deploy workflow configures
// (octabyte:appImage); the stack files hold none.
const deployedDigest = "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

// runStack runs the whole program with the stack's real config file and an
// image, as every deploy runs it. The first bring-up, without an image, is
// tested in deploy_test.go.
func runStack(t *testing.T, stack string) *plan.Plan {
	t.Helper()
	return runStackIn(t, stack, plan.Apply)
}

// previewStack runs the program as a first `pulumi preview` of the stack.
func previewStack(t *testing.T, stack string) *plan.Plan {
	t.Helper()
	return runStackIn(t, stack, plan.Preview)
}

func runStackIn(t *testing.T, stack string, mode plan.Mode) *plan.Plan {
	t.Helper()
	cfg, err := plan.LoadStackConfig(".", stack)
	require.NoError(t, err)
	cfg["octabyte:appImage"] = deployedDigest
	p, err := plan.RunProject(plan.Project, mode, run, stack, cfg)
	require.NoError(t, err)
	return p
}

func TestEveryResourceBelongsToAComponent(t *testing.T) {
	for _, stack := range stacks {
		t.Run(stack, func(t *testing.T) {
			p := runStack(t, stack)
			for _, r := range p.Resources {
				if r.Parent == "" {
					assert.False(t, r.Custom, "%s %s sits at the stack root; parent it to its component", r.Type, r.Name)
					assert.True(t, strings.HasPrefix(r.Type, "octabyte:"), "top-level %s is not an octabyte component", r.Type)
				}
			}
		})
	}
}

func TestComponentTypeTokens(t *testing.T) {
	p := runStack(t, "staging")
	var components []string
	for _, r := range p.Resources {
		if r.Parent == "" {
			components = append(components, r.Type+" "+r.Name)
		}
	}
	assert.ElementsMatch(t, []string{
		"octabyte:network:Network network", "octabyte:logging:Logging logging", "octabyte:database:Database database",
		"octabyte:compute:Compute compute", "octabyte:monitoring:Monitoring monitoring",
	}, components)
}

func TestStackOutputsArePresent(t *testing.T) {
	for _, stack := range stacks {
		t.Run(stack, func(t *testing.T) {
			p := runStack(t, stack)
			for _, key := range []string{"vpcId", "publicSubnetIds", "privateSubnetIds"} {
				assert.NotEmpty(t, p.Outputs[key], key)
			}
		})
	}
}

func TestStacksRunInAp_South_1WithTwoAZs(t *testing.T) {
	for _, stack := range stacks {
		p := runStack(t, stack)
		assert.Equal(t, "ap-south-1", p.Config["aws:region"])
		vpc := p.ByType("awsx:ec2:Vpc")
		require.Len(t, vpc, 1)
		assert.Equal(t, 2.0, vpc[0].Input("numberOfAvailabilityZones"))
	}
}

func TestBadConfigRegistersNothing(t *testing.T) {
	cfg, err := plan.LoadStackConfig(".", "staging")
	require.NoError(t, err)
	cfg["octabyte:azCount"] = "1"
	p, err := plan.Run(run, "staging", cfg)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "octabyte:azCount")
	assert.Empty(t, p.Resources, "invalid config must fail before any resource is registered")
}

func TestPlanCommandPrintsTheStack(t *testing.T) {
	for _, stack := range stacks {
		var out, errOut bytes.Buffer
		code := cli.Plan([]string{"--stack", stack}, run, &out, &errOut)
		require.Equal(t, 0, code, errOut.String())
		assert.Contains(t, out.String(), "octabyte:network:Network")
		assert.Contains(t, out.String(), "vpcId")
		assertDeployPermissions(t, stack, out.String())
	}
}

func TestPlanCommandRejectsABrokenStackFile(t *testing.T) {
	dir := t.TempDir()
	raw, err := os.ReadFile("Pulumi.staging.yaml")
	require.NoError(t, err)
	broken := string(raw) + "  octabyte:natGateways: everywhere\n"
	require.NoError(t, os.WriteFile(filepath.Join(dir, "Pulumi.broken.yaml"), []byte(broken), 0o644))
	var out, errOut bytes.Buffer
	code := cli.Plan([]string{"--stack", "broken", "--dir", dir}, run, &out, &errOut)
	assert.Equal(t, 2, code)
	assert.Contains(t, errOut.String(), `octabyte:natGateways = "everywhere": must be one of single, onePerAz`)
	assert.Empty(t, out.String())
}

// `plan --preview` is a first `pulumi preview`: the program runs to the
// end on unknowns, the tree says which values wait for apply, and no
// mandatory guardrail fails.
func TestPlanCommandPreview(t *testing.T) {
	for _, stack := range stacks {
		var out, errOut bytes.Buffer
		code := cli.Plan([]string{"--stack", stack, "--preview"}, run, &out, &errOut)
		require.Equal(t, 0, code, errOut.String())
		assert.Contains(t, out.String(), "As a first `pulumi preview` sees it")
		assert.Regexp(t, `albUrl\s+\(known after apply\)`, out.String())
		assert.Contains(t, out.String(), "unknown until apply DATA-003", "the bring-up (no image yet) waits for the subnets awsx assigns")
		assert.NotContains(t, out.String(), "FAIL")

		out.Reset()
		require.Equal(t, 0, cli.Plan([]string{"--stack", stack, "--preview", "--json"}, run, &out, &errOut), errOut.String())
		var doc struct {
			Mode    string
			Outputs map[string]any
		}
		require.NoError(t, json.Unmarshal(out.Bytes(), &doc))
		assert.Equal(t, "preview", doc.Mode)
		assert.Equal(t, map[string]any{"$unknown": "known after apply"}, doc.Outputs["vpcId"])
		assert.Equal(t, "/octabyte/"+stack+"/app", doc.Outputs["appLogGroupName"], "config-derived values stay known")
	}
}

func TestPlanCommandJSON(t *testing.T) {
	var out, errOut bytes.Buffer
	require.Equal(t, 0, cli.Plan([]string{"--stack", "prod", "--json"}, run, &out, &errOut), errOut.String())
	assert.True(t, strings.HasPrefix(strings.TrimSpace(out.String()), "{"))
	assert.Contains(t, out.String(), `"awsx:ec2:Vpc"`)
	assertJSONPermissions(t, out.Bytes())
}
