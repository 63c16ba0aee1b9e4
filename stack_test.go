package main

import (
	"encoding/json"
	"maps"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/octabyte/octabyte/bootstrap/account"
	"github.com/octabyte/octabyte/bootstrap/workload"
	"github.com/octabyte/octabyte/compute"
	"github.com/octabyte/octabyte/database"
	"github.com/octabyte/octabyte/monitoring"
	"github.com/octabyte/octabyte/network"
	"github.com/octabyte/octabyte/plan"
	"github.com/octabyte/octabyte/plan/plantest"
	"github.com/octabyte/octabyte/sleep"
)

func TestNoPasswordInputAnywhere(t *testing.T) {
	for _, stack := range stacks {
		p := runStack(t, stack)
		for _, r := range p.Resources {
			assert.Nil(t, r.Input("password"), "%s %s", r.Type, r.Name)
			assert.Nil(t, r.Input("masterPassword"), "%s %s", r.Type, r.Name)
		}
		// The password reaches the container only as an ECS secret reference.
		var defs []struct{ Environment []struct{ Name string } }
		require.NoError(t, json.Unmarshal([]byte(plantest.One(t, p, "aws:ecs/taskDefinition:TaskDefinition").Input("containerDefinitions").(string)), &defs))
		for _, d := range defs {
			for _, e := range d.Environment {
				assert.NotContains(t, strings.ToUpper(e.Name), "PASSWORD", stack)
			}
		}
	}
}

func TestDatabaseOnlyReachableFromTasks(t *testing.T) {
	for _, stack := range stacks {
		t.Run(stack, func(t *testing.T) {
			p := runStack(t, stack)
			dbSG, ok := p.Find("aws:ec2/securityGroup:SecurityGroup", "db")
			require.True(t, ok)
			taskSG, ok := p.Find("aws:ec2/securityGroup:SecurityGroup", "task")
			require.True(t, ok)
			var ingress []plan.Resource
			for _, r := range p.ByType("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule") {
				if r.Input("securityGroupId") == dbSG.Outputs["id"] {
					ingress = append(ingress, r)
				}
			}
			require.Len(t, ingress, 1, "exactly one way into the database")
			assert.Equal(t, taskSG.Outputs["id"], ingress[0].Input("referencedSecurityGroupId"))
			assert.Equal(t, 5432.0, ingress[0].Input("fromPort"))
			assert.Equal(t, 5432.0, ingress[0].Input("toPort"))
			db := plantest.One(t, p, "aws:rds/instance:Instance")
			assert.Equal(t, []any{dbSG.Outputs["id"]}, db.Input("vpcSecurityGroupIds"))
		})
	}
}

func TestDatabaseAndTasksLiveInThePrivateSubnets(t *testing.T) {
	for _, stack := range stacks {
		p := runStack(t, stack)
		private := p.Outputs["privateSubnetIds"]
		public := p.Outputs["publicSubnetIds"]
		assert.Equal(t, private, plantest.One(t, p, "aws:rds/subnetGroup:SubnetGroup").Input("subnetIds"))
		assert.Equal(t, private, plantest.One(t, p, "aws:ecs/service:Service").Input("networkConfiguration.subnets"))
		assert.Equal(t, public, plantest.One(t, p, "aws:lb/loadBalancer:LoadBalancer").Input("subnets"))
	}
}

func TestTasksReadTheDatabaseSecretOfThisStack(t *testing.T) {
	for _, stack := range stacks {
		p := runStack(t, stack)
		secret := p.Outputs["dbSecretArn"].(string)
		td := plantest.One(t, p, "aws:ecs/taskDefinition:TaskDefinition")
		var defs []struct {
			Secrets     []struct{ Name, ValueFrom string }
			Environment []struct{ Name, Value string }
		}
		require.NoError(t, json.Unmarshal([]byte(td.Input("containerDefinitions").(string)), &defs))
		require.Len(t, defs, 1)
		for _, s := range defs[0].Secrets {
			assert.True(t, strings.HasPrefix(s.ValueFrom, secret+":"), s.ValueFrom)
		}
		env := map[string]string{}
		for _, e := range defs[0].Environment {
			env[e.Name] = e.Value
		}
		assert.Equal(t, p.Outputs["dbAddress"], env["DB_HOST"])
		assert.Equal(t, stack, env["APP_ENV"])
	}
}

