package compute_test

import (
	"encoding/json"
	"maps"
	"reflect"
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/octabyte/octabyte/compute"
	"github.com/octabyte/octabyte/plan"
	"github.com/octabyte/octabyte/plan/plantest"
)

const (
	secretArn = "arn:aws:secretsmanager:ap-south-1:123456789012:secret:rds!db-1234-AbCdEf"
	logArn    = "arn:aws:logs:ap-south-1:123456789012:log-group:/octabyte/test/app"
	dbSG      = "sg-0db0db0db0db0db00"
	digest    = "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
)

func args() compute.ComputeArgs {
	return compute.ComputeArgs{
		Region: "ap-south-1", AccountID: plan.AccountID,
		VpcID:            pulumi.String("vpc-123"),
		PublicSubnetIDs:  pulumi.ToStringArray([]string{"subnet-pub-a", "subnet-pub-b"}),
		PrivateSubnetIDs: pulumi.ToStringArray([]string{"subnet-priv-a", "subnet-priv-b"}),
		Image:            digest,
		DesiredCount:     2,
		AppLogGroupName:  pulumi.String("/octabyte/test/app"),
		AppLogGroupArn:   pulumi.String(logArn),
		AccessLogBucket:  pulumi.String("octabyte-test-alb-logs"),
		Database: compute.DatabaseEndpoint{
			Address: pulumi.String("db.example.internal"), Port: 5432, Name: "octabyte",
			SecretArn: pulumi.String(secretArn), SecurityGroupID: pulumi.String(dbSG),
		},
	}
}

func build(t *testing.T, a compute.ComputeArgs) *plan.Plan {
	t.Helper()
	p, _ := buildComponent(t, a)
	return p
}

func buildComponent(t *testing.T, a compute.ComputeArgs) (*plan.Plan, *compute.Compute) {
	t.Helper()
	var c *compute.Compute
	p, err := plan.Run(func(ctx *pulumi.Context) error {
		var err error
		c, err = compute.NewCompute(ctx, "compute", &a)
		return err
	}, "test", map[string]string{"aws:region": "ap-south-1"})
	require.NoError(t, err)
	return p, c
}

func container(t *testing.T, p *plan.Plan) compute.ContainerDefinition {
	t.Helper()
	var defs []compute.ContainerDefinition
	td := plantest.One(t, p, "aws:ecs/taskDefinition:TaskDefinition")
	require.NoError(t, json.Unmarshal([]byte(td.Input("containerDefinitions").(string)), &defs))
	require.Len(t, defs, 1)
	return defs[0]
}

type policy struct {
	Statement []policyStatement
}

type policyStatement struct {
	Sid       string
	Effect    string
	Principal map[string]string
	Action    any
	Resource  any
	Condition map[string]map[string]string
}

func parsePolicy(t *testing.T, s any) policy {
	t.Helper()
	var p policy
	require.NoError(t, json.Unmarshal([]byte(s.(string)), &p))
	return p
}

func strs(v any) []string {
	switch x := v.(type) {
	case string:
		return []string{x}
	case []any:
		out := make([]string, len(x))
		for i, e := range x {
			out[i] = e.(string)
		}
		return out
	}
	return nil
}

func TestRepositoryIsScannedImmutableEncryptedWithLifecycle(t *testing.T) {
	p := build(t, args())
	repo := plantest.One(t, p, "aws:ecr/repository:Repository")
	assert.Equal(t, "IMMUTABLE", repo.Input("imageTagMutability"))
	assert.Equal(t, true, repo.Input("imageScanningConfiguration.scanOnPush"))
	assert.Equal(t, "AES256", repo.Input("encryptionConfigurations").([]any)[0].(map[string]any)["encryptionType"])

	lc := plantest.One(t, p, "aws:ecr/lifecyclePolicy:LifecyclePolicy")
	var doc struct{ Rules []compute.LifecycleRule }
	require.NoError(t, json.Unmarshal([]byte(lc.Input("policy").(string)), &doc))
	require.Len(t, doc.Rules, 2)
	assert.Equal(t, "untagged", doc.Rules[0].Selection.TagStatus)
	assert.Equal(t, 1, doc.Rules[0].Selection.CountNumber)
	assert.Equal(t, "any", doc.Rules[1].Selection.TagStatus, "tagStatus any must be the last rule")
	assert.Equal(t, 20, doc.Rules[1].Selection.CountNumber)
}

