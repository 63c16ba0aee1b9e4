package main

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/octabyte/octabyte/guardrails"
	"github.com/octabyte/octabyte/plan"
)

// ecsModel is what ECS does with the task definition revisions a sequence of
// `pulumi up` runs registers for one service, as AWS documents its rolling
// deployments with the circuit breaker on and rollback on
// (API_DeploymentCircuitBreaker): a failed deployment "stops launching new
// tasks", and with rollback "the service is rolled back to the last
// deployment that completed successfully"; with none, nothing is rolled back
// to. The desired count stays what the service asks for.
type ecsModel struct {
	pushed    map[string]bool // images that exist in the repository
	completed []string        // images of deployments that completed
	running   string          // image the running tasks use ("" for none)
}

// deploy rolls out a task definition naming image; healthy says whether its
// tasks would pass their health checks.
func (m *ecsModel) deploy(t reporter, image string, healthy bool) {
	t.Helper()
	if healthy && m.pushed[image] {
		m.completed = append(m.completed, image)
		m.running = image
		return
	}
	if len(m.completed) == 0 {
		m.running = "" // FAILED: stops launching; there is nothing to roll back to
		return
	}
	target := m.completed[len(m.completed)-1]
	assert.True(t, m.pushed[target], "the circuit breaker rolls back to %s, which does not exist: the service can never start", target)
	m.running = target
}

type reporter interface {
	Helper()
	Errorf(format string, args ...any)
}

// failures records what a reporter was told.
type failures []string

func (f *failures) Helper() {}
func (f *failures) Errorf(format string, args ...any) {
	*f = append(*f, format)
}

// deployedImage runs the program with a stack's file and the given image,
// and returns the image its task definition names ("" when there is none).
func deployedImage(t *testing.T, stack, image string) (string, *plan.Plan) {
	t.Helper()
	cfg, err := plan.LoadStackConfig(".", stack)
	require.NoError(t, err)
	if image != "" {
		cfg["octabyte:appImage"] = image
	}
	p, err := plan.Run(run, stack, cfg)
	require.NoError(t, err)
	tds := p.ByType("aws:ecs/taskDefinition:TaskDefinition")
	if len(tds) == 0 {
		assert.Empty(t, p.ByType("aws:ecs/service:Service"), "a service needs a task definition")
		return "", p
	}
	require.Len(t, tds, 1)
	var defs []struct{ Image string }
	require.NoError(t, json.Unmarshal([]byte(tds[0].Input("containerDefinitions").(string)), &defs))
	require.Len(t, defs, 1)
	return defs[0].Image, p
}

func digestOf(b byte) string { return "sha256:" + strings.Repeat(string([]byte{b, b}), 32) }

// No image → first image → bad image, under the mock engine with the real
// stack files: no task definition ever names an image that does not exist,
// so a failed image rolls back to the last good one, or to nothing.
func TestNoServiceReferencesAnImageThatDoesNotExist(t *testing.T) {
	good, bad := digestOf('a'), digestOf('b')
	for _, stack := range stacks {
		t.Run(stack, func(t *testing.T) {
			img, p := deployedImage(t, stack, "")
			assert.Empty(t, img, "the empty-account bring-up registers no task definition")
			assert.Empty(t, p.Outputs["appImage"])
			repo := p.Outputs["ecrRepositoryUrl"].(string)
			require.NotEmpty(t, repo, "the repository exists for the first push")

			m := &ecsModel{pushed: map[string]bool{repo + "@" + good: true, repo + "@" + bad: true}}
			img, _ = deployedImage(t, stack, good)
			assert.Equal(t, repo+"@"+good, img)
			m.deploy(t, img, true)
			assert.Equal(t, repo+"@"+good, m.running)

			img, _ = deployedImage(t, stack, bad)
			m.deploy(t, img, false)
			assert.Equal(t, repo+"@"+good, m.running, "the old tasks keep serving")

			// A bad first image: nothing to roll back to, nothing broken either.
			first := &ecsModel{pushed: m.pushed}
			img, _ = deployedImage(t, stack, bad)
			first.deploy(t, img, false)
			assert.Empty(t, first.running)
			assert.Empty(t, first.completed)
		})
	}
}

// The model itself catches the old design: a bring-up task definition
// naming a placeholder tag becomes the rollback target of a failed image.
func TestECSModelRejectsARollbackToAMissingImage(t *testing.T) {
	var got failures
	m := &ecsModel{pushed: map[string]bool{"repo@" + digestOf('b'): true}, completed: []string{"repo:no-image-yet"}}
	m.deploy(&got, "repo@"+digestOf('b'), false)
	assert.Len(t, got, 1, "a rollback to an image that was never pushed must fail the test")
}

// The first `pulumi up` of a stack, without an image, passes every mandatory
// guardrail: the policy pack runs on it in CI.
func TestBringUpWithoutAnImagePassesTheGuardrails(t *testing.T) {
	for _, stack := range stacks {
		_, p := deployedImage(t, stack, "")
		assert.NoError(t, guardrails.Evaluate(guardrails.FromPlan(p), guardrails.Rules()).Err(), stack)
		_, dbIngress := p.Find("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule", "db-in-task")
		assert.False(t, dbIngress, "no tasks yet: nothing may reach the database")
	}
}

func TestDeployedCommitIsRecorded(t *testing.T) {
	cfg, err := plan.LoadStackConfig(".", "prod")
	require.NoError(t, err)
	commit := strings.Repeat("c0ffee12", 5)
	cfg["octabyte:appImage"], cfg["octabyte:appCommit"] = deployedDigest, commit
	p, err := plan.Run(run, "prod", cfg)
	require.NoError(t, err)
	assert.Equal(t, commit, p.Outputs["appCommit"])
	assert.Equal(t, deployedDigest, p.Outputs["appImage"])
}
