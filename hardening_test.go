package main

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/octabyte/octabyte/guardrails"
	"github.com/octabyte/octabyte/internal/cli"
	"github.com/octabyte/octabyte/plan"
)

// runWith runs a stack as deployed (with an image) with some config changed.
func runWith(t *testing.T, stack string, mode plan.Mode, changes map[string]string) *plan.Plan {
	t.Helper()
	cfg, err := plan.LoadStackConfig(".", stack)
	require.NoError(t, err)
	cfg["octabyte:appImage"] = deployedDigest
	for k, v := range changes {
		cfg[k] = v
	}
	p, err := plan.RunProject(plan.Project, mode, run, stack, cfg)
	require.NoError(t, err)
	return p
}

// prod's data lives in three resources; Pulumi's protect keeps the engine
// from deleting or replacing them, on top of AWS's own deletion guards.
func TestProdProtectsItsStatefulResources(t *testing.T) {
	stateful := []string{"aws:rds/instance:Instance", "aws:ecr/repository:Repository", "aws:s3/bucketV2:BucketV2"}
	for _, mode := range modes {
		for _, stack := range stacks {
			p := runStackIn(t, stack, mode)
			var protected []string
			for _, r := range p.Resources {
				if r.Protect {
					protected = append(protected, r.Type)
				}
			}
			if stack == "prod" {
				assert.ElementsMatch(t, stateful, protected, mode.String())
			} else {
				assert.Empty(t, protected, mode.String())
			}
		}
	}
	p := runWith(t, "prod", plan.Apply, map[string]string{"octabyte:protectResources": "false"})
	for _, r := range p.Resources {
		assert.False(t, r.Protect, "lifted by config: %s %s", r.Type, r.Name)
	}
}

// With privateEndpoints on the plan has the endpoints, and no rule lets the
// tasks (or anything) reach the internet: the NET-007 exception is gone.
func TestPrivateEndpointsLeaveNoInternetEgress(t *testing.T) {
	for _, mode := range modes {
		for _, stack := range stacks {
			p := runWith(t, stack, mode, map[string]string{"octabyte:privateEndpoints": "true", "octabyte:enableExecuteCommand": "true"})
			var services []any
			for _, e := range p.ByType("aws:ec2/vpcEndpoint:VpcEndpoint") {
				services = append(services, e.Input("serviceName"))
			}
			assert.ElementsMatch(t, []any{"com.amazonaws.ap-south-1.s3", "com.amazonaws.ap-south-1.ecr.api", "com.amazonaws.ap-south-1.ecr.dkr",
				"com.amazonaws.ap-south-1.logs", "com.amazonaws.ap-south-1.secretsmanager", "com.amazonaws.ap-south-1.ssmmessages"}, services)
			for _, r := range p.ByType("aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule") {
				assert.Nil(t, r.Input("cidrIpv4"), "%s %s", mode, r.Name)
			}
			rep := guardrails.Evaluate(guardrails.FromPlan(p), guardrails.Rules())
			require.NoError(t, rep.Err(), "%s %s", mode, stack)
			for _, v := range rep.Violations {
				assert.NotEqual(t, "NET-007", v.Rule.ID, "%s %s: %s", mode, stack, v.Finding.Message)
				assert.NotEqual(t, "NET-009", v.Rule.ID, "decided at preview too: %s %s: %s", mode, stack, v.Finding.Message)
			}
		}
	}
}

// NET-009 on the real endpoints: opening their group to anything but the
// tasks' HTTPS fails the plan.
func TestEndpointGroupOpenBeyondTheTasksFails(t *testing.T) {
	for _, mode := range modes {
		s := guardrails.FromPlan(runWith(t, "prod", mode, map[string]string{"octabyte:privateEndpoints": "true"}))
		mutate(s, "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule", "endpoints-in-task", func(in map[string]any) {
			delete(in, "referencedSecurityGroupId")
			in["cidrIpv4"] = "10.0.0.0/16"
		})
		var fired []string
		for _, v := range guardrails.Evaluate(s, guardrails.Rules()).Blocking() {
			fired = append(fired, v.Rule.ID)
		}
		assert.Equal(t, []string{"NET-009"}, fired, mode.String())
	}
}

// A config that would replace prod's database fails before anything is
// registered, at preview as at update; staging goes ahead (with a warning).
func TestProdRefusesAReplacingDatabaseChange(t *testing.T) {
	for _, mode := range modes {
		for _, stack := range stacks {
			cfg, err := plan.LoadStackConfig(".", stack)
			require.NoError(t, err)
			cfg["octabyte:dbName"] = "app"
			live := map[string]any{"dbInstanceIdentifier": "octabyte-" + stack, "dbName": "octabyte", "masterUsername": "octabyte", "engineVersion": "17.4"}
			p, err := plan.RunDeployed(plan.Deployed{DBInstances: []map[string]any{live}}, plan.Project, mode, run, stack, cfg)
			if stack == "staging" {
				assert.NoError(t, err, mode.String())
				continue
			}
			require.Error(t, err, mode.String())
			assert.Contains(t, err.Error(), `dbName: "octabyte" in AWS, "app" in the config`)
			assert.Contains(t, err.Error(), "safe path")
			assert.Empty(t, p.Resources, "refused before anything is registered")
		}
	}
}

func TestPlanRejectsAMisspeltKey(t *testing.T) {
	dir := t.TempDir()
	raw, err := os.ReadFile("Pulumi.staging.yaml")
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(filepath.Join(dir, "Pulumi.typo.yaml"), append(raw, []byte("  octabyte:desiredCont: \"3\"\n")...), 0o644))
	var out, errOut bytes.Buffer
	assert.Equal(t, 2, cli.Plan([]string{"--stack", "typo", "--dir", dir}, run, &out, &errOut))
	assert.Contains(t, errOut.String(), "octabyte:desiredCont: no such setting; did you mean octabyte:desiredCount?")
}

// `go run . drift` is what the drift workflow runs on the preview's JSON.
func TestDriftCommandExitsOneOnDriftOnly(t *testing.T) {
	for _, tc := range []struct {
		preview, instances string
		code               int
		out                string
	}{
		{"pending", "pending", 0, "pending maintenance: octabyte-prod: allocatedStorage 20 → 30"},
		{"drift", "pending", 1, "drift: update aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule db-in-task: description"},
		{"pending", "none", 1, "drift: update aws:rds/instance:Instance db"},
	} {
		var out, errOut bytes.Buffer
		code := cli.Drift([]string{"--preview", "database/testdata/preview-" + tc.preview + ".json", "--instances", "database/testdata/instances-" + tc.instances + ".json"}, &out, &errOut)
		assert.Equal(t, tc.code, code, errOut.String())
		assert.Contains(t, out.String(), tc.out)
	}
	var out, errOut bytes.Buffer
	assert.Equal(t, 2, cli.Drift([]string{"--preview", "preview.json"}, &out, &errOut))
	assert.Contains(t, errOut.String(), "--preview and --instances are required")
}