func TestTaskDefinitionIsFargateAwsvpcWithConfiguredSize(t *testing.T) {
	a := args()
	a.CPU, a.Memory, a.Architecture = 512, 1024, compute.X8664
	td := plantest.One(t, build(t, a), "aws:ecs/taskDefinition:TaskDefinition")
	assert.Equal(t, "awsvpc", td.Input("networkMode"))
	assert.Equal(t, []any{"FARGATE"}, td.Input("requiresCompatibilities"))
	assert.Equal(t, "512", td.Input("cpu"))
	assert.Equal(t, "1024", td.Input("memory"))
	assert.Equal(t, "X86_64", td.Input("runtimePlatform.cpuArchitecture"))
}

func TestContainerListensOn5000WithImageByDigest(t *testing.T) {
	p := build(t, args())
	c := container(t, p)
	repo := plantest.One(t, p, "aws:ecr/repository:Repository")
	assert.Equal(t, "app", c.Name)
	assert.True(t, c.Essential)
	assert.Equal(t, repo.Outputs["repositoryUrl"].(string)+"@"+digest, c.Image)
	require.Len(t, c.PortMappings, 1)
	assert.Equal(t, 5000, c.PortMappings[0].ContainerPort)
}

func TestImageTagIsUsedWhenNoDigest(t *testing.T) {
	a := args()
	a.Image = "v1.2.3"
	c := container(t, build(t, a))
	assert.True(t, strings.HasSuffix(c.Image, "/app:v1.2.3"), c.Image)
}

// An empty repository has no image a task definition could name: the
// service and its task definition wait for the first image, so no revision
// the circuit breaker could roll back to names a missing image.
func TestNoImageMeansNoServiceAndNoTaskDefinition(t *testing.T) {
	a := args()
	a.Image = ""
	p := build(t, a)
	assert.Empty(t, p.ByType("aws:ecs/service:Service"))
	assert.Empty(t, p.ByType("aws:ecs/taskDefinition:TaskDefinition"))
	plantest.One(t, p, "aws:ecs/cluster:Cluster")
	plantest.One(t, p, "aws:ecr/repository:Repository")
	plantest.One(t, p, "aws:lb/targetGroup:TargetGroup")
	a.Image = digest
	svc := plantest.One(t, build(t, a), "aws:ecs/service:Service")
	assert.Equal(t, 2.0, svc.Input("desiredCount"))
	assert.Equal(t, compute.ServiceName("test"), svc.Input("name"), "monitoring names the service before it exists")
	// ECS refuses a second ACTIVE or DRAINING service of the same name, so a
	// replacement (e.g. octabyte:fargateSpot switching launch type for a
	// capacity provider) must delete the old service first.
	assert.True(t, svc.DeleteBeforeReplace)
}

func TestContainerHardening(t *testing.T) {
	c := container(t, build(t, args()))
	assert.True(t, c.ReadonlyRootFilesystem)
	assert.Equal(t, "65532:65532", c.User)
	assert.Equal(t, []string{"CMD", "/app", "healthcheck"}, c.HealthCheck.Command, "no shell or curl in the image")
	assert.Greater(t, c.StopTimeout, compute.DrainSeconds, "ECS must wait longer than the app drains")
	assert.Greater(t, compute.DeregistrationDelaySeconds, compute.DrainSeconds)
	env := map[string]string{}
	for _, kv := range c.Environment {
		env[kv.Name] = kv.Value
	}
	assert.Equal(t, "20s", env["DRAIN_TIMEOUT"])
}