func TestProdDiffersFromStagingWhereItMatters(t *testing.T) {
	staging, prod := runStack(t, "staging"), runStack(t, "prod")
	sdb, pdb := plantest.One(t, staging, "aws:rds/instance:Instance"), plantest.One(t, prod, "aws:rds/instance:Instance")
	assert.Equal(t, false, sdb.Input("multiAz"))
	assert.Equal(t, true, pdb.Input("multiAz"))
	assert.Equal(t, false, sdb.Input("deletionProtection"))
	assert.Equal(t, true, pdb.Input("deletionProtection"))
	assert.Equal(t, true, sdb.Input("skipFinalSnapshot"))
	assert.Equal(t, false, pdb.Input("skipFinalSnapshot"))
	assert.GreaterOrEqual(t, pdb.Input("backupRetentionPeriod").(float64), 7.0)
	assert.Equal(t, true, plantest.One(t, prod, "aws:lb/loadBalancer:LoadBalancer").Input("enableDeletionProtection"))
	assert.Equal(t, false, plantest.One(t, staging, "aws:lb/loadBalancer:LoadBalancer").Input("enableDeletionProtection"))
	assert.Equal(t, "OnePerAz", plantest.One(t, prod, "awsx:ec2:Vpc").Input("natGateways.strategy"))
	assert.Equal(t, "Single", plantest.One(t, staging, "awsx:ec2:Vpc").Input("natGateways.strategy"))
}

func TestNamesWithinAWSLimits(t *testing.T) {
	limits := map[string]int{
		"aws:lb/loadBalancer:LoadBalancer":    32,
		"aws:lb/targetGroup:TargetGroup":      32,
		"aws:iam/role:Role":                   64,
		"aws:ecs/cluster:Cluster":             255,
		"aws:ecs/service:Service":             255,
		"aws:ecr/repository:Repository":       256,
		"aws:cloudwatch/logGroup:LogGroup":    512,
		"aws:rds/instance:Instance":           63,
		"aws:ec2/securityGroup:SecurityGroup": 255,
		"aws:s3/bucketV2:BucketV2":            63,
	}
	for _, stack := range stacks {
		p := runStack(t, stack)
		for typ, limit := range limits {
			for _, r := range p.ByType(typ) {
				name, _ := r.Outputs["name"].(string)
				if b, ok := r.Outputs["bucket"].(string); ok {
					name = b
				}
				assert.NotEmpty(t, name, "%s %s", typ, r.Name)
				assert.LessOrEqual(t, len(name), limit, "%s %s: %q", typ, r.Name, name)
			}
		}
	}
}

func TestEngineerFacingOutputs(t *testing.T) {
	for _, stack := range stacks {
		p := runStack(t, stack)
		alb := plantest.One(t, p, "aws:lb/loadBalancer:LoadBalancer")
		repo := plantest.One(t, p, "aws:ecr/repository:Repository")
		assert.Equal(t, alb.Outputs["dnsName"], p.Outputs["albDnsName"])
		assert.Equal(t, "http://"+alb.Outputs["dnsName"].(string), p.Outputs["albUrl"])
		assert.Equal(t, repo.Outputs["repositoryUrl"], p.Outputs["ecrRepositoryUrl"])
		for _, k := range []string{"clusterName", "serviceName", "appLogGroupName"} {
			assert.NotEmpty(t, p.Outputs[k], k)
		}
	}
}

// With no config, every role carries the bootstrap's boundary, the one its
// deploy roles require for iam:CreateRole (bootstrap's tests pin the same
// ARN); an override replaces it and "none" drops it.
func TestEveryRoleIsUnderTheStackPathWithTheBoundary(t *testing.T) {
	bootstrapBoundary := workload.BoundaryARN("aws", plan.AccountID, "octabyte")
	own := "arn:aws:iam::" + plan.AccountID + ":policy/platform/org-boundary"
	for _, tc := range []struct{ setting, want string }{{"", bootstrapBoundary}, {own, own}, {"none", ""}} {
		for _, stack := range stacks {
			cfg, err := plan.LoadStackConfig(".", stack)
			require.NoError(t, err)
			if tc.setting != "" {
				cfg["octabyte:iamPermissionsBoundaryArn"] = tc.setting
			}
			if stack == "staging" {
				cfg["octabyte:natGateways"] = "instance" // adds a role and an instance profile
			}
			p, err := plan.Run(run, stack, cfg)
			require.NoError(t, err)
			roles := p.ByType("aws:iam/role:Role")
			require.NotEmpty(t, roles)
			profiles := p.ByType("aws:iam/instanceProfile:InstanceProfile")
			assert.Equal(t, stack == "staging", len(profiles) == 1)
			for _, r := range profiles {
				assert.Equal(t, "/octabyte/"+stack+"/", r.Input("path"), r.Name)
			}
			for _, r := range roles {
				assert.Equal(t, "/octabyte/"+stack+"/", r.Input("path"), r.Name)
				if tc.want == "" {
					assert.Nil(t, r.Input("permissionsBoundary"), r.Name)
				} else {
					assert.Equal(t, tc.want, r.Input("permissionsBoundary"), "%s with setting %q", r.Name, tc.setting)
				}
			}
		}
	}
}

