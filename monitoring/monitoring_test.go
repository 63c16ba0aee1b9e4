package monitoring_test

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/octabyte/octabyte/monitoring"
	"github.com/octabyte/octabyte/plan"
	"github.com/octabyte/octabyte/plan/plantest"
)

const (
	region      = "ap-south-1"
	clusterArn  = "arn:aws:ecs:ap-south-1:123456789012:cluster/cluster-abc"
	clusterName = "cluster-abc"
	serviceName = "app-def"
	albSuffix   = "app/alb-123/0123456789abcdef"
	tgSuffix    = "targetgroup/app-456/fedcba9876543210"
	dbID        = "octabyte-test"
	appLogGroup = "/octabyte/test/app"
)

func args() monitoring.MonitoringArgs {
	return monitoring.MonitoringArgs{
		Region:               region,
		AccountID:            plan.AccountID,
		ClusterName:          pulumi.String(clusterName),
		ClusterArn:           pulumi.String(clusterArn),
		ServiceName:          pulumi.String(serviceName),
		ExpectedTasks:        1,
		AlbArnSuffix:         pulumi.String(albSuffix),
		TargetGroupArnSuffix: pulumi.String(tgSuffix),
		DBInstanceID:         pulumi.String(dbID),
		DBInstanceClass:      "db.t3.micro",
		AppLogGroupName:      pulumi.String(appLogGroup),
	}
}

func build(t *testing.T, a monitoring.MonitoringArgs) (*plan.Plan, *monitoring.Monitoring) {
	t.Helper()
	var m *monitoring.Monitoring
	p, err := plan.Run(func(ctx *pulumi.Context) error {
		var err error
		m, err = monitoring.NewMonitoring(ctx, "monitoring", &a)
		return err
	}, "test", map[string]string{"aws:region": region})
	require.NoError(t, err)
	return p, m
}

func alarm(t *testing.T, p *plan.Plan, key string) plan.Resource {
	t.Helper()
	r, ok := p.Find("aws:cloudwatch/metricAlarm:MetricAlarm", key)
	require.True(t, ok, "alarm %s", key)
	return r
}

func policy(t *testing.T, raw any) map[string]any {
	t.Helper()
	s, ok := raw.(string)
	require.True(t, ok, "policy is a JSON string")
	var doc map[string]any
	require.NoError(t, json.Unmarshal([]byte(s), &doc))
	return doc
}

func statement(t *testing.T, doc map[string]any, sid string) map[string]any {
	t.Helper()
	for _, s := range doc["Statement"].([]any) {
		if st := s.(map[string]any); st["Sid"] == sid {
			return st
		}
	}
	t.Fatalf("no statement %s", sid)
	return nil
}

func TestMaxConnectionsFollowRDSFormula(t *testing.T) {
	cases := map[string]int{
		// LEAST((memory - 300 MiB) / 9531392, 5000)
		"db.t3.micro":     79,
		"db.t4g.medium":   417,
		"db.m7g.large":    868,
		"db.r6i.xlarge":   3571,
		"db.r6g.16xlarge": 5000,
	}
	for class, want := range cases {
		got, err := monitoring.EstimateMaxConnections(class)
		require.NoError(t, err, class)
		assert.Equal(t, want, got, class)
	}
	mib, ok := monitoring.InstanceMemoryMiB("db.m6i.4xlarge")
	assert.True(t, ok)
	assert.Equal(t, 64*1024, mib)
	for _, bad := range []string{"db.x2g.large", "db.m5.micro", "db.t3.4xlarge", "t3.micro"} {
		_, err := monitoring.EstimateMaxConnections(bad)
		assert.Error(t, err, bad)
	}
}

func TestUnknownInstanceClassIsAnError(t *testing.T) {
	a := args()
	a.DBInstanceClass = "db.x2g.large"
	_, err := plan.Run(func(ctx *pulumi.Context) error {
		_, err := monitoring.NewMonitoring(ctx, "monitoring", &a)
		return err
	}, "test", map[string]string{"aws:region": region})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "db.x2g.large")
}

func TestAlarmTopicIsEncryptedWithARotatingKeyCloudWatchMayUse(t *testing.T) {
	p, _ := build(t, args())
	key := plantest.One(t, p, "aws:kms/key:Key")
	assert.Equal(t, true, key.Input("enableKeyRotation"))
	doc := policy(t, key.Input("policy"))

	admin := statement(t, doc, "AccountAdministersKey")
	assert.Equal(t, map[string]any{"AWS": "arn:aws:iam::" + plan.AccountID + ":root"}, admin["Principal"])
	assert.Equal(t, "kms:*", admin["Action"])

	cw := statement(t, doc, "CloudWatchAlarmsEncrypt")
	assert.Equal(t, "Allow", cw["Effect"])
	assert.Equal(t, map[string]any{"Service": "cloudwatch.amazonaws.com"}, cw["Principal"])
	assert.ElementsMatch(t, []any{"kms:Decrypt", "kms:GenerateDataKey*"}, cw["Action"])
	assert.Equal(t, map[string]any{"StringEquals": map[string]any{"aws:SourceAccount": plan.AccountID}}, cw["Condition"])

	topic := plantest.One(t, p, "aws:sns/topic:Topic")
	assert.Equal(t, key.Outputs["arn"], topic.Input("kmsMasterKeyId"), "the customer managed key, not alias/aws/sns")
	assert.Equal(t, "octabyte-test-alarms", topic.Input("name"))
}