func TestDatabaseCredentialsOnlyThroughSecrets(t *testing.T) {
	c := container(t, build(t, args()))
	env := map[string]string{}
	for _, kv := range c.Environment {
		env[kv.Name] = kv.Value
		for _, word := range []string{"PASSWORD", "SECRET", "TOKEN", "USER"} {
			assert.NotContains(t, kv.Name, word, "credentials never go in plain environment variables")
		}
	}
	assert.Equal(t, map[string]string{
		"APP_ENV": "test", "PORT": "5000", "DB_HOST": "db.example.internal", "DB_PORT": "5432",
		"DB_NAME": "octabyte", "DB_SSLMODE": "require", "DRAIN_TIMEOUT": "20s", "GOMEMLIMIT": "460MiB",
	}, env)
	assert.ElementsMatch(t, []compute.Secret{
		{Name: "DB_USER", ValueFrom: secretArn + ":username::"},
		{Name: "DB_PASSWORD", ValueFrom: secretArn + ":password::"},
	}, c.Secrets)
}

func TestLogsGoToTheAppLogGroup(t *testing.T) {
	c := container(t, build(t, args()))
	assert.Equal(t, "awslogs", c.LogConfiguration.LogDriver)
	assert.Equal(t, "/octabyte/test/app", c.LogConfiguration.Options["awslogs-group"])
	assert.Equal(t, "ap-south-1", c.LogConfiguration.Options["awslogs-region"])
}

func TestExecutionRoleIsScopedToExactArns(t *testing.T) {
	p := build(t, args())
	repo := plantest.One(t, p, "aws:ecr/repository:Repository")
	role, ok := p.Find("aws:iam/rolePolicy:RolePolicy", "execution")
	require.True(t, ok)
	doc := parsePolicy(t, role.Input("policy"))
	grants := map[string][]string{}
	for _, s := range doc.Statement {
		assert.Equal(t, "Allow", s.Effect)
		for _, action := range strs(s.Action) {
			grants[action] = strs(s.Resource)
		}
	}
	assert.Equal(t, map[string][]string{
		"ecr:GetAuthorizationToken":       {"*"},
		"ecr:BatchCheckLayerAvailability": {repo.Outputs["arn"].(string)},
		"ecr:GetDownloadUrlForLayer":      {repo.Outputs["arn"].(string)},
		"ecr:BatchGetImage":               {repo.Outputs["arn"].(string)},
		"logs:CreateLogStream":            {logArn + ":log-stream:*"},
		"logs:PutLogEvents":               {logArn + ":log-stream:*"},
		"secretsmanager:GetSecretValue":   {secretArn},
	}, grants, "exactly what ECS needs, on exactly these resources")
}

func TestTaskRoleHasNoPermissionsUnlessExecIsOn(t *testing.T) {
	p := build(t, args())
	_, ok := p.Find("aws:iam/rolePolicy:RolePolicy", "task-exec")
	assert.False(t, ok)
	for _, rp := range p.ByType("aws:iam/rolePolicy:RolePolicy") {
		assert.Equal(t, "execution", rp.Name, "only the execution role has a policy")
	}
	assert.Empty(t, p.ByType("aws:iam/rolePolicyAttachment:RolePolicyAttachment"))

	a := args()
	a.EnableExecuteCommand = true
	p = build(t, a)
	exec, ok := p.Find("aws:iam/rolePolicy:RolePolicy", "task-exec")
	require.True(t, ok)
	assert.ElementsMatch(t, compute.ExecuteCommandActions, strs(parsePolicy(t, exec.Input("policy")).Statement[0].Action))
	assert.Equal(t, true, plantest.One(t, p, "aws:ecs/service:Service").Input("enableExecuteCommand"))
}

