package config_test

import (
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
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
	assert.Equal(t, 14, staging.LogRetentionDays)
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
		{"octabyte:dbBackupRetentionDays", "40", []string{"octabyte:dbBackupRetentionDays", `"40"`, "between 0 and 35"}},
		{"octabyte:dbInstanceClass", "t3.micro", []string{"octabyte:dbInstanceClass", "db.t3.micro"}},
		{"octabyte:dbEngineVersion", "9.6", []string{"octabyte:dbEngineVersion", "14, 15, 16, 17"}},
		{"octabyte:dbAllocatedStorageGb", "10", []string{"octabyte:dbAllocatedStorageGb", "between 20 and 65536"}},
		{"octabyte:dbMaxAllocatedStorageGb", "19", []string{"octabyte:dbMaxAllocatedStorageGb"}},
		{"octabyte:dbMaxAllocatedStorageGb", "20", []string{`octabyte:dbMaxAllocatedStorageGb = "20": must be greater than octabyte:dbAllocatedStorageGb (20)`}},
		{"octabyte:dbBackupWindow", "19:00-19:20", []string{`octabyte:dbBackupWindow = "19:00-19:20": must be at least 30 minutes`}},
		{"octabyte:dbMaintenanceWindow", "sun:20:30-sun:20:50", []string{`octabyte:dbMaintenanceWindow = "sun:20:30-sun:20:50": must be at least 30 minutes`}},
		{"octabyte:dbMaintenanceWindow", "mon:19:30-mon:20:30", []string{`octabyte:dbMaintenanceWindow = "mon:19:30-mon:20:30": overlaps octabyte:dbBackupWindow (19:00-20:00, daily)`}},
		{"octabyte:protectResources", "yes", []string{"octabyte:protectResources", "true or false"}},
		{"octabyte:dbApplyImmediately", "later", []string{"octabyte:dbApplyImmediately", "true or false"}},
		{"octabyte:dbBackupWindow", "7pm", []string{"octabyte:dbBackupWindow", "hh:mm-hh:mm"}},
		{"octabyte:dbMonitoringInterval", "20", []string{"octabyte:dbMonitoringInterval", "0, 1, 5, 10, 15, 30, 60"}},
		{"octabyte:dbUsername", "postgres", []string{"octabyte:dbUsername", "reserved"}},
		{"octabyte:memory", "4096", []string{"octabyte:memory", "512, 1024, 2048 MiB with cpu 256"}},
		{"octabyte:cpu", "300", []string{"octabyte:cpu", "256, 512, 1024"}},
		{"octabyte:cpuArchitecture", "arm", []string{"octabyte:cpuArchitecture", "ARM64, X86_64"}},
		{"octabyte:appImage", "sha256:abc", []string{"octabyte:appImage", "64 hex"}},
		{"octabyte:appImage", "my image", []string{"octabyte:appImage", "tag"}},
		{"octabyte:appCommit", "abc123", []string{"octabyte:appCommit", "40 lowercase hex"}},
		{"octabyte:appCommit", "0123456789abcdef0123456789abcdef0123456", []string{"octabyte:appCommit", "40 lowercase hex"}}, // 39: a truncated SHA
		{"octabyte:appCommit", "0123456789ABCDEF0123456789ABCDEF01234567", []string{"octabyte:appCommit", "40 lowercase hex"}},
		{"octabyte:appCommit", "0123456789abcdef0123456789abcdef01234567", []string{"octabyte:appCommit", "octabyte:appImage, which is not set"}},
		{"octabyte:certificateArn", "arn:aws:acm:us-east-1:123456789012:certificate/00000000-0000-0000-0000-000000000000", []string{"octabyte:certificateArn", "ap-south-1"}},
		{"octabyte:certificateArn", "my-cert", []string{"octabyte:certificateArn", "ACM certificate ARN"}},
		{"octabyte:domainName", "App.Example.com", []string{"octabyte:domainName", `"App.Example.com"`, "lowercase DNS name"}},
		{"octabyte:domainName", "localhost", []string{"octabyte:domainName", "two or more labels"}},
		{"octabyte:domainName", "app.example.com.", []string{"octabyte:domainName", "lowercase DNS name"}},
		{"octabyte:domainName", "*.example.com", []string{"octabyte:domainName", "lowercase DNS name"}},
		{"octabyte:domainName", "https://app.example.com", []string{"octabyte:domainName", "lowercase DNS name"}},
		{"octabyte:domainName", "-app.example.com", []string{"octabyte:domainName", "inner hyphens"}},
		{"octabyte:domainName", strings.Repeat("a", 64) + ".example.com", []string{"octabyte:domainName", "at most 63"}},
		{"octabyte:domainName", "co.in", []string{"octabyte:domainName", "public suffix"}},
		{"octabyte:hostedZoneId", "/hostedzone/Z0123456789ABCDEFGHIJ", []string{"octabyte:hostedZoneId", "Route 53 hosted zone id", "without /hostedzone/"}},
		{"octabyte:hostedZoneId", "z0123456789abcdefghij", []string{"octabyte:hostedZoneId", "Route 53 hosted zone id"}},
		{"octabyte:hostedZoneId", "Z0123456789ABCDEFGHIJ", []string{"octabyte:hostedZoneId", "needs octabyte:domainName"}},
		{"octabyte:slackWorkspaceId", "#alerts", []string{"octabyte:slackWorkspaceId", `"#alerts"`, "Slack workspace id", "T07EA123LEP"}},
		{"octabyte:slackWorkspaceId", "T07EA123LEP", []string{"octabyte:slackChannelId", "must be set with octabyte:slackWorkspaceId"}},
		{"octabyte:slackChannelId", "C07EZ1ABC23", []string{"octabyte:slackWorkspaceId", "must be set with octabyte:slackChannelId"}},
		{"octabyte:slackChannelId", "alerts", []string{"octabyte:slackChannelId", `"alerts"`, "Slack channel id", "not the channel's name"}},
		{"octabyte:slackWorkspaceId", "C07EZ1ABC23", []string{"octabyte:slackWorkspaceId", `"C07EZ1ABC23"`, "Slack workspace id"}}, // a channel id in the workspace's key
		{"octabyte:slackChannelId", "C07ez1abc23", []string{"octabyte:slackChannelId", `"C07ez1abc23"`, "Slack channel id"}},       // ids are uppercase
		{"octabyte:desiredCount", "0", []string{"octabyte:desiredCount", "between 1 and 100"}},
		{"octabyte:dbSslMode", "disable", []string{"octabyte:dbSslMode", "require, verify-full"}},
		{"octabyte:budgetMarginPercent", "-5", []string{"octabyte:budgetMarginPercent", "between 0 and 1000"}},
		{"octabyte:budget", "yes please", []string{"octabyte:budget", "true or false"}},
		{"octabyte:sleepSchedule", "weekdays 8-20", []string{"octabyte:sleepSchedule", "weekdays 8-20", "mon-fri 08:00-20:00"}},
		{"octabyte:sleepSchedule", "mon-fri 20:00-08:00", []string{"octabyte:sleepSchedule", "must end after it starts"}},
		{"octabyte:sleepTimeZone", "India/Mumbai", []string{"octabyte:sleepTimeZone", "India/Mumbai", "IANA time zone"}},
		// Go reads both as a zone (the machine's, UTC); EventBridge Scheduler
		// takes neither.
		{"octabyte:sleepTimeZone", "Local", []string{"octabyte:sleepTimeZone", `"Local"`, "IANA time zone"}},
		{"octabyte:sleepTimeZone", "", []string{"octabyte:sleepTimeZone", `""`, "IANA time zone"}},
		{"octabyte:budgetMarginPercent", "1001", []string{"octabyte:budgetMarginPercent", "between 0 and 1000"}},
		{"octabyte:domainName", longDomain(254), []string{"octabyte:domainName", "lowercase DNS name"}}, // DNS names stop at 253 characters
		{"octabyte:hostedZoneId", "Z" + strings.Repeat("A", 32), []string{"octabyte:hostedZoneId", "Route 53 hosted zone id"}},
		{"octabyte:slackChannelId", "D07EZ1ABC23", []string{"octabyte:slackChannelId", "Slack channel id"}}, // a direct message, not a channel
		{"octabyte:iamPermissionsBoundaryArn", "my-boundary", []string{"octabyte:iamPermissionsBoundaryArn", "my-boundary", "IAM policy ARN", `"none"`}},
		{"octabyte:iamPermissionsBoundaryArn", "arn:aws:iam::123456789012:role/x", []string{"octabyte:iamPermissionsBoundaryArn", "IAM policy ARN"}},
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

// A key the program does not read is an error naming it and the closest
// known key, not a setting that silently never takes effect.
func TestUnknownKeysNameTheClosestKnownOne(t *testing.T) {
	cases := map[string]string{
		"octabyte:desiredCont":      "did you mean octabyte:desiredCount?",
		"octabyte:dbmultiaz":        "did you mean octabyte:dbMultiAz?",
		"octabyte:protectResource":  "did you mean octabyte:protectResources?",
		"octabyte:privateEndpoint":  "did you mean octabyte:privateEndpoints?",
		"octabyte:alarmEmail":       "did you mean octabyte:alarmEmails?",
		"octabyte:dbBackupWindows":  "did you mean octabyte:dbBackupWindow?",
		"octabyte:logRetentionDay":  "did you mean octabyte:logRetentionDays?",
		"octabyte:vpcCIDR":          "did you mean octabyte:vpcCidr?",
		"octabyte:nat":              "octabyte:nat: no such setting",
		"octabyte:fargateSpotArm64": "did you mean octabyte:fargateSpot?",
		"octabyte:DESIREDCOUNT":     "did you mean octabyte:desiredCount?", // case is ignored when finding the closest
	}
	for key, want := range cases {
		cfg := stackConfig(t, "staging")
		cfg[key] = "x"
		_, err := config.Parse("staging", func(k string) (string, bool) { v, ok := cfg[k]; return v, ok }, slices.Collect(maps.Keys(cfg))...)
		require.Error(t, err, key)
		assert.Contains(t, err.Error(), key+": no such setting", key)
		assert.Contains(t, err.Error(), want, key)
	}
	// Other namespaces belong to providers and Pulumi itself.
	cfg := stackConfig(t, "staging")
	cfg["aws:profile"] = "dev"
	_, err := config.Parse("staging", func(k string) (string, bool) { v, ok := cfg[k]; return v, ok }, slices.Collect(maps.Keys(cfg))...)
	assert.NoError(t, err)
}

// The offline plan and `pulumi up` both see every key: under the CLI the
// program reads them from PULUMI_CONFIG, as pulumi.Run does.
func TestLoadChecksEveryKeyPulumiPasses(t *testing.T) {
	cfg := stackConfig(t, "staging")
	cfg["octabyte:desiredCont"] = "3"
	raw, err := json.Marshal(cfg)
	require.NoError(t, err)
	t.Setenv("PULUMI_CONFIG", string(raw))
	_, err = plan.Run(func(ctx *pulumi.Context) error {
		_, err := config.Load(ctx)
		return err
	}, "staging", cfg)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "octabyte:desiredCont: no such setting; did you mean octabyte:desiredCount?")
}