func TestAppImageIsExported(t *testing.T) {
	cfg, err := plan.LoadStackConfig(".", "staging")
	require.NoError(t, err)
	digest := "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
	cfg["octabyte:appImage"] = digest
	p, err := plan.Run(run, "staging", cfg)
	require.NoError(t, err)
	assert.Equal(t, digest, p.Outputs["appImage"])
	assert.Equal(t, 1.0, plantest.One(t, p, "aws:ecs/service:Service").Input("desiredCount"))
}

// Every role the stacks create trusts one of the services the deploy roles
// may pass roles to (iam:PassedToService is the trusted service principal),
// and every one of those services is used: the two lists cannot drift.
func TestRolesTrustExactlyTheServicesDeployRolesPassThemTo(t *testing.T) {
	trusted := map[string]bool{}
	for _, stack := range stacks {
		for _, r := range everything(t, stack).ByType("aws:iam/role:Role") {
			var doc struct {
				Statement []struct{ Principal map[string]string }
			}
			require.NoError(t, json.Unmarshal([]byte(r.Input("assumeRolePolicy").(string)), &doc))
			for _, s := range doc.Statement {
				assert.Contains(t, account.PassRoleServices, s.Principal["Service"], "%s %s", stack, r.Name)
				trusted[s.Principal["Service"]] = true
			}
		}
	}
	assert.ElementsMatch(t, account.PassRoleServices, slices.Collect(maps.Keys(trusted)))
	assert.ElementsMatch(t, account.PassRoleServices, []string{compute.TasksPrincipal, network.FlowLogsPrincipal, database.MonitoringPrincipal,
		network.NATInstancePrincipal, sleep.SchedulerPrincipal, monitoring.ChatbotPrincipal})
}

// app/alb_test.go proves zero-downtime deploys behind HAProxy configured like
// the target group, with time scaled by 1/50. It holds only if its stand-in
// keeps the target group's interval, thresholds and deregistration delay.
func TestTheAppsLoadBalancerStandInMatchesTheTargetGroup(t *testing.T) {
	src, err := os.ReadFile("app/alb_test.go")
	require.NoError(t, err)
	find := func(pattern string) []int {
		m := regexp.MustCompile(pattern).FindStringSubmatch(string(src))
		require.NotNil(t, m, "app/alb_test.go no longer matches %q", pattern)
		var ns []int
		for _, s := range m[1:] {
			n, err := strconv.Atoi(s)
			require.NoError(t, err)
			ns = append(ns, n)
		}
		return ns
	}
	const scale = 50
	interval := find(`checkInterval = (\d+) \* time.Millisecond`)[0]
	delay := find(`deregistrationDelay = (\d+) \* time.Millisecond`)[0]
	thresholds := find(`default-server .* rise (\d+) fall (\d+)`)

	for _, stack := range []string{"staging", "prod"} {
		tg := plantest.One(t, runStack(t, stack), "aws:lb/targetGroup:TargetGroup")
		hc := tg.Inputs["healthCheck"].(map[string]any)
		// In milliseconds, so that no rounding hides a stand-in a little off.
		assert.Equal(t, hc["interval"].(float64)*1000, float64(interval*scale), stack+": check interval")
		assert.Equal(t, tg.Inputs["deregistrationDelay"].(float64)*1000, float64(delay*scale), stack+": deregistration delay")
		assert.Equal(t, hc["healthyThreshold"], float64(thresholds[0]), stack+": healthy threshold (rise)")
		assert.Equal(t, hc["unhealthyThreshold"], float64(thresholds[1]), stack+": unhealthy threshold (fall)")
		assert.Equal(t, hc["path"], "/healthz", stack+": the stand-in checks /healthz")
	}
	assert.Contains(t, string(src), "option httpchk GET /healthz")
}