// The task role carries the confused-deputy conditions AWS documents for
// it; the execution role has exactly the trust AWS documents (no condition:
// one ECS does not satisfy would stop every task from starting), with the
// exception declared for the guardrail.
func TestRolesTrustEcsTasksAsAWSDocumentsThem(t *testing.T) {
	p := build(t, args())
	trust := func(name string) policyStatement {
		role, ok := p.Find("aws:iam/role:Role", name)
		require.True(t, ok)
		doc := parsePolicy(t, role.Input("assumeRolePolicy"))
		require.Len(t, doc.Statement, 1)
		s := doc.Statement[0]
		assert.Equal(t, map[string]string{"Service": compute.TasksPrincipal}, s.Principal)
		assert.Equal(t, "sts:AssumeRole", s.Action)
		return s
	}
	task := trust("task")
	assert.Equal(t, plan.AccountID, task.Condition["StringEquals"]["aws:SourceAccount"])
	assert.Equal(t, "arn:aws:ecs:ap-south-1:"+plan.AccountID+":*", task.Condition["ArnLike"]["aws:SourceArn"])

	assert.Empty(t, trust("execution").Condition)
	execution, _ := p.Find("aws:iam/role:Role", "execution")
	assert.Equal(t, compute.ExecutionTrustException, execution.Input("tags.octabyte:suppress:IAM-003"))
}

func TestServiceRunsPrivatelyWithCircuitBreaker(t *testing.T) {
	p := build(t, args())
	svc := plantest.One(t, p, "aws:ecs/service:Service")
	assert.Equal(t, false, svc.Input("networkConfiguration.assignPublicIp"))
	assert.Equal(t, []any{"subnet-priv-a", "subnet-priv-b"}, svc.Input("networkConfiguration.subnets"))
	assert.Equal(t, map[string]any{"enable": true, "rollback": true}, svc.Input("deploymentCircuitBreaker"))
	assert.Equal(t, 100.0, svc.Input("deploymentMinimumHealthyPercent"))
	assert.Equal(t, 200.0, svc.Input("deploymentMaximumPercent"))
	assert.Equal(t, true, svc.Input("waitForSteadyState"))
	assert.Equal(t, 60.0, svc.Input("healthCheckGracePeriodSeconds"))
	assert.Equal(t, 2.0, svc.Input("desiredCount"))
	assert.Equal(t, []any{map[string]any{"capacityProvider": "FARGATE", "weight": 1.0}}, svc.Input("capacityProviderStrategies"))
	lbs := svc.Input("loadBalancers").([]any)
	require.Len(t, lbs, 1)
	assert.Equal(t, "app", lbs[0].(map[string]any)["containerName"])
	assert.Equal(t, 5000.0, lbs[0].(map[string]any)["containerPort"])
}

func TestServiceIsCreatedAfterTheListener(t *testing.T) {
	p := build(t, args())
	svc := plantest.One(t, p, "aws:ecs/service:Service")
	listener, ok := p.Find("aws:lb/listener:Listener", "http")
	require.True(t, ok)
	assert.True(t, p.DependsOn(svc, listener.URN))
}

func TestLoadBalancerIsPublicAndHardened(t *testing.T) {
	a := args()
	a.DeletionProtection = true
	alb := plantest.One(t, build(t, a), "aws:lb/loadBalancer:LoadBalancer")
	assert.Equal(t, false, alb.Input("internal"))
	assert.Equal(t, []any{"subnet-pub-a", "subnet-pub-b"}, alb.Input("subnets"))
	assert.Equal(t, true, alb.Input("dropInvalidHeaderFields"))
	assert.Equal(t, true, alb.Input("enableDeletionProtection"))
	assert.Equal(t, true, alb.Input("accessLogs.enabled"))
	assert.Equal(t, "octabyte-test-alb-logs", alb.Input("accessLogs.bucket"))
}