// awsx splits the VPC into one block per AZ (see network.SubnetLayout):
// a /18 holds 2 AZs' /24 + /20 subnets but not 3.
func TestVpcCidrMustFitAwsxSubnetLayout(t *testing.T) {
	for _, tc := range []struct {
		cidr, azs string
		ok        bool
	}{
		{"10.0.0.0/16", "2", true}, {"10.0.0.0/16", "3", true},
		{"10.0.0.0/17", "2", true}, {"10.0.0.0/17", "3", true},
		{"10.0.0.0/18", "2", true}, {"10.0.0.0/18", "3", false},
		{"10.0.0.0/19", "2", false}, {"10.0.0.0/15", "2", false},
		{"10.0.0.0/29", "2", false}, {"10.0.0.0/32", "2", false}, // /32 used to panic SubnetLayout (negative shift)
	} {
		cfg := stackConfig(t, "staging")
		cfg["octabyte:vpcCidr"], cfg["octabyte:azCount"] = tc.cidr, tc.azs
		_, err := parse("staging", cfg)
		if tc.ok {
			assert.NoError(t, err, "%s with %s AZs", tc.cidr, tc.azs)
			continue
		}
		require.Error(t, err, "%s with %s AZs", tc.cidr, tc.azs)
		assert.Contains(t, err.Error(), fmt.Sprintf("octabyte:vpcCidr = %q", tc.cidr))
	}
	cfg := stackConfig(t, "staging")
	cfg["octabyte:vpcCidr"], cfg["octabyte:azCount"] = "10.0.0.0/18", "3"
	_, err := parse("staging", cfg)
	assert.Contains(t, err.Error(), "is too small for 3 AZs")
	// Below AWS's smallest VPC block the error says so, not that awsx
	// cannot fit the subnets.
	cfg["octabyte:vpcCidr"], cfg["octabyte:azCount"] = "10.0.0.0/29", "2"
	_, err = parse("staging", cfg)
	assert.ErrorContains(t, err, "must be /28 or larger")
}