func TestTopicPolicyLetsOnlyThisStacksAlarmsPublishOverTLS(t *testing.T) {
	p, _ := build(t, args())
	topic := plantest.One(t, p, "aws:sns/topic:Topic")
	tp := plantest.One(t, p, "aws:sns/topicPolicy:TopicPolicy")
	assert.Equal(t, topic.Outputs["arn"], tp.Input("arn"))
	doc := policy(t, tp.Input("policy"))

	publish := statement(t, doc, "CloudWatchAlarmsPublish")
	assert.Equal(t, "Allow", publish["Effect"])
	assert.Equal(t, map[string]any{"Service": "cloudwatch.amazonaws.com"}, publish["Principal"])
	assert.Equal(t, "sns:Publish", publish["Action"])
	assert.Equal(t, topic.Outputs["arn"], publish["Resource"])
	cond := publish["Condition"].(map[string]any)
	assert.Equal(t, map[string]any{"aws:SourceAccount": plan.AccountID}, cond["StringEquals"])
	assert.Equal(t, map[string]any{"aws:SourceArn": "arn:aws:cloudwatch:ap-south-1:123456789012:alarm:octabyte-test-*"}, cond["ArnLike"])

	tls := statement(t, doc, "DenyInsecureTransport")
	assert.Equal(t, "Deny", tls["Effect"])
	assert.Equal(t, "*", tls["Principal"])
	assert.Equal(t, map[string]any{"Bool": map[string]any{"aws:SecureTransport": "false"}}, tls["Condition"])
}

func TestEveryAlarmIsNamedForTheStackAndNotifiesOnAlarmAndOK(t *testing.T) {
	p, m := build(t, args())
	topicArn := plantest.One(t, p, "aws:sns/topic:Topic").Outputs["arn"]
	alarms := p.ByType("aws:cloudwatch/metricAlarm:MetricAlarm")
	require.Len(t, alarms, 11)
	require.Len(t, m.AlarmNames, 11)
	for _, a := range alarms {
		name, _ := a.Input("name").(string)
		assert.Equal(t, "octabyte-test-"+a.Name, name)
		assert.Contains(t, m.AlarmNames, name)
		assert.Equal(t, []any{topicArn}, a.Input("alarmActions"), name)
		assert.Equal(t, []any{topicArn}, a.Input("okActions"), name)
		assert.Contains(t, []any{"notBreaching", "breaching"}, a.Input("treatMissingData"), "%s: missing data is a decision, not the default", name)
		assert.NotEmpty(t, a.Input("alarmDescription"), name)
		assert.Equal(t, true, a.Input("actionsEnabled"), name)
	}
}

func TestEmailsSubscribeToTheTopic(t *testing.T) {
	a := args()
	a.AlarmEmails = []string{"ops@example.com", "oncall@example.org"}
	p, _ := build(t, a)
	topicArn := plantest.One(t, p, "aws:sns/topic:Topic").Outputs["arn"]
	subs := p.ByType("aws:sns/topicSubscription:TopicSubscription")
	require.Len(t, subs, 2)
	var endpoints []any
	for _, s := range subs {
		assert.Equal(t, "email", s.Input("protocol"))
		assert.Equal(t, topicArn, s.Input("topic"))
		endpoints = append(endpoints, s.Input("endpoint"))
	}
	assert.ElementsMatch(t, []any{"ops@example.com", "oncall@example.org"}, endpoints)

	p, _ = build(t, args())
	assert.Empty(t, p.ByType("aws:sns/topicSubscription:TopicSubscription"), "no emails is valid: the topic still exists")
}

func TestNoHealthyTargetsDoesNotPageBeforeTheFirstImage(t *testing.T) {
	a := args()
	a.ExpectedTasks = 0
	p, _ := build(t, a)
	healthy := alarm(t, p, monitoring.AlarmNoHealthyTargets)
	assert.Equal(t, false, healthy.Input("actionsEnabled"))
	assert.Contains(t, healthy.Input("alarmDescription"), "octabyte:appImage")
	assert.Equal(t, true, alarm(t, p, monitoring.AlarmUnhealthyTargets).Input("actionsEnabled"))

	p, _ = build(t, args()) // one task expected
	healthy = alarm(t, p, monitoring.AlarmNoHealthyTargets)
	assert.Equal(t, true, healthy.Input("actionsEnabled"))
	assert.Equal(t, "breaching", healthy.Input("treatMissingData"), "a silent target group that should have tasks is down")
	assert.Equal(t, "LessThanThreshold", healthy.Input("comparisonOperator"))
	assert.Equal(t, 1.0, healthy.Input("threshold"))
	assert.Equal(t, "Minimum", healthy.Input("statistic"))
}

