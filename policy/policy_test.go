package policy

import (
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/property"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi/policyx"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/octabyte/octabyte/guardrails"
)

func TestPackHasOnePolicyPerRulePlusUnknowns(t *testing.T) {
	pack, err := Pack()
	require.NoError(t, err)
	assert.Equal(t, "octabyte-guardrails", pack.Name())
	assert.Len(t, pack.Policies(), len(guardrails.Rules())+1)
	for _, p := range pack.Policies() {
		_, ok := p.(policyx.StackValidationPolicy)
		assert.True(t, ok, p.Name())
	}
}

// The pack sees engine property values; converted, the same rules fire.
func TestEngineResourcesReachTheRules(t *testing.T) {
	bad := policyx.AnalyzerResource{
		Type: "aws:rds/instance:Instance", Name: "db", URN: "urn:pulumi:prod::octabyte::aws:rds/instance:Instance::db",
		Properties: property.NewMap(map[string]property.Value{
			"storageEncrypted":   property.New(false),
			"publiclyAccessible": property.New(true),
		}),
	}
	s := Stack([]policyx.AnalyzerResource{bad}, true)
	var fired []string
	for _, v := range guardrails.Evaluate(s, guardrails.Rules()).Blocking() {
		fired = append(fired, v.Rule.ID)
	}
	assert.Contains(t, fired, "DATA-001")
	assert.Contains(t, fired, "DATA-002")
	assert.Contains(t, fired, "DATA-007")
}

// An unknown value is never mistaken for data: a database whose security
// groups are computed waits for apply, while a literal that breaks a rule
// still fails at preview.
func TestUnknownsWaitButKnownViolationsFail(t *testing.T) {
	db := policyx.AnalyzerResource{
		Type: "aws:rds/instance:Instance", Name: "db", URN: "urn:pulumi:prod::octabyte::aws:rds/instance:Instance::db",
		Properties: property.NewMap(map[string]property.Value{
			"storageEncrypted":   property.New(property.Computed),
			"publiclyAccessible": property.New(true),
		}),
	}
	rep := guardrails.Evaluate(Stack([]policyx.AnalyzerResource{db}, true), guardrails.Rules())
	var blocking, waiting []string
	for _, v := range rep.Blocking() {
		blocking = append(blocking, v.Rule.ID)
	}
	for _, v := range rep.UnknownUntilApply() {
		waiting = append(waiting, v.Rule.ID)
	}
	assert.Contains(t, blocking, "DATA-002")
	assert.NotContains(t, blocking, "DATA-001")
	assert.Contains(t, waiting, "DATA-001")
}