// RDS: each window at least 30 minutes, and the daily backup window never
// inside the weekly maintenance window, across midnight and the week's end.
func TestBackupAndMaintenanceWindows(t *testing.T) {
	for _, tc := range []struct {
		backup, maintenance string
		ok                  bool
	}{
		{"19:00-20:00", "sun:20:30-sun:21:30", true},
		{"19:00-19:30", "sun:20:00-sun:20:30", true},
		{"23:30-00:30", "mon:00:30-mon:01:00", true},
		{"23:30-00:30", "mon:00:00-mon:01:00", false}, // the backup window runs past midnight into it
		{"00:00-01:00", "sun:23:30-mon:00:30", false}, // the maintenance window wraps the week
		{"19:00-20:00", "wed:19:59-wed:21:00", false},
		{"19:00-20:00", "wed:20:00-wed:21:00", true},
	} {
		cfg := stackConfig(t, "staging")
		cfg["octabyte:dbBackupWindow"], cfg["octabyte:dbMaintenanceWindow"] = tc.backup, tc.maintenance
		_, err := parse("staging", cfg)
		if tc.ok {
			assert.NoError(t, err, "%s / %s", tc.backup, tc.maintenance)
		} else if assert.Error(t, err, "%s / %s", tc.backup, tc.maintenance) {
			assert.Contains(t, err.Error(), "octabyte:dbMaintenanceWindow")
			assert.Contains(t, err.Error(), "overlaps octabyte:dbBackupWindow")
		}
	}
}