func TestThresholdsAreInTheMetricsOwnUnits(t *testing.T) {
	a := args()
	a.Thresholds = monitoring.Thresholds{LatencyP99Ms: 1500, DBFreeStorageGB: 5, DBFreeMemoryPercent: 25, DBConnectionsPercent: 50, DBMaxConnections: 200}
	p, _ := build(t, a)
	assert.Equal(t, 1.5, alarm(t, p, monitoring.AlarmLatencyP99).Input("threshold"), "TargetResponseTime is in seconds")
	assert.Equal(t, "p99", alarm(t, p, monitoring.AlarmLatencyP99).Input("extendedStatistic"))
	assert.Equal(t, 5.0*1024*1024*1024, alarm(t, p, monitoring.AlarmDBFreeStorage).Input("threshold"), "FreeStorageSpace is in bytes")
	assert.Equal(t, 0.25*1024*1024*1024, alarm(t, p, monitoring.AlarmDBFreeMemory).Input("threshold"), "25% of db.t3.micro's 1 GiB, in bytes")
	assert.Equal(t, 100.0, alarm(t, p, monitoring.AlarmDBConnections).Input("threshold"), "50% of the configured 200")

	p, _ = build(t, args())
	assert.Equal(t, 63.0, alarm(t, p, monitoring.AlarmDBConnections).Input("threshold"), "80% of db.t3.micro's estimated 79")
	assert.Equal(t, 2.0, alarm(t, p, monitoring.AlarmLatencyP99).Input("threshold"))
}

func TestTarget5xxRateIsGuardedMetricMath(t *testing.T) {
	p, _ := build(t, args())
	a := alarm(t, p, monitoring.AlarmTarget5xxRate)
	assert.Nil(t, a.Input("metricName"), "a metric math alarm names no single metric")
	queries := a.Input("metricQueries").([]any)
	require.Len(t, queries, 3)
	byID := map[string]map[string]any{}
	for _, q := range queries {
		byID[q.(map[string]any)["id"].(string)] = q.(map[string]any)
	}
	for id, name := range map[string]string{"m1": "HTTPCode_Target_5XX_Count", "m2": "RequestCount"} {
		m := byID[id]["metric"].(map[string]any)
		assert.Equal(t, name, m["metricName"])
		assert.Equal(t, "AWS/ApplicationELB", m["namespace"])
		assert.Equal(t, "Sum", m["stat"])
		assert.Equal(t, map[string]any{"LoadBalancer": albSuffix, "TargetGroup": tgSuffix}, m["dimensions"])
		assert.Equal(t, false, byID[id]["returnData"])
	}
	assert.Equal(t, "IF(FILL(m2, 0) >= 10, 100 * FILL(m1, 0) / FILL(m2, 0), 0)", byID["e1"]["expression"])
	assert.Equal(t, true, byID["e1"]["returnData"])
	assert.Equal(t, 5.0, a.Input("threshold"))
}

// matches evaluates the subset of EventBridge pattern syntax the ECS rule
// uses (exact strings, prefix, nested objects, $or) against an event.
func matches(pattern, event map[string]any) bool {
	for key, want := range pattern {
		if key == "$or" {
			matched := false
			for _, branch := range want.([]any) {
				matched = matched || matches(branch.(map[string]any), event)
			}
			if !matched {
				return false
			}
			continue
		}
		got, ok := event[key]
		if !ok {
			return false
		}
		if sub, isObj := want.(map[string]any); isObj {
			gotObj, ok := got.(map[string]any)
			if !ok || !matches(sub, gotObj) {
				return false
			}
			continue
		}
		values := []any{got}
		if arr, isArr := got.([]any); isArr {
			values = arr
		}
		hit := false
		for _, m := range want.([]any) {
			for _, v := range values {
				s, _ := v.(string)
				if p, isPrefix := m.(map[string]any); isPrefix {
					hit = hit || strings.HasPrefix(s, p["prefix"].(string))
				} else {
					hit = hit || m == v
				}
			}
		}
		if !hit {
			return false
		}
	}
	return true
}

