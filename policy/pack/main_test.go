package main

import (
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/property"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi/policyx"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/octabyte/octabyte/guardrails"
)

func TestPackHasOnePolicyPerRule(t *testing.T) {
	pack, err := Pack()
	require.NoError(t, err)
	assert.Equal(t, "octabyte-guardrails", pack.Name())
	assert.Len(t, pack.Policies(), len(guardrails.Rules()))
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