// Tasks without internet egress pull image layers from S3 through the
// gateway endpoint: turning it off with private endpoints on is an error.
func TestPrivateEndpointsNeedTheS3GatewayEndpoint(t *testing.T) {
	cfg := stackConfig(t, "staging")
	cfg["octabyte:privateEndpoints"], cfg["octabyte:s3GatewayEndpoint"] = "true", "false"
	_, err := parse("staging", cfg)
	require.Error(t, err)
	assert.Contains(t, err.Error(), `octabyte:s3GatewayEndpoint = "false": must be true when octabyte:privateEndpoints is true`)

	cfg["octabyte:privateEndpoints"] = "false"
	_, err = parse("staging", cfg)
	assert.NoError(t, err, "without private endpoints NAT carries the layers")
}

// Fargate Spot runs ARM64 tasks on platform 1.4.0 or later (ECS API
// reference, CapacityProviderStrategyItem), the LATEST a service gets.
func TestFargateSpotRunsBothArchitectures(t *testing.T) {
	for _, arch := range []string{"ARM64", "X86_64"} {
		cfg := stackConfig(t, "staging")
		cfg["octabyte:fargateSpot"], cfg["octabyte:cpuArchitecture"] = "true", arch
		c, err := parse("staging", cfg)
		require.NoError(t, err, arch)
		assert.True(t, c.Compute.FargateSpot)
	}
}