func TestEcsEventsRuleKeepsOnlyThisClustersEvents(t *testing.T) {
	p, _ := build(t, args())
	rule := plantest.One(t, p, "aws:cloudwatch/eventRule:EventRule")
	var pattern map[string]any
	require.NoError(t, json.Unmarshal([]byte(rule.Input("eventPattern").(string)), &pattern))
	assert.Equal(t, []any{"aws.ecs"}, pattern["source"])
	assert.ElementsMatch(t, []any{"ECS Task State Change", "ECS Service Action", "ECS Deployment State Change"}, pattern["detail-type"])

	event := func(detailType string, resources []any, detail map[string]any) map[string]any {
		return map[string]any{"source": "aws.ecs", "detail-type": detailType, "resources": resources, "detail": detail}
	}
	other := "arn:aws:ecs:ap-south-1:123456789012:cluster/other"
	ours := "arn:aws:ecs:ap-south-1:123456789012:service/" + clusterName + "/" + serviceName
	theirs := "arn:aws:ecs:ap-south-1:123456789012:service/other/" + serviceName
	for _, c := range []struct {
		name  string
		event map[string]any
		want  bool
	}{
		{"our task stopped", event("ECS Task State Change", []any{"arn:aws:ecs:ap-south-1:123456789012:task/" + clusterName + "/abc"}, map[string]any{"clusterArn": clusterArn, "lastStatus": "STOPPED"}), true},
		{"another cluster's task", event("ECS Task State Change", []any{"arn:aws:ecs:ap-south-1:123456789012:task/other/abc"}, map[string]any{"clusterArn": other}), false},
		{"our service steady", event("ECS Service Action", []any{ours}, map[string]any{"clusterArn": clusterArn, "eventName": "SERVICE_STEADY_STATE"}), true},
		{"our deployment failed", event("ECS Deployment State Change", []any{ours}, map[string]any{"eventName": "SERVICE_DEPLOYMENT_FAILED"}), true},
		{"another cluster's deployment", event("ECS Deployment State Change", []any{theirs}, map[string]any{"eventName": "SERVICE_DEPLOYMENT_FAILED"}), false},
		{"container instance change", event("ECS Container Instance State Change", []any{}, map[string]any{"clusterArn": clusterArn}), false},
	} {
		assert.Equal(t, c.want, matches(pattern, c.event), c.name)
	}
}

func TestEcsEventsLandInAnAwsEventsLogGroupEventBridgeMayWrite(t *testing.T) {
	a := args()
	a.LogRetentionDays = 30
	p, m := build(t, a)
	group := plantest.One(t, p, "aws:cloudwatch/logGroup:LogGroup")
	assert.Equal(t, "/aws/events/octabyte-test-ecs", group.Input("name"))
	assert.Equal(t, 30.0, group.Input("retentionInDays"))

	target := plantest.One(t, p, "aws:cloudwatch/eventTarget:EventTarget")
	assert.Equal(t, group.Outputs["arn"], target.Input("arn"))
	assert.Nil(t, target.Input("roleArn"), "CloudWatch Logs targets use the resource policy, never a role")
	assert.Equal(t, plantest.One(t, p, "aws:cloudwatch/eventRule:EventRule").Outputs["name"], target.Input("rule"))

	rp := plantest.One(t, p, "aws:cloudwatch/logResourcePolicy:LogResourcePolicy")
	assert.True(t, p.DependsOn(target, rp.URN), "delivery is allowed before the first event arrives")
	st := policy(t, rp.Input("policyDocument"))["Statement"].([]any)[0].(map[string]any)
	assert.Equal(t, map[string]any{"Service": []any{"events.amazonaws.com", "delivery.logs.amazonaws.com"}}, st["Principal"])
	assert.ElementsMatch(t, []any{"logs:CreateLogStream", "logs:PutLogEvents"}, st["Action"])
	assert.Equal(t, group.Outputs["arn"].(string)+":*", st["Resource"], "this log group only")

	names := make(chan string, 1)
	m.EcsEventsLogGroupName.ApplyT(func(n string) string { names <- n; return n })
	assert.Equal(t, "/aws/events/octabyte-test-ecs", <-names)
}

func dashboard(t *testing.T, p *plan.Plan, key string) map[string]any {
	t.Helper()
	d, ok := p.Find("aws:cloudwatch/dashboard:Dashboard", key)
	require.True(t, ok, key)
	assert.Equal(t, "octabyte-test-"+key, d.Input("dashboardName"))
	var body map[string]any
	require.NoError(t, json.Unmarshal([]byte(d.Input("dashboardBody").(string)), &body))
	return body
}

func widgetTitles(body map[string]any, typ string) []string {
	var out []string
	for _, w := range body["widgets"].([]any) {
		w := w.(map[string]any)
		if w["type"] == typ {
			title, _ := w["properties"].(map[string]any)["title"].(string)
			out = append(out, title)
		}
	}
	return out
}