func TestTargetGroupOn5000WithTightHealthCheck(t *testing.T) {
	tg := plantest.One(t, build(t, args()), "aws:lb/targetGroup:TargetGroup")
	assert.Equal(t, 5000.0, tg.Input("port"))
	assert.Equal(t, "ip", tg.Input("targetType"))
	assert.Equal(t, "/healthz", tg.Input("healthCheck.path"))
	assert.Equal(t, "200", tg.Input("healthCheck.matcher"))
	assert.Equal(t, 10.0, tg.Input("healthCheck.interval"))
	assert.Equal(t, 2.0, tg.Input("healthCheck.healthyThreshold"))
	assert.Equal(t, 3.0, tg.Input("healthCheck.unhealthyThreshold"))
	assert.Equal(t, float64(compute.DeregistrationDelaySeconds), tg.Input("deregistrationDelay"))
	assert.Less(t, compute.DeregistrationDelaySeconds, 300, "the AWS default of 300 s slows every deploy")
}

func TestHTTPListenerForwardsWithoutCertificate(t *testing.T) {
	p := build(t, args())
	listeners := p.ByType("aws:lb/listener:Listener")
	require.Len(t, listeners, 1)
	assert.Equal(t, 80.0, listeners[0].Input("port"))
	tg := plantest.One(t, p, "aws:lb/targetGroup:TargetGroup")
	action := listeners[0].Input("defaultActions").([]any)[0].(map[string]any)
	assert.Equal(t, "forward", action["type"])
	assert.Equal(t, tg.Outputs["arn"], action["targetGroupArn"])
	assert.Empty(t, p.ByType("aws:route53/record:Record"), "no domain, no record")
}

const certificate = "arn:aws:acm:ap-south-1:123456789012:certificate/00000000-0000-0000-0000-000000000000"

func TestHTTPSWhenACertificateIsConfigured(t *testing.T) {
	a := args()
	a.Certificate = pulumi.String(certificate)
	p := build(t, a)
	https, ok := p.Find("aws:lb/listener:Listener", "https")
	require.True(t, ok)
	assert.Equal(t, 443.0, https.Input("port"))
	assert.Equal(t, "HTTPS", https.Input("protocol"))
	assert.Equal(t, certificate, https.Input("certificateArn"))
	assert.Equal(t, "ELBSecurityPolicy-TLS13-1-2-Res-PQ-2025-09", https.Input("sslPolicy"), "TLS 1.3 and 1.2 only, AWS's recommended policy")
	tg := plantest.One(t, p, "aws:lb/targetGroup:TargetGroup")
	forward := https.Input("defaultActions").([]any)[0].(map[string]any)
	assert.Equal(t, tg.Outputs["arn"], forward["targetGroupArn"])
	// With :80 redirecting, only the HTTPS listener ties the target group
	// to the ALB, which ECS requires before it creates the service.
	assert.True(t, p.DependsOn(plantest.One(t, p, "aws:ecs/service:Service"), https.URN))
	http, _ := p.Find("aws:lb/listener:Listener", "http")
	action := http.Input("defaultActions").([]any)[0].(map[string]any)
	assert.Equal(t, "redirect", action["type"])
	assert.Equal(t, map[string]any{"protocol": "HTTPS", "port": "443", "statusCode": "HTTP_301"}, action["redirect"])
	var open []float64
	for _, r := range p.ByType("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule") {
		if r.Input("cidrIpv4") == "0.0.0.0/0" {
			open = append(open, r.Input("fromPort").(float64))
		}
	}
	assert.ElementsMatch(t, []float64{80, 443}, open)
}