func TestProdProtectsItsDataAndDefersDatabaseChanges(t *testing.T) {
	prod, err := parse("prod", stackConfig(t, "prod"))
	require.NoError(t, err)
	assert.True(t, prod.Database.Protect)
	assert.True(t, prod.Compute.ProtectRepository)
	assert.True(t, prod.Logging.Protect)
	assert.False(t, prod.Database.ApplyImmediately, "prod's changes wait for the maintenance window")
	staging, err := parse("staging", stackConfig(t, "staging"))
	require.NoError(t, err)
	assert.False(t, staging.Database.Protect || staging.Compute.ProtectRepository || staging.Logging.Protect)
	assert.True(t, staging.Database.ApplyImmediately)
}

func TestValidFargateSizesAreAccepted(t *testing.T) {
	for cpu, memories := range config.FargateMemory {
		for _, mem := range []int{memories[0], memories[len(memories)-1]} {
			cfg := stackConfig(t, "staging")
			cfg["octabyte:cpu"], cfg["octabyte:memory"] = fmt.Sprint(cpu), fmt.Sprint(mem)
			_, err := parse("staging", cfg)
			assert.NoError(t, err, "cpu %d memory %d", cpu, mem)
		}
	}
}

func TestStagingIsCheapAndProdIsHighlyAvailable(t *testing.T) {
	staging, err := parse("staging", stackConfig(t, "staging"))
	require.NoError(t, err)
	prod, err := parse("prod", stackConfig(t, "prod"))
	require.NoError(t, err)

	assert.Equal(t, 1, staging.Compute.DesiredCount)
	assert.False(t, staging.Database.MultiAZ)
	assert.False(t, staging.Database.DeletionProtection)
	assert.False(t, staging.Database.FinalSnapshot)
	assert.LessOrEqual(t, staging.Database.BackupRetentionDays, 1)
	assert.True(t, staging.Logging.ForceDestroy)

	assert.GreaterOrEqual(t, prod.Compute.DesiredCount, 2)
	assert.True(t, prod.Database.MultiAZ)
	assert.True(t, prod.Database.DeletionProtection)
	assert.True(t, prod.Database.FinalSnapshot)
	assert.GreaterOrEqual(t, prod.Database.BackupRetentionDays, 7)
	assert.True(t, prod.Compute.ContainerInsights)
	assert.True(t, prod.Compute.DeletionProtection)
	assert.False(t, prod.Logging.ForceDestroy)
	assert.False(t, prod.Compute.ForceDelete)
}