func TestDashboardsFitTheGridAndNeverOverlap(t *testing.T) {
	p, _ := build(t, args())
	for _, key := range []string{"infrastructure", "application"} {
		body := dashboard(t, p, key)
		taken := map[[2]int]bool{}
		for _, w := range body["widgets"].([]any) {
			w := w.(map[string]any)
			x, y, width, height := int(w["x"].(float64)), int(w["y"].(float64)), int(w["width"].(float64)), int(w["height"].(float64))
			assert.LessOrEqual(t, x+width, 24, key)
			for i := x; i < x+width; i++ {
				for j := y; j < y+height; j++ {
					assert.False(t, taken[[2]int{i, j}], "%s: widgets overlap at %d,%d", key, i, j)
					taken[[2]int{i, j}] = true
				}
			}
		}
	}
}

func TestApplicationDashboardListsEveryAlarmAndRecentErrors(t *testing.T) {
	p, _ := build(t, args())
	body := dashboard(t, p, "application")
	var alarmArns []any
	for _, a := range p.ByType("aws:cloudwatch/metricAlarm:MetricAlarm") {
		alarmArns = append(alarmArns, a.Outputs["arn"])
	}
	var logQuery string
	for _, w := range body["widgets"].([]any) {
		props := w.(map[string]any)["properties"].(map[string]any)
		switch w.(map[string]any)["type"] {
		case "alarm":
			assert.ElementsMatch(t, alarmArns, props["alarms"])
		case "log":
			logQuery = props["query"].(string)
			assert.Equal(t, region, props["region"])
		}
	}
	assert.True(t, strings.HasPrefix(logQuery, "SOURCE '"+appLogGroup+"' | "), logQuery)
	assert.Contains(t, logQuery, `filter level = "ERROR"`)
}

func TestRunningTasksNeedContainerInsights(t *testing.T) {
	p, _ := build(t, args())
	assert.NotContains(t, widgetTitles(dashboard(t, p, "application"), "metric"), "Tasks")

	a := args()
	a.ContainerInsights = true
	p, _ = build(t, a)
	assert.Contains(t, widgetTitles(dashboard(t, p, "application"), "metric"), "Tasks")
}

func TestOutputsNameTheDashboardsAndTheirConsoleURLs(t *testing.T) {
	_, m := build(t, args())
	got := make(chan []string, 1)
	pulumi.All(m.InfrastructureDashboardName, m.InfrastructureDashboardURL, m.ApplicationDashboardName, m.ApplicationDashboardURL, m.AlarmTopicArn).
		ApplyT(func(v []any) []any {
			s := make([]string, len(v))
			for i := range v {
				s[i] = v[i].(string)
			}
			got <- s
			return v
		})
	v := <-got
	assert.Equal(t, "octabyte-test-infrastructure", v[0])
	assert.Equal(t, "https://ap-south-1.console.aws.amazon.com/cloudwatch/home?region=ap-south-1#dashboards/dashboard/octabyte-test-infrastructure", v[1])
	assert.Equal(t, "octabyte-test-application", v[2])
	assert.Equal(t, "https://ap-south-1.console.aws.amazon.com/cloudwatch/home?region=ap-south-1#dashboards/dashboard/octabyte-test-application", v[3])
	assert.Equal(t, "arn:aws:sns:ap-south-1:123456789012:octabyte-test-alarms", v[4])
}

func TestEventPatternJSONShape(t *testing.T) {
	b, err := json.Marshal(monitoring.EcsEventPattern(region, plan.AccountID, clusterArn, clusterName))
	require.NoError(t, err)
	assert.JSONEq(t, `{
		"source": ["aws.ecs"],
		"detail-type": ["ECS Task State Change", "ECS Service Action", "ECS Deployment State Change"],
		"$or": [
			{"detail": {"clusterArn": ["`+clusterArn+`"]}},
			{"resources": [{"prefix": "arn:aws:ecs:ap-south-1:123456789012:service/cluster-abc/"}]}
		]
	}`, string(b))
}

