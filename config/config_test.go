package config_test

import (
	"encoding/json"
	"os"
	"slices"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"gopkg.in/yaml.v3"

	"github.com/octabyte/octabyte/config"
	"github.com/octabyte/octabyte/network"
	"github.com/octabyte/octabyte/plan"
)

func stackConfig(t *testing.T, stack string) map[string]string {
	t.Helper()
	cfg, err := plan.LoadStackConfig("..", stack)
	require.NoError(t, err)
	return cfg
}

func parse(stack string, cfg map[string]string) (*config.Config, error) {
	return config.Parse(stack, func(k string) (string, bool) { v, ok := cfg[k]; return v, ok })
}

func TestBothStacksParse(t *testing.T) {
	for _, stack := range []string{"staging", "prod"} {
		t.Run(stack, func(t *testing.T) {
			c, err := parse(stack, stackConfig(t, stack))
			require.NoError(t, err)
			assert.Equal(t, "ap-south-1", c.Region)
			assert.Equal(t, 2, c.Network.AZCount)
			assert.Equal(t, stack, c.DefaultTags["Environment"])
			assert.Equal(t, "octabyte", c.DefaultTags["Project"])
			assert.NotEmpty(t, c.DefaultTags["Owner"])
		})
	}
}

func TestNetworkDefaultsPerStack(t *testing.T) {
	staging, err := parse("staging", stackConfig(t, "staging"))
	require.NoError(t, err)
	prod, err := parse("prod", stackConfig(t, "prod"))
	require.NoError(t, err)
	assert.Equal(t, network.NATSingle, staging.Network.NAT, "staging keeps the seed's single NAT gateway")
	assert.Equal(t, network.NATOnePerAZ, prod.Network.NAT, "prod survives an AZ outage")
	assert.Equal(t, 14, staging.Network.FlowLogRetentionDays)
}

// Each bad value must produce an error that names the key, the bad value
// and what is allowed.
func TestInvalidValuesNameKeyValueAndAllowed(t *testing.T) {
	cases := []struct {
		key, value string
		want       []string
	}{
		{"octabyte:vpcCidr", "10.0.0.0/33", []string{"octabyte:vpcCidr", "10.0.0.0/33", "IPv4 CIDR"}},
		{"octabyte:vpcCidr", "not-a-cidr", []string{"octabyte:vpcCidr", "not-a-cidr", "IPv4 CIDR"}},
		{"octabyte:vpcCidr", "10.0.0.0/22", []string{"octabyte:vpcCidr", "/16"}},
		{"octabyte:vpcCidr", "8.8.0.0/16", []string{"octabyte:vpcCidr", "private range"}},
		{"octabyte:vpcCidr", "10.0.0.1/16", []string{"octabyte:vpcCidr", "10.0.0.0/16"}},
		{"octabyte:azCount", "1", []string{"octabyte:azCount", `"1"`, "between 2 and 3"}},
		{"octabyte:azCount", "two", []string{"octabyte:azCount", "whole number"}},
		{"octabyte:natGateways", "perSubnet", []string{"octabyte:natGateways", "perSubnet", "single, onePerAz"}},
		{"octabyte:logRetentionDays", "15", []string{"octabyte:logRetentionDays", `"15"`, "1, 3, 5, 7, 14, 30"}},
		{"aws:region", "mars-1", []string{"aws:region", "mars-1"}},
	}
	for _, tc := range cases {
		t.Run(tc.key+"="+tc.value, func(t *testing.T) {
			cfg := stackConfig(t, "staging")
			cfg[tc.key] = tc.value
			_, err := parse("staging", cfg)
			require.Error(t, err)
			for _, w := range tc.want {
				assert.Contains(t, err.Error(), w)
			}
		})
	}
}

func TestMissingDefaultTagsAreReported(t *testing.T) {
	cfg := stackConfig(t, "staging")
	cfg["aws:defaultTags"] = `{"tags":{"Project":"octabyte"}}`
	_, err := parse("staging", cfg)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "Environment, Owner")
}

func TestAllProblemsAreReportedAtOnce(t *testing.T) {
	cfg := stackConfig(t, "staging")
	cfg["octabyte:azCount"] = "9"
	cfg["octabyte:natGateways"] = "many"
	_, err := parse("staging", cfg)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "octabyte:azCount")
	assert.Contains(t, err.Error(), "octabyte:natGateways")
}

// Pulumi.yaml must declare every key the program reads, with the same type
// and default, so `pulumi config` users see what exists. Run with
// UPDATE_PULUMI_YAML=1 to rewrite its config section from the code.
func TestPulumiYamlDeclaresEveryKey(t *testing.T) {
	raw, err := os.ReadFile("../Pulumi.yaml")
	require.NoError(t, err)
	var project yaml.Node
	require.NoError(t, yaml.Unmarshal(raw, &project))
	var decoded struct {
		Name    string                    `yaml:"name"`
		Runtime any                       `yaml:"runtime"`
		Config  map[string]map[string]any `yaml:"config"`
	}
	require.NoError(t, project.Decode(&decoded))
	if os.Getenv("UPDATE_PULUMI_YAML") == "1" {
		rewriteConfigSection(t, raw)
		return
	}
	assert.Equal(t, "octabyte", decoded.Name)
	schema := config.Schema()
	var names []string
	for _, k := range schema {
		names = append(names, k.Name)
		decl, ok := decoded.Config[k.Name]
		if !assert.True(t, ok, "Pulumi.yaml does not declare %s", k.Name) {
			continue
		}
		assert.Equal(t, k.Type, decl["type"], "type of %s", k.Name)
		assert.Equal(t, k.Description, decl["description"], "description of %s", k.Name)
		assert.Equal(t, normalize(k.Default), normalize(decl["default"]), "default of %s", k.Name)
	}
	for name := range decoded.Config {
		assert.True(t, slices.Contains(names, name), "Pulumi.yaml declares %s, which the program never reads", name)
	}
}

func normalize(v any) string {
	b, _ := json.Marshal(v)
	var out any
	_ = json.Unmarshal(b, &out)
	b, _ = json.Marshal(out)
	return string(b)
}