// A domain gets an alias A record to the ALB in its zone, and the URL uses
// it. No AAAA record: the ALB is IPv4-only.
func TestDomainPointsAtTheLoadBalancer(t *testing.T) {
	a := args()
	a.Certificate, a.DomainName, a.HostedZoneID = pulumi.String(certificate), "app.example.com", "Z0123456789ABCDEFGHIJ"
	p, c := buildComponent(t, a)
	alias := plantest.One(t, p, "aws:route53/record:Record")
	alb := plantest.One(t, p, "aws:lb/loadBalancer:LoadBalancer")
	assert.Equal(t, "A", alias.Input("type"))
	assert.Equal(t, "app.example.com", alias.Input("name"))
	assert.Equal(t, "Z0123456789ABCDEFGHIJ", alias.Input("zoneId"))
	assert.Equal(t, []any{map[string]any{"name": alb.Outputs["dnsName"], "zoneId": alb.Outputs["zoneId"], "evaluateTargetHealth": true}}, alias.Input("aliases"))
	assert.Nil(t, alb.Input("ipAddressType"), "ipv4: an alias AAAA record would never resolve")
	url := make(chan string, 1)
	c.URL.ApplyT(func(u string) string { url <- u; return u })
	assert.Equal(t, "https://app.example.com", <-url)
}

// rule is a security-group rule reduced to what matters.
type rule struct {
	Dir, SG, Peer string
	Port          float64
}

func TestSecurityGroupRulesAreExactlyAsDesigned(t *testing.T) {
	p := build(t, args())
	alb, _ := p.Find("aws:ec2/securityGroup:SecurityGroup", "alb")
	task, _ := p.Find("aws:ec2/securityGroup:SecurityGroup", "task")
	albID, taskID := alb.Outputs["id"].(string), task.Outputs["id"].(string)
	var got []rule
	for _, typ := range []string{"aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule", "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule"} {
		for _, r := range p.ByType(typ) {
			assert.Equal(t, "tcp", r.Input("ipProtocol"), r.Name)
			assert.Equal(t, r.Input("fromPort"), r.Input("toPort"), "%s opens a single port", r.Name)
			peer, _ := r.Input("referencedSecurityGroupId").(string)
			if peer == "" {
				peer = r.Input("cidrIpv4").(string)
			}
			dir := "in"
			if strings.Contains(typ, "Egress") {
				dir = "out"
			}
			got = append(got, rule{dir, r.Input("securityGroupId").(string), peer, r.Input("fromPort").(float64)})
		}
	}
	assert.ElementsMatch(t, []rule{
		{"in", albID, "0.0.0.0/0", 80},
		{"out", albID, taskID, 5000},
		{"in", taskID, albID, 5000},
		{"out", taskID, dbSG, 5432},
		{"out", taskID, "0.0.0.0/0", 443},
		{"in", dbSG, taskID, 5432},
	}, got)
	for _, sg := range p.ByType("aws:ec2/securityGroup:SecurityGroup") {
		assert.Nil(t, sg.Input("ingress"), "no inline rules on %s", sg.Name)
		assert.Nil(t, sg.Input("egress"), "no inline rules on %s", sg.Name)
	}
}

// replacesService is the provider's rule for an ECS service update
// (pulumi-aws v6, ecs.Service: launchType forces a new service;
// capacityProviderStrategies "can be updated without destroying and
// recreating the service only if forceNewDeployment = true and not changing
// from 0 capacityProviderStrategy blocks to greater than 0, or vice versa").
func replacesService(old, new plan.Resource) bool {
	if old.Input("launchType") != new.Input("launchType") {
		return true
	}
	before, _ := old.Input("capacityProviderStrategies").([]any)
	after, _ := new.Input("capacityProviderStrategies").([]any)
	if reflect.DeepEqual(before, after) {
		return false
	}
	return new.Input("forceNewDeployment") != true || (len(before) == 0) != (len(after) == 0)
}