// A NAT instance that fails its status checks is rebooted by the alarm and
// somebody hears of it; stacks on NAT gateways have no such alarm.
func TestNATInstanceAlarmRebootsAndNotifies(t *testing.T) {
	a := args()
	a.NATInstanceID = pulumi.String("i-0123456789abcdef0")
	p, m := build(t, a)
	alarm, ok := p.Find("aws:cloudwatch/metricAlarm:MetricAlarm", monitoring.AlarmNATInstance)
	require.True(t, ok)
	assert.Equal(t, "AWS/EC2", alarm.Input("namespace"))
	assert.Equal(t, "StatusCheckFailed", alarm.Input("metricName"))
	assert.Equal(t, map[string]any{"InstanceId": "i-0123456789abcdef0"}, alarm.Input("dimensions"))
	assert.Equal(t, 1.0, alarm.Input("threshold"))
	assert.Equal(t, "GreaterThanOrEqualToThreshold", alarm.Input("comparisonOperator"))
	// Status checks are published each minute: three failed minutes in a
	// row reboot it, not one blip. No data (the instance starting, a gap
	// CloudWatch documents for EC2 metrics) never reboots it.
	assert.Equal(t, "Maximum", alarm.Input("statistic"))
	assert.Equal(t, 60.0, alarm.Input("period"))
	assert.Equal(t, 3.0, alarm.Input("evaluationPeriods"))
	assert.Equal(t, 3.0, alarm.Input("datapointsToAlarm"))
	assert.Equal(t, "notBreaching", alarm.Input("treatMissingData"))
	topic := plantest.One(t, p, "aws:sns/topic:Topic").Outputs["arn"]
	assert.ElementsMatch(t, []any{topic, "arn:aws:automate:ap-south-1:ec2:reboot"}, alarm.Input("alarmActions"))
	assert.Equal(t, []any{topic}, alarm.Input("okActions"))
	assert.Contains(t, m.AlarmNames, "octabyte-test-"+monitoring.AlarmNATInstance)

	p, _ = build(t, args())
	_, ok = p.Find("aws:cloudwatch/metricAlarm:MetricAlarm", monitoring.AlarmNATInstance)
	assert.False(t, ok)
}

// The budget watches the stack's own costs (its Environment cost allocation
// tag) and tells the alarm topic when actual or forecast spend passes it.
func TestBudgetNotifiesTheAlarmTopicOnActualAndForecastSpend(t *testing.T) {
	a := args()
	a.Budget = monitoring.BudgetArgs{LimitUSD: 138, TagKey: "Environment", TagValue: "test"}
	p, _ := build(t, a)
	b := plantest.One(t, p, "aws:budgets/budget:Budget")
	assert.Equal(t, "octabyte-test-monthly", b.Input("name"))
	assert.Equal(t, "COST", b.Input("budgetType"))
	assert.Equal(t, "MONTHLY", b.Input("timeUnit"))
	assert.Equal(t, "138.00", b.Input("limitAmount"))
	assert.Equal(t, "USD", b.Input("limitUnit"))
	assert.Equal(t, []any{map[string]any{"name": "TagKeyValue", "values": []any{"user:Environment$test"}}}, b.Input("costFilters"))
	topic := plantest.One(t, p, "aws:sns/topic:Topic").Outputs["arn"]
	var kinds []any
	for _, n := range b.Input("notifications").([]any) {
		m := n.(map[string]any)
		kinds = append(kinds, m["notificationType"])
		assert.Equal(t, "GREATER_THAN", m["comparisonOperator"])
		assert.Equal(t, 100.0, m["threshold"])
		assert.Equal(t, "PERCENTAGE", m["thresholdType"])
		assert.Equal(t, []any{topic}, m["subscriberSnsTopicArns"])
	}
	assert.ElementsMatch(t, []any{"ACTUAL", "FORECASTED"}, kinds)

	p, _ = build(t, args())
	assert.Empty(t, p.ByType("aws:budgets/budget:Budget"), "no limit, no budget")
}

// Budgets may publish to the topic for this account only, and encrypt with
// its key (the topic is KMS-encrypted).
func TestBudgetsMayPublishToTheEncryptedTopic(t *testing.T) {
	p, _ := build(t, args())
	publish := statement(t, policy(t, plantest.One(t, p, "aws:sns/topicPolicy:TopicPolicy").Input("policy")), "BudgetsPublish")
	assert.Equal(t, map[string]any{"Service": "budgets.amazonaws.com"}, publish["Principal"])
	assert.Equal(t, "sns:Publish", publish["Action"])
	assert.Equal(t, map[string]any{
		"StringEquals": map[string]any{"aws:SourceAccount": plan.AccountID},
		"ArnLike":      map[string]any{"aws:SourceArn": "arn:aws:budgets::" + plan.AccountID + ":*"},
	}, publish["Condition"])
	encrypt := statement(t, policy(t, plantest.One(t, p, "aws:kms/key:Key").Input("policy")), "BudgetsEncrypt")
	assert.Equal(t, map[string]any{"Service": "budgets.amazonaws.com"}, encrypt["Principal"])
	assert.ElementsMatch(t, []any{"kms:Decrypt", "kms:GenerateDataKey*"}, encrypt["Action"])
	assert.Equal(t, map[string]any{"StringEquals": map[string]any{"aws:SourceAccount": plan.AccountID}}, encrypt["Condition"])
}