func TestAccessLogsExpireAfterTheyTransition(t *testing.T) {
	cfg := stackConfig(t, "staging")
	cfg["octabyte:accessLogTransitionDays"], cfg["octabyte:accessLogExpireDays"] = "100", "90"
	_, err := parse("staging", cfg)
	require.Error(t, err)
	assert.Contains(t, err.Error(), `octabyte:accessLogExpireDays = "90": must be later than octabyte:accessLogTransitionDays (100)`)
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
		raw, err := config.ReplaceConfigSection(raw, config.Schema())
		require.NoError(t, err)
		require.NoError(t, os.WriteFile("../Pulumi.yaml", raw, 0o644))
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

// The staging-only cost levers are refused in production (a stack named
// prod or production), naming the key.
func TestProductionRejectsStagingOnlyLevers(t *testing.T) {
	for key, value := range map[string]string{"octabyte:natGateways": "instance", "octabyte:sleepSchedule": "mon-fri 08:00-20:00"} {
		for _, stack := range []string{"prod", "production"} {
			cfg := stackConfig(t, "prod")
			cfg[key] = value
			_, err := parse(stack, cfg)
			require.Error(t, err, "%s in %s", key, stack)
			assert.Contains(t, err.Error(), key)
			assert.Contains(t, err.Error(), "production")
		}

		cfg := stackConfig(t, "staging")
		cfg[key] = value
		_, err := parse("staging", cfg)
		assert.NoError(t, err, "%s=%s is a staging lever", key, value)
	}
}

func TestSleepScheduleIsParsedWithItsTimeZone(t *testing.T) {
	cfg := stackConfig(t, "staging")
	cfg["octabyte:sleepSchedule"] = "mon-fri 08:00-20:00"
	cfg["octabyte:sleepTimeZone"] = "Asia/Kolkata"
	c, err := parse("staging", cfg)
	require.NoError(t, err)
	require.NotNil(t, c.Sleep)
	assert.Equal(t, "Asia/Kolkata", c.Sleep.TimeZone)
	assert.InDelta(t, 60.0/168, c.Cost.AwakeFraction, 1e-9, "the estimate prices the tasks' awake hours")
	assert.InDelta(t, 62.5/168, c.Cost.DatabaseAwakeFraction, 1e-9, "and the database's, 20 minutes before to 10 minutes after")
	assert.True(t, c.Compute.ScheduledDesiredCount, "the schedule owns the desired count")
	assert.True(t, c.Monitoring.ScheduledActions, "the schedule owns the alarm actions")

	c, err = parse("staging", stackConfig(t, "staging"))
	require.NoError(t, err)
	assert.Nil(t, c.Sleep, "staging is awake all week unless asked")
}

// longDomain is a name of n characters (n > 196) with labels of at most 63.
func longDomain(n int) string {
	return strings.Repeat(strings.Repeat("a", 63)+".", 3) + strings.Repeat("b", n-192-4) + ".com"
}

// RDS takes no automated backup of a stopped instance: a backup window
// (UTC) that always falls in the database's sleep is a warning, in either
// half of a daylight-saving year.
func TestABackupWindowWhileTheDatabaseSleepsIsAWarning(t *testing.T) {
	for _, tc := range []struct {
		schedule, zone, backup string
		warn                   bool
	}{
		{"mon-fri 08:00-20:00", "UTC", "19:00-20:00", false},
		{"mon-fri 08:00-20:00", "UTC", "07:30-08:00", false},         // the database starts 20 minutes before the tasks
		{"mon-fri 08:00-20:00", "Asia/Kolkata", "19:00-20:00", true}, // 00:30 in India
		{"mon-fri 08:00-20:00", "Asia/Kolkata", "03:00-03:30", false},
		{"mon-fri 08:00-20:00", "Asia/Kolkata", "14:30-15:00", false}, // the database stops at 20:10 in India
		{"mon-fri 08:00-20:00", "Asia/Kolkata", "14:40-15:10", true},
		{"mon-fri 08:00-19:00", "Europe/London", "18:40-19:10", true}, // 19:10 is after the stop in summer (BST)
		{"mon-fri 08:00-19:00", "Europe/London", "17:40-18:10", false},
		{"mon-fri 09:00-17:00", "America/New_York", "13:00-13:30", true},  // the database starts at 13:40 UTC in winter (EST)
		{"mon-fri 09:00-17:00", "America/New_York", "21:30-22:00", true},  // and stops at 21:10 UTC in summer (EDT)
		{"mon-fri 09:00-17:00", "America/New_York", "14:00-14:30", false}, // awake both ways
	} {
		cfg := stackConfig(t, "staging")
		cfg["octabyte:sleepSchedule"], cfg["octabyte:sleepTimeZone"], cfg["octabyte:dbBackupWindow"] = tc.schedule, tc.zone, tc.backup
		c, err := parse("staging", cfg)
		require.NoError(t, err)
		warnings := strings.Join(c.Warnings, "\n")
		if tc.warn {
			assert.Contains(t, warnings, "octabyte:dbBackupWindow "+tc.backup+" (UTC) falls while the database sleeps", "%+v", tc)
		} else {
			assert.NotContains(t, warnings, "octabyte:dbBackupWindow", "%+v", tc)
		}
	}
	c, err := parse("staging", stackConfig(t, "staging"))
	require.NoError(t, err)
	assert.NotContains(t, strings.Join(c.Warnings, "\n"), "octabyte:dbBackupWindow", "a stack that never sleeps")

	// The warning names the awake hours in UTC, and the month when the
	// zone's daylight saving time moves them.
	for _, tc := range []struct{ schedule, zone, backup, hours string }{
		{"mon-fri 08:00-20:00", "Asia/Kolkata", "19:00-20:00", "awake hours, 02:10-14:40 UTC\n"},
		{"mon-fri 08:00-19:00", "Europe/London", "18:40-19:10", "awake hours, 06:40-18:10 UTC in July\n"},
	} {
		cfg := stackConfig(t, "staging")
		cfg["octabyte:sleepSchedule"], cfg["octabyte:sleepTimeZone"], cfg["octabyte:dbBackupWindow"] = tc.schedule, tc.zone, tc.backup
		c, err := parse("staging", cfg)
		require.NoError(t, err)
		assert.Contains(t, strings.Join(c.Warnings, "\n")+"\n", tc.hours, tc.zone)
	}
}

func TestDomainAndSlackSettingsAreAccepted(t *testing.T) {
	cfg := stackConfig(t, "prod")
	cfg["octabyte:domainName"] = "app.example.co.in"
	cfg["octabyte:hostedZoneId"] = "Z0123456789ABCDEFGHIJ"
	cfg["octabyte:slackWorkspaceId"] = "T07EA123LEP"
	cfg["octabyte:slackChannelId"] = "G01ABCDEF23"
	c, err := parse("prod", cfg)
	require.NoError(t, err)
	assert.Equal(t, "app.example.co.in", c.Domain.Name)
	assert.Equal(t, "Z0123456789ABCDEFGHIJ", c.Domain.HostedZoneID)
	assert.Equal(t, "G01ABCDEF23", c.Monitoring.Slack.ChannelID)
	assert.True(t, c.Monitoring.NotifiesSomebody())
	assert.NotContains(t, strings.Join(c.Warnings, "\n"), "plain HTTP")
	assert.NoError(t, c.DeployError(true))

	for _, name := range []string{"example.com", "xn--80ak6aa92e.com", "a-b.example.com", longDomain(253)} {
		cfg := stackConfig(t, "staging")
		cfg["octabyte:domainName"] = name
		_, err := parse("staging", cfg)
		assert.NoError(t, err, name)
	}
}

// prod as committed serves plain HTTP and pages nobody: the plan says what
// to set; staging hears only about its alarms.
func TestWarningsSayWhatToSet(t *testing.T) {
	prod, err := parse("prod", stackConfig(t, "prod"))
	require.NoError(t, err)
	warnings := strings.Join(prod.Warnings, "\n")
	assert.Contains(t, warnings, "prod serves plain HTTP: set octabyte:domainName")
	assert.Contains(t, warnings, "octabyte:certificateArn")
	assert.Contains(t, warnings, "alarms reach nobody: set octabyte:alarmEmails")
	assert.Contains(t, warnings, "octabyte:slackWorkspaceId with octabyte:slackChannelId")
	assert.Contains(t, warnings, "`pulumi up` refuses to deploy prod")

	staging, err := parse("staging", stackConfig(t, "staging"))
	require.NoError(t, err)
	assert.NotContains(t, strings.Join(staging.Warnings, "\n"), "plain HTTP", "HTTPS is production's rule")
	assert.Contains(t, strings.Join(staging.Warnings, "\n"), "alarms reach nobody")

	cfg := stackConfig(t, "prod")
	cfg["octabyte:certificateArn"] = "arn:aws:acm:ap-south-1:123456789012:certificate/00000000-0000-0000-0000-000000000000"
	withCertificate, err := parse("prod", cfg)
	require.NoError(t, err)
	assert.NotContains(t, strings.Join(withCertificate.Warnings, "\n"), "plain HTTP", "a certificate brought along serves HTTPS")
}

// Only a real production deployment without an alarm destination is
// refused; previews, the offline plan and staging go ahead.
func TestAProductionDeployNeedsSomebodyToPage(t *testing.T) {
	prod, err := parse("prod", stackConfig(t, "prod"))
	require.NoError(t, err)
	err = prod.DeployError(true)
	require.Error(t, err)
	for _, key := range []string{"octabyte:alarmEmails", "octabyte:slackWorkspaceId", "octabyte:slackChannelId"} {
		assert.Contains(t, err.Error(), key)
	}
	assert.NoError(t, prod.DeployError(false), "a preview or the offline plan")

	staging, err := parse("staging", stackConfig(t, "staging"))
	require.NoError(t, err)
	assert.NoError(t, staging.DeployError(true))

	cfg := stackConfig(t, "prod")
	cfg["octabyte:alarmEmails"] = `["oncall@example.com"]`
	withEmail, err := parse("prod", cfg)
	require.NoError(t, err)
	assert.NoError(t, withEmail.DeployError(true))
}