// Fargate Spot on or off is a rolling deployment of the same service, not a
// replacement: with a fixed name, a replacement deletes the service first
// and leaves the stack without tasks until the new one is steady.
func TestSwitchingFargateSpotUpdatesTheServiceInPlace(t *testing.T) {
	services := map[bool]plan.Resource{}
	for _, spot := range []bool{false, true} {
		a := args()
		a.FargateSpot, a.Architecture = spot, compute.X8664
		p := build(t, a)
		svc := plantest.One(t, p, "aws:ecs/service:Service")
		services[spot] = svc
		providers := plantest.One(t, p, "aws:ecs/clusterCapacityProviders:ClusterCapacityProviders")
		assert.Equal(t, []any{"FARGATE", "FARGATE_SPOT"}, providers.Input("capacityProviders"))
		assert.Contains(t, svc.DependsOn, providers.URN, "a strategy may only name a provider the cluster has")
		assert.Nil(t, svc.Input("launchType"), "launch type and capacity providers are exclusive")
	}
	strategy := services[true].Input("capacityProviderStrategies").([]any)
	assert.Equal(t, "FARGATE_SPOT", strategy[0].(map[string]any)["capacityProvider"])
	assert.False(t, replacesService(services[false], services[true]), "Fargate to Spot")
	assert.False(t, replacesService(services[true], services[false]), "Spot to Fargate")

	// The rule itself: what the service looked like before this change.
	withLaunchType := services[false]
	withLaunchType.Inputs = maps.Clone(withLaunchType.Inputs)
	delete(withLaunchType.Inputs, "capacityProviderStrategies")
	withLaunchType.Inputs["launchType"] = "FARGATE"
	assert.True(t, replacesService(withLaunchType, services[true]), "a launch type replaced by a strategy")
}

func TestContainerInsightsFollowsConfig(t *testing.T) {
	for _, on := range []bool{true, false} {
		a := args()
		a.ContainerInsights = on
		cluster := plantest.One(t, build(t, a), "aws:ecs/cluster:Cluster")
		want := map[bool]string{true: "enabled", false: "disabled"}[on]
		assert.Equal(t, []any{map[string]any{"name": "containerInsights", "value": want}}, cluster.Input("settings"))
	}
}

func TestAutoscalingOffByDefaultAndTargetTrackingWhenOn(t *testing.T) {
	p := build(t, args())
	assert.Empty(t, p.ByType("aws:appautoscaling/target:Target"))

	a := args()
	a.Autoscaling = compute.AutoscalingArgs{Enabled: true, Min: 2, Max: 6, CPUTargetPercent: 55, RequestsPerTarget: 800}
	p = build(t, a)
	target := plantest.One(t, p, "aws:appautoscaling/target:Target")
	assert.Equal(t, 2.0, target.Input("minCapacity"))
	assert.Equal(t, 6.0, target.Input("maxCapacity"))
	assert.Equal(t, "ecs:service:DesiredCount", target.Input("scalableDimension"))
	policies := map[string]plan.Resource{}
	for _, pol := range p.ByType("aws:appautoscaling/policy:Policy") {
		policies[pol.Name] = pol
	}
	require.Len(t, policies, 2)
	assert.Equal(t, "ECSServiceAverageCPUUtilization", policies["cpu"].Input("targetTrackingScalingPolicyConfiguration.predefinedMetricSpecification.predefinedMetricType"))
	assert.Equal(t, 55.0, policies["cpu"].Input("targetTrackingScalingPolicyConfiguration.targetValue"))
	alb := plantest.One(t, p, "aws:lb/loadBalancer:LoadBalancer")
	tg := plantest.One(t, p, "aws:lb/targetGroup:TargetGroup")
	assert.Equal(t, alb.Outputs["arnSuffix"].(string)+"/"+tg.Outputs["arnSuffix"].(string),
		policies["requests"].Input("targetTrackingScalingPolicyConfiguration.predefinedMetricSpecification.resourceLabel"))
}

func TestLoadBalancerAndTargetGroupNamesFit32Characters(t *testing.T) {
	p := build(t, args())
	for _, typ := range []string{"aws:lb/loadBalancer:LoadBalancer", "aws:lb/targetGroup:TargetGroup"} {
		name := plantest.One(t, p, typ).Outputs["name"].(string)
		assert.LessOrEqual(t, len(name), 32, "%s name %q", typ, name)
	}
}