// A Slack channel gets the alarm topic through AWS Chatbot with a role that
// only reads CloudWatch and a guardrail that caps the channel at that.
func TestSlackChannelGetsTheAlarmsWithALeastPrivilegeRole(t *testing.T) {
	p, _ := build(t, args())
	assert.Empty(t, p.ByType("aws:chatbot/slackChannelConfiguration:SlackChannelConfiguration"), "no Slack ids, no channel")

	a := args()
	a.Slack = monitoring.SlackChannel{WorkspaceID: "T07EA123LEP", ChannelID: "C07EZ1ABC23"}
	p, _ = build(t, a)
	channel := plantest.One(t, p, "aws:chatbot/slackChannelConfiguration:SlackChannelConfiguration")
	topic := plantest.One(t, p, "aws:sns/topic:Topic")
	role, ok := p.Find("aws:iam/role:Role", "chatbot")
	require.True(t, ok)
	assert.Equal(t, "T07EA123LEP", channel.Input("slackTeamId"))
	assert.Equal(t, "C07EZ1ABC23", channel.Input("slackChannelId"))
	assert.Equal(t, "octabyte-test-alarms", channel.Input("configurationName"))
	assert.Equal(t, []any{topic.Outputs["arn"]}, channel.Input("snsTopicArns"))
	assert.Equal(t, role.Outputs["arn"], channel.Input("iamRoleArn"))
	assert.Equal(t, []any{"arn:aws:iam::aws:policy/CloudWatchReadOnlyAccess"}, channel.Input("guardrailPolicyArns"), "Chatbot's default guardrail is AdministratorAccess")
	assert.Equal(t, false, channel.Input("userAuthorizationRequired"))
	assert.Equal(t, "ERROR", channel.Input("loggingLevel"), "failed deliveries reach CloudWatch Logs")

	trust := policy(t, role.Input("assumeRolePolicy"))["Statement"].([]any)[0].(map[string]any)
	assert.Equal(t, map[string]any{"Service": "chatbot.amazonaws.com"}, trust["Principal"])
	assert.Contains(t, role.Input("tags"), "octabyte:suppress:IAM-003", "the trust without a source condition is a declared exception")
	rolePolicy, ok := p.Find("aws:iam/rolePolicy:RolePolicy", "chatbot")
	require.True(t, ok)
	read := statement(t, policy(t, rolePolicy.Input("policy")), "RenderAlarmNotifications")
	assert.ElementsMatch(t, []any{"cloudwatch:Describe*", "cloudwatch:Get*", "cloudwatch:List*"}, read["Action"])
	assert.True(t, p.DependsOn(channel, rolePolicy.URN), "the role can read before the channel uses it")

	// SNS decrypts before it delivers and Chatbot subscribes through its
	// service-linked role: neither the key nor the topic policy names it.
	for _, typ := range []string{"aws:kms/key:Key", "aws:sns/topicPolicy:TopicPolicy"} {
		assert.NotContains(t, plantest.One(t, p, typ).Input("policy"), "chatbot", typ)
	}
}

// Without a destination the topic carries the declared OPS-002 exception,
// with the keys to set; with one it carries none.
func TestATopicWithoutDestinationsSaysWhy(t *testing.T) {
	p, _ := build(t, args())
	tags, _ := plantest.One(t, p, "aws:sns/topic:Topic").Input("tags").(map[string]any)
	assert.Contains(t, tags["octabyte:suppress:OPS-002"], "octabyte:alarmEmails")
	assert.Contains(t, tags["octabyte:suppress:OPS-002"], "octabyte:slackChannelId")

	a := args()
	a.AlarmEmails = []string{"ops@example.com"}
	p, _ = build(t, a)
	assert.Nil(t, plantest.One(t, p, "aws:sns/topic:Topic").Input("tags"))
	a = args()
	a.Slack = monitoring.SlackChannel{WorkspaceID: "T07EA123LEP", ChannelID: "C07EZ1ABC23"}
	p, _ = build(t, a)
	assert.Nil(t, plantest.One(t, p, "aws:sns/topic:Topic").Input("tags"))
}

