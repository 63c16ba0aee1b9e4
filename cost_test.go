package main

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/octabyte/octabyte/config"
	"github.com/octabyte/octabyte/cost"
	"github.com/octabyte/octabyte/plan"
)

// estimateWith runs a stack with some config changed and estimates it.
func estimateWith(t *testing.T, stack string, changes map[string]string) *cost.Estimate {
	t.Helper()
	cfg, err := plan.LoadStackConfig(".", stack)
	require.NoError(t, err)
	for k, v := range changes {
		cfg[k] = v
	}
	parsed, err := config.Parse(stack, func(k string) (string, bool) { v, ok := cfg[k]; return v, ok })
	require.NoError(t, err)
	p, err := plan.Run(run, stack, cfg)
	require.NoError(t, err)
	e, err := cost.New(p, parsed.Cost)
	require.NoError(t, err)
	return e
}

func TestEveryResourceTypeIsPricedOrKnownFree(t *testing.T) {
	for _, stack := range stacks {
		e := estimateWith(t, stack, nil)
		assert.Empty(t, e.NotPriced, stack)
		assert.Greater(t, e.Total, 0.0)
	}
}

func TestProdCostsMoreThanStaging(t *testing.T) {
	assert.Greater(t, estimateWith(t, "prod", nil).Total, estimateWith(t, "staging", nil).Total)
}

// Each cost lever moves the estimate in the direction the README promises.
func TestCostLevers(t *testing.T) {
	cases := []struct {
		name          string
		cheap, costly map[string]string
	}{
		{"S3 gateway endpoint", map[string]string{"octabyte:s3GatewayEndpoint": "true"}, map[string]string{"octabyte:s3GatewayEndpoint": "false"}},
		{"ARM64 over X86_64", map[string]string{"octabyte:cpuArchitecture": "ARM64"}, map[string]string{"octabyte:cpuArchitecture": "X86_64"}},
		{"Fargate Spot", map[string]string{"octabyte:cpuArchitecture": "X86_64", "octabyte:fargateSpot": "true"}, map[string]string{"octabyte:cpuArchitecture": "X86_64"}},
		{"Container Insights off", map[string]string{"octabyte:containerInsights": "false"}, map[string]string{"octabyte:containerInsights": "true"}},
		{"shorter log retention", map[string]string{"octabyte:logRetentionDays": "7"}, map[string]string{"octabyte:logRetentionDays": "365"}},
		{"single NAT gateway", map[string]string{"octabyte:natGateways": "single"}, map[string]string{"octabyte:natGateways": "onePerAz"}},
		{"single-AZ database", map[string]string{"octabyte:dbMultiAz": "false"}, map[string]string{"octabyte:dbMultiAz": "true"}},
		{"no interface endpoints", map[string]string{"octabyte:privateEndpoints": "false"}, map[string]string{"octabyte:privateEndpoints": "true"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			cheap, costly := estimateWith(t, "staging", tc.cheap), estimateWith(t, "staging", tc.costly)
			assert.Less(t, cheap.Total, costly.Total)
		})
	}
}

// With private endpoints the tasks send nothing through NAT: its data line
// drops to zero while the endpoints' hours and data appear.
func TestPrivateEndpointsMoveTheTasksTrafficOffNAT(t *testing.T) {
	on := estimateWith(t, "staging", map[string]string{"octabyte:privateEndpoints": "true"})
	off := estimateWith(t, "staging", nil)
	item := func(e *cost.Estimate, name string) (float64, bool) {
		for _, l := range e.Lines {
			if l.Item == name {
				return l.Monthly, true
			}
		}
		return 0, false
	}
	nat, _ := item(on, "NAT data processing")
	assert.Zero(t, nat)
	nat, _ = item(off, "NAT data processing")
	assert.Positive(t, nat)
	for _, svc := range []string{"ecr.api", "ecr.dkr", "logs", "secretsmanager"} {
		monthly, ok := item(on, "VPC endpoint "+svc)
		assert.True(t, ok, svc)
		assert.InDelta(t, 2*730*0.011, monthly, 0.01, "%s: 2 AZs in ap-south-1", svc)
		_, ok = item(off, "VPC endpoint "+svc)
		assert.False(t, ok, svc)
	}
}