// NAT gateways get their own widgets and one port allocation alarm over
// all of them; with none (a NAT instance later) neither exists.
func TestNATGatewaysHaveWidgetsAndAnAlarmOnlyWhenThereAreSome(t *testing.T) {
	p, _ := build(t, args())
	_, found := p.Find("aws:cloudwatch/metricAlarm:MetricAlarm", monitoring.AlarmNATPortAllocation)
	assert.False(t, found)
	for _, title := range widgetTitles(dashboard(t, p, "infrastructure"), "metric") {
		assert.NotContains(t, title, "NAT")
	}

	a := args()
	a.NATGateways, a.NATGatewayIDs = 2, pulumi.ToStringArray([]string{"nat-0aaa", "nat-0bbb"})
	p, _ = build(t, a)
	nat := alarm(t, p, monitoring.AlarmNATPortAllocation)
	queries := nat.Input("metricQueries").([]any)
	require.Len(t, queries, 3)
	for i, id := range []string{"nat-0aaa", "nat-0bbb"} {
		q := queries[i].(map[string]any)
		assert.Equal(t, fmt.Sprintf("m%d", i+1), q["id"])
		assert.Equal(t, map[string]any{"NatGatewayId": id}, q["metric"].(map[string]any)["dimensions"])
		assert.Equal(t, 300.0, q["metric"].(map[string]any)["period"], "errors in the last 5 minutes, as the description says")
	}
	assert.Equal(t, "FILL(m1, 0) + FILL(m2, 0)", queries[2].(map[string]any)["expression"])
	assert.Equal(t, 0.0, nat.Input("threshold"))
	assert.Equal(t, "notBreaching", nat.Input("treatMissingData"), "no data from any gateway is no error")

	body := dashboard(t, p, "infrastructure")
	titles := widgetTitles(body, "metric")
	assert.Contains(t, titles, "NAT gateways: bytes out to the internet")
	assert.Contains(t, titles, "NAT gateways: active connections")
	assert.Contains(t, titles, "NAT gateways: port allocation errors and dropped packets")
	perGateway := 0
	for _, w := range body["widgets"].([]any) {
		props := w.(map[string]any)["properties"].(map[string]any)
		if title, _ := props["title"].(string); strings.HasPrefix(title, "NAT gateways:") {
			for _, row := range props["metrics"].([]any) {
				r := row.([]any)
				assert.Equal(t, "AWS/NATGateway", r[0])
				assert.Equal(t, "NatGatewayId", r[2])
				assert.Contains(t, []any{"nat-0aaa", "nat-0bbb"}, r[3])
				perGateway++
			}
		}
	}
	assert.Equal(t, 8, perGateway, "bytes, connections, port errors and drops of both gateways")

	a.NATGatewayIDs = nil
	_, err := plan.Run(func(ctx *pulumi.Context) error {
		_, err := monitoring.NewMonitoring(ctx, "monitoring", &a)
		return err
	}, "test", map[string]string{"aws:region": region})
	assert.ErrorContains(t, err, "2 NAT gateways without their ids")
}

// PutMetricAlarm accepts metric math only when exactly one query returns
// data: the series the alarm compares ("Create a CloudWatch alarm based on
// a metric math expression", CloudWatch User Guide).
func TestMetricMathAlarmsReturnExactlyOneSeries(t *testing.T) {
	a := args()
	a.NATGateways, a.NATGatewayIDs = 2, pulumi.ToStringArray([]string{"nat-0aaa", "nat-0bbb"})
	p, _ := build(t, a)
	mathAlarms := 0
	for _, r := range p.ByType("aws:cloudwatch/metricAlarm:MetricAlarm") {
		queries, ok := r.Input("metricQueries").([]any)
		if !ok {
			continue
		}
		mathAlarms++
		var returned []any
		for _, q := range queries {
			if q.(map[string]any)["returnData"] == true {
				returned = append(returned, q.(map[string]any)["id"])
			}
		}
		assert.Equal(t, []any{"e1"}, returned, "%s returns only its expression", r.Name)
	}
	assert.Equal(t, 2, mathAlarms, "the 5XX rate and the NAT port allocation errors")
}

// A sleep schedule switches alarm actions off and on, so updates leave
// actionsEnabled alone; without one an update must still set it (the
// no-healthy-targets alarm is enabled by the deploy that adds the image).
func TestOnlyASleepScheduleOwnsTheAlarmActions(t *testing.T) {
	p, _ := build(t, args())
	for _, r := range p.ByType("aws:cloudwatch/metricAlarm:MetricAlarm") {
		assert.Empty(t, r.IgnoreChanges, r.Name)
	}
	a := args()
	a.ScheduledActions = true
	p, _ = build(t, a)
	for _, r := range p.ByType("aws:cloudwatch/metricAlarm:MetricAlarm") {
		assert.Equal(t, []string{"actionsEnabled"}, r.IgnoreChanges, r.Name)
	}
}

// The app's 5XX widget is one series per route: a SEARCH over the
// Environment+Route set of ServerErrors for this environment, each series
// named by its Route dimension (a dynamic label, "Use dynamic labels",
// CloudWatch User Guide).
func TestServerErrorsAreOneSeriesPerRoute(t *testing.T) {
	p, _ := build(t, args())
	var rows []any
	for _, w := range dashboard(t, p, "application")["widgets"].([]any) {
		props := w.(map[string]any)["properties"].(map[string]any)
		if props["title"] == "App server errors by route (EMF)" {
			rows = props["metrics"].([]any)
		}
	}
	require.Len(t, rows, 1)
	search := rows[0].([]any)[0].(map[string]any)
	assert.Equal(t, `SEARCH('{Octabyte/App,Environment,Route} MetricName="ServerErrors" Environment="test"', 'Sum', 300)`, search["expression"])
	assert.Equal(t, "${PROP('Dim.Route')}", search["label"])
}
