package main

import (
	"encoding/json"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/octabyte/octabyte/appmetrics"
	"github.com/octabyte/octabyte/monitoring"
	"github.com/octabyte/octabyte/plan"
	"github.com/octabyte/octabyte/plan/plantest"
)

// Dimension sets CloudWatch publishes, per namespace and metric. A query
// must name one of them exactly, or it silently returns nothing.
// Sources: "CloudWatch metrics for your Application Load Balancer" (as
// transcribed in pulumi-awsx's classic lb metrics), "Amazon ECS CloudWatch
// metrics", "Amazon ECS Container Insights metrics", "Amazon CloudWatch
// metrics for Amazon RDS", "Monitor NAT gateways with Amazon CloudWatch"
// (Amazon VPC User Guide), and app/metrics/metrics.go for Octabyte/App (the app writes no other).
var (
	lbOnly  = [][]string{{"LoadBalancer"}, {"AvailabilityZone", "LoadBalancer"}}
	lbOrTG  = [][]string{{"LoadBalancer"}, {"AvailabilityZone", "LoadBalancer"}, {"TargetGroup", "LoadBalancer"}, {"TargetGroup", "AvailabilityZone", "LoadBalancer"}}
	tgOnly  = [][]string{{"TargetGroup", "LoadBalancer"}, {"TargetGroup", "AvailabilityZone", "LoadBalancer"}}
	service = [][]string{{"ClusterName", "ServiceName"}, {"ClusterName"}}
	rds     = [][]string{{"DBInstanceIdentifier"}}
	nat     = [][]string{{"NatGatewayId"}}
)

var knownMetrics = map[string]map[string][][]string{
	"AWS/ECS": {"CPUUtilization": service, "MemoryUtilization": service},
	"ECS/ContainerInsights": {
		"RunningTaskCount": {{"ClusterName", "ServiceName"}},
		"DesiredTaskCount": {{"ClusterName", "ServiceName"}},
	},
	"AWS/ApplicationELB": {
		"RequestCount":              lbOrTG,
		"TargetResponseTime":        lbOrTG,
		"HTTPCode_Target_2XX_Count": lbOrTG,
		"HTTPCode_Target_4XX_Count": lbOrTG,
		"HTTPCode_Target_5XX_Count": lbOrTG,
		"HTTPCode_ELB_4XX_Count":    lbOnly,
		"HTTPCode_ELB_5XX_Count":    lbOnly,
		"HealthyHostCount":          tgOnly,
		"UnHealthyHostCount":        tgOnly,
	},
	"AWS/RDS": {
		"CPUUtilization": rds, "DatabaseConnections": rds, "FreeStorageSpace": rds,
		"FreeableMemory": rds, "ReadLatency": rds, "WriteLatency": rds,
	},
	"Octabyte/App": {"ServerErrors": {{"Environment", "Route"}}, "DBErrors": {{"Environment"}}},
	"AWS/NATGateway": {
		"BytesOutToDestination": nat, "ActiveConnectionCount": nat, "ErrorPortAllocation": nat, "PacketsDropCount": nat,
	},
}

// natGatewayIDs are the ids of the VPC's NAT gateways, as awsx reports them.
func natGatewayIDs(t *testing.T, p *plan.Plan) []string {
	t.Helper()
	var ids []string
	for _, id := range plantest.One(t, p, "awsx:ec2:Vpc").Outputs["natGateways"].([]any) {
		ids = append(ids, id.(string))
	}
	return ids
}

// stackTargets are the names and ids the stack's metrics must point at,
// taken from the resources the plan recorded.
func stackTargets(t *testing.T, p *plan.Plan) map[string]string {
	t.Helper()
	return map[string]string{
		"ClusterName":          plantest.One(t, p, "aws:ecs/cluster:Cluster").Outputs["name"].(string),
		"ServiceName":          plantest.One(t, p, "aws:ecs/service:Service").Outputs["name"].(string),
		"LoadBalancer":         plantest.One(t, p, "aws:lb/loadBalancer:LoadBalancer").Outputs["arnSuffix"].(string),
		"TargetGroup":          plantest.One(t, p, "aws:lb/targetGroup:TargetGroup").Outputs["arnSuffix"].(string),
		"DBInstanceIdentifier": plantest.One(t, p, "aws:rds/instance:Instance").Outputs["identifier"].(string),
		"Environment":          p.Stack,
	}
}

func sameSet(a, b []string) bool {
	a, b = slices.Clone(a), slices.Clone(b)
	sort.Strings(a)
	sort.Strings(b)
	return slices.Equal(a, b)
}

func knownDimensionSet(namespace, metric string, dims []string) bool {
	return slices.ContainsFunc(knownMetrics[namespace][metric], func(set []string) bool { return sameSet(set, dims) })
}

func findAlarm(t *testing.T, p *plan.Plan, key string) plan.Resource {
	t.Helper()
	r, ok := p.Find("aws:cloudwatch/metricAlarm:MetricAlarm", key)
	require.True(t, ok, "alarm %s", key)
	return r
}

func TestEveryLogGroupKeepsTheConfiguredRetention(t *testing.T) {
	for _, stack := range stacks {
		for _, days := range []string{"", "30"} {
			cfg, err := plan.LoadStackConfig(".", stack)
			require.NoError(t, err)
			want := 14.0 // the documented default of octabyte:logRetentionDays
			if days != "" {
				cfg["octabyte:logRetentionDays"] = days
				want = 30
			}
			p, err := plan.Run(run, stack, cfg)
			require.NoError(t, err)
			groups := p.ByType("aws:cloudwatch/logGroup:LogGroup")
			require.NotEmpty(t, groups)
			var names []string
			for _, g := range groups {
				assert.Equal(t, want, g.Input("retentionInDays"), "%s %s", stack, g.Name)
				names = append(names, g.Outputs["name"].(string))
			}
			assert.Contains(t, names, "/aws/events/octabyte-"+stack+"-ecs")
		}
	}
}

// expectedAlarm is what one alarm must watch, with the stacks' defaults.
type expectedAlarm struct {
	namespace, metric string
	dims              []string // dimension names; values must be this stack's resources
	stat              string   // statistic or extended statistic
	comparison        string
	threshold         float64
}

var expectedAlarms = map[string]expectedAlarm{
	monitoring.AlarmEcsCPU:           {"AWS/ECS", "CPUUtilization", []string{"ClusterName", "ServiceName"}, "Average", "GreaterThanThreshold", 80},
	monitoring.AlarmEcsMemory:        {"AWS/ECS", "MemoryUtilization", []string{"ClusterName", "ServiceName"}, "Maximum", "GreaterThanThreshold", 80},
	monitoring.AlarmALB5xx:           {"AWS/ApplicationELB", "HTTPCode_ELB_5XX_Count", []string{"LoadBalancer"}, "Sum", "GreaterThanThreshold", 10},
	monitoring.AlarmLatencyP99:       {"AWS/ApplicationELB", "TargetResponseTime", []string{"LoadBalancer", "TargetGroup"}, "p99", "GreaterThanThreshold", 2},
	monitoring.AlarmUnhealthyTargets: {"AWS/ApplicationELB", "UnHealthyHostCount", []string{"LoadBalancer", "TargetGroup"}, "Maximum", "GreaterThanThreshold", 0},
	monitoring.AlarmNoHealthyTargets: {"AWS/ApplicationELB", "HealthyHostCount", []string{"LoadBalancer", "TargetGroup"}, "Minimum", "LessThanThreshold", 1},
	monitoring.AlarmDBCPU:            {"AWS/RDS", "CPUUtilization", []string{"DBInstanceIdentifier"}, "Average", "GreaterThanThreshold", 80},
	// 80% of db.t3.micro's max_connections, LEAST((1 GiB - 300 MiB)/9531392, 5000) = 79
	monitoring.AlarmDBConnections: {"AWS/RDS", "DatabaseConnections", []string{"DBInstanceIdentifier"}, "Maximum", "GreaterThanThreshold", 63},
	monitoring.AlarmDBFreeStorage: {"AWS/RDS", "FreeStorageSpace", []string{"DBInstanceIdentifier"}, "Minimum", "LessThanThreshold", 2 * 1024 * 1024 * 1024},
	monitoring.AlarmDBFreeMemory:  {"AWS/RDS", "FreeableMemory", []string{"DBInstanceIdentifier"}, "Minimum", "LessThanThreshold", 0.1 * 1024 * 1024 * 1024},
}

func TestAlarmsWatchThisStacksResourcesAndNotifyTheTopic(t *testing.T) {
	for _, stack := range stacks {
		t.Run(stack, func(t *testing.T) {
			p := runStack(t, stack)
			want := stackTargets(t, p)
			topicArn := plantest.One(t, p, "aws:sns/topic:Topic").Outputs["arn"]

			alarms := p.ByType("aws:cloudwatch/metricAlarm:MetricAlarm")
			assert.Len(t, alarms, len(expectedAlarms)+2, "every alarm below plus the 5XX rate and the NAT port allocation errors")
			for _, a := range alarms {
				assert.Equal(t, "octabyte-"+stack+"-"+a.Name, a.Input("name"))
				assert.Equal(t, []any{topicArn}, a.Input("alarmActions"), a.Name)
				assert.Equal(t, []any{topicArn}, a.Input("okActions"), a.Name)
				_, ok := p.Ancestor(a, "octabyte:monitoring:Monitoring")
				assert.True(t, ok, "%s belongs to the monitoring component", a.Name)
			}
			for key, e := range expectedAlarms {
				a := findAlarm(t, p, key)
				assert.Equal(t, e.namespace, a.Input("namespace"), key)
				assert.Equal(t, e.metric, a.Input("metricName"), key)
				dims := map[string]any{}
				for _, d := range e.dims {
					dims[d] = want[d]
				}
				assert.Equal(t, dims, a.Input("dimensions"), key)
				assert.True(t, knownDimensionSet(e.namespace, e.metric, e.dims), "%s: %v is not a dimension set of %s", key, e.dims, e.metric)
				stat := a.Input("statistic")
				if stat == nil {
					stat = a.Input("extendedStatistic")
				}
				assert.Equal(t, e.stat, stat, key)
				assert.Equal(t, e.comparison, a.Input("comparisonOperator"), key)
				assert.InDelta(t, e.threshold, a.Input("threshold"), 0.001, key)
			}
		})
	}
}

// Every NAT gateway of the stack (one in staging, one per AZ in prod) is
// on the dashboard and in the port allocation alarm, by its awsx id.
func TestNATGatewaysAreWatched(t *testing.T) {
	for stack, gateways := range map[string]int{"staging": 1, "prod": 2} {
		p := runStack(t, stack)
		ids := natGatewayIDs(t, p)
		require.Len(t, ids, gateways, stack)
		a := findAlarm(t, p, monitoring.AlarmNATPortAllocation)
		var watched []string
		var expression string
		for _, q := range a.Input("metricQueries").([]any) {
			q := q.(map[string]any)
			if m, ok := q["metric"].(map[string]any); ok {
				assert.Equal(t, "AWS/NATGateway", m["namespace"])
				assert.Equal(t, "ErrorPortAllocation", m["metricName"])
				assert.Equal(t, "Sum", m["stat"])
				watched = append(watched, m["dimensions"].(map[string]any)["NatGatewayId"].(string))
				continue
			}
			expression = q["expression"].(string)
			assert.Equal(t, true, q["returnData"])
		}
		assert.ElementsMatch(t, ids, watched, "%s: the alarm watches every NAT gateway", stack)
		assert.Equal(t, monitoring.NATPortAllocationExpression(gateways), expression)
		assert.Equal(t, "GreaterThanThreshold", a.Input("comparisonOperator"))
		assert.Equal(t, 0.0, a.Input("threshold"), "any port allocation error is a failed connection")

		shown := map[string]bool{}
		for _, m := range readDashboards(t, p).metrics {
			if m.namespace == "AWS/NATGateway" {
				shown[m.dims["NatGatewayId"]] = true
			}
		}
		for _, id := range ids {
			assert.True(t, shown[id], "%s: NAT gateway %s is on the dashboard", stack, id)
		}
	}
}

func TestTarget5xxRateAlarmDividesTheTargetGroupsOwnCounts(t *testing.T) {
	p := runStack(t, "prod")
	want := stackTargets(t, p)
	a := findAlarm(t, p, monitoring.AlarmTarget5xxRate)
	queries := map[string]map[string]any{}
	for _, q := range a.Input("metricQueries").([]any) {
		queries[q.(map[string]any)["id"].(string)] = q.(map[string]any)
	}
	require.Len(t, queries, 3)
	assert.Equal(t, "HTTPCode_Target_5XX_Count", queries["m1"]["metric"].(map[string]any)["metricName"])
	assert.Equal(t, "RequestCount", queries["m2"]["metric"].(map[string]any)["metricName"])
	for _, id := range []string{"m1", "m2"} {
		m := queries[id]["metric"].(map[string]any)
		assert.Equal(t, map[string]any{"LoadBalancer": want["LoadBalancer"], "TargetGroup": want["TargetGroup"]}, m["dimensions"], id)
		assert.Equal(t, "Sum", m["stat"])
	}
	expr := queries["e1"]["expression"].(string)
	assert.Contains(t, expr, "100 * FILL(m1, 0) / FILL(m2, 0)", "a percentage of the target group's requests")
	assert.Regexp(t, `^IF\(FILL\(m2, 0\) >= \d+, `, expr, "no division by zero or by a handful of requests")
	assert.Equal(t, true, queries["e1"]["returnData"])
	assert.Equal(t, 5.0, a.Input("threshold"))
}

func TestConfiguredThresholdsReachTheAlarms(t *testing.T) {
	cfg, err := plan.LoadStackConfig(".", "staging")
	require.NoError(t, err)
	cfg["octabyte:alarmEcsCpuPercent"] = "65"
	cfg["octabyte:alarmLatencyP99Ms"] = "750"
	cfg["octabyte:alarmDbMaxConnections"] = "400"
	cfg["octabyte:alarmDbConnectionsPercent"] = "90"
	cfg["octabyte:alarmDbFreeStorageGb"] = "5"
	cfg["octabyte:alarmTarget5xxMinRequests"] = "50"
	p, err := plan.Run(run, "staging", cfg)
	require.NoError(t, err)
	assert.Equal(t, 65.0, findAlarm(t, p, monitoring.AlarmEcsCPU).Input("threshold"))
	assert.Equal(t, 0.75, findAlarm(t, p, monitoring.AlarmLatencyP99).Input("threshold"))
	assert.Equal(t, 360.0, findAlarm(t, p, monitoring.AlarmDBConnections).Input("threshold"))
	assert.Equal(t, 5.0*1024*1024*1024, findAlarm(t, p, monitoring.AlarmDBFreeStorage).Input("threshold"))
	rate := findAlarm(t, p, monitoring.AlarmTarget5xxRate).Input("metricQueries").([]any)
	assert.Contains(t, rate[2].(map[string]any)["expression"], ">= 50,")
}

func TestNoHealthyTargetsAlarmWaitsForTheFirstImage(t *testing.T) {
	for _, stack := range stacks {
		cfg, err := plan.LoadStackConfig(".", stack)
		require.NoError(t, err)
		p, err := plan.Run(run, stack, cfg)
		require.NoError(t, err)
		a := findAlarm(t, p, monitoring.AlarmNoHealthyTargets)
		assert.Equal(t, false, a.Input("actionsEnabled"), "%s runs 0 tasks until an image is configured", stack)

		cfg["octabyte:appImage"] = "sha256:" + strings.Repeat("ab", 32)
		p, err = plan.Run(run, stack, cfg)
		require.NoError(t, err)
		a = findAlarm(t, p, monitoring.AlarmNoHealthyTargets)
		assert.Equal(t, true, a.Input("actionsEnabled"), stack)
		assert.Equal(t, "breaching", a.Input("treatMissingData"), stack)
	}
}

func TestAlarmTopicKeyLetsCloudWatchEncrypt(t *testing.T) {
	for _, stack := range stacks {
		p := runStack(t, stack)
		key := plantest.One(t, p, "aws:kms/key:Key")
		assert.Equal(t, true, key.Input("enableKeyRotation"))
		var doc struct {
			Statement []struct {
				Effect    string
				Principal map[string]any
				Action    any
				Condition map[string]map[string]any
			}
		}
		require.NoError(t, json.Unmarshal([]byte(key.Input("policy").(string)), &doc))
		allowed := false
		for _, s := range doc.Statement {
			if s.Effect == "Allow" && s.Principal["Service"] == "cloudwatch.amazonaws.com" {
				assert.ElementsMatch(t, []any{"kms:Decrypt", "kms:GenerateDataKey*"}, s.Action)
				assert.Equal(t, plan.AccountID, s.Condition["StringEquals"]["aws:SourceAccount"])
				allowed = true
			}
		}
		assert.True(t, allowed, "%s: CloudWatch cannot publish to a topic whose key it may not use", stack)
		assert.Equal(t, key.Outputs["arn"], plantest.One(t, p, "aws:sns/topic:Topic").Input("kmsMasterKeyId"))
	}
}

// metricRow is one parsed row of a dashboard metric widget.
type metricRow struct {
	namespace, metric string
	dims              map[string]string
	stat, id          string
	expression        string
}

func parseRows(t *testing.T, props map[string]any) []metricRow {
	t.Helper()
	var rows []metricRow
	for _, raw := range props["metrics"].([]any) {
		arr := raw.([]any)
		require.NotEmpty(t, arr)
		if obj, ok := arr[0].(map[string]any); ok {
			rows = append(rows, metricRow{expression: obj["expression"].(string), id: str(obj["id"])})
			continue
		}
		row := metricRow{namespace: arr[0].(string), metric: arr[1].(string), dims: map[string]string{}, stat: str(props["stat"])}
		rest := arr[2:]
		if len(rest)%2 == 1 {
			opts := rest[len(rest)-1].(map[string]any)
			if s := str(opts["stat"]); s != "" {
				row.stat = s
			}
			row.id = str(opts["id"])
			rest = rest[:len(rest)-1]
		}
		for i := 0; i < len(rest); i += 2 {
			row.dims[rest[i].(string)] = rest[i+1].(string)
		}
		rows = append(rows, row)
	}
	return rows
}

func str(v any) string { s, _ := v.(string); return s }

var (
	searchPattern = regexp.MustCompile(`^SEARCH\('\{([^}]*)\} (.*)', '(\w+)', (\d+)\)$`)
	searchTerm    = regexp.MustCompile(`(\w+)="([^"]*)"`)
	mathIDs       = regexp.MustCompile(`\b[a-z]\w*\b`)
)

// searchRow turns SEARCH('{ns,dims} MetricName="x" Dim="v"', ...) into the
// metric, dimension set and filters it queries.
func searchRow(t *testing.T, expr string) (metricRow, bool) {
	m := searchPattern.FindStringSubmatch(expr)
	if m == nil {
		return metricRow{}, false
	}
	schema := strings.Split(m[1], ",")
	row := metricRow{namespace: schema[0], dims: map[string]string{}, stat: m[3]}
	for _, term := range searchTerm.FindAllStringSubmatch(m[2], -1) {
		if term[1] == "MetricName" {
			row.metric = term[2]
		} else {
			row.dims[term[1]] = term[2]
			assert.Contains(t, schema[1:], term[1], "%s filters on a dimension outside its schema", expr)
		}
	}
	for _, d := range schema[1:] {
		if _, ok := row.dims[d]; !ok {
			row.dims[d] = "*"
		}
	}
	return row, true
}

type dashboards struct {
	metrics  []metricRow // every metric queried, SEARCH results included
	exprs    []string
	widgets  map[string]int // count per widget type
	logQuery []string
	alarms   []any
}

func readDashboards(t *testing.T, p *plan.Plan) dashboards {
	t.Helper()
	region := p.Config["aws:region"]
	want := stackTargets(t, p)
	out := dashboards{widgets: map[string]int{}}
	boards := p.ByType("aws:cloudwatch/dashboard:Dashboard")
	require.Len(t, boards, 2)
	var names []string
	for _, b := range boards {
		names = append(names, b.Input("dashboardName").(string))
		var body struct {
			Widgets []struct {
				Type       string
				Properties map[string]any
			}
		}
		require.NoError(t, json.Unmarshal([]byte(b.Input("dashboardBody").(string)), &body), "%s is valid JSON", b.Name)
		for _, w := range body.Widgets {
			out.widgets[w.Type]++
			switch w.Type {
			case "metric":
				assert.Equal(t, region, w.Properties["region"], "every metric widget names the stack's region")
				rows := parseRows(t, w.Properties)
				ids := map[string]bool{}
				for _, r := range rows {
					if r.id != "" {
						ids[r.id] = true
					}
				}
				for _, r := range rows {
					if r.expression == "" {
						out.metrics = append(out.metrics, r)
						continue
					}
					if s, ok := searchRow(t, r.expression); ok {
						out.metrics = append(out.metrics, s)
						continue
					}
					out.exprs = append(out.exprs, r.expression)
					for _, ref := range mathIDs.FindAllString(r.expression, -1) {
						if strings.ToUpper(ref) != ref {
							assert.True(t, ids[ref], "%q refers to %s, which the widget does not define", r.expression, ref)
						}
					}
				}
			case "log":
				assert.Equal(t, region, w.Properties["region"])
				out.logQuery = append(out.logQuery, w.Properties["query"].(string))
			case "alarm":
				out.alarms = append(out.alarms, w.Properties["alarms"].([]any)...)
			}
		}
	}
	assert.ElementsMatch(t, []string{"octabyte-" + p.Stack + "-infrastructure", "octabyte-" + p.Stack + "-application"}, names)
	for _, m := range out.metrics {
		var dimNames []string
		for name, value := range m.dims {
			dimNames = append(dimNames, name)
			switch {
			case value == "*": // a SEARCH over every value
			case name == "NatGatewayId":
				assert.Contains(t, natGatewayIDs(t, p), value, "one of this stack's NAT gateways")
			default:
				assert.Equal(t, want[name], value, "%s %s points at another stack's %s", m.namespace, m.metric, name)
			}
		}
		assert.True(t, knownDimensionSet(m.namespace, m.metric, dimNames), "%s %s has no dimension set %v", m.namespace, m.metric, dimNames)
	}
	return out
}

func TestDashboardsQueryKnownMetricsOfThisStack(t *testing.T) {
	for _, stack := range stacks {
		t.Run(stack, func(t *testing.T) {
			readDashboards(t, runStack(t, stack))
		})
	}
}

func TestDashboardsCoverEveryWatchedMetric(t *testing.T) {
	for _, stack := range stacks {
		t.Run(stack, func(t *testing.T) {
			p := runStack(t, stack)
			d := readDashboards(t, p)
			shown := map[string]bool{}
			for _, m := range d.metrics {
				shown[m.namespace+" "+m.metric] = true
				shown[m.namespace+" "+m.metric+" "+m.stat] = true
			}
			required := []string{
				"AWS/ECS CPUUtilization", "AWS/ECS MemoryUtilization",
				"AWS/RDS CPUUtilization", "AWS/RDS DatabaseConnections", "AWS/RDS FreeStorageSpace",
				"AWS/RDS FreeableMemory", "AWS/RDS ReadLatency", "AWS/RDS WriteLatency",
				"AWS/ApplicationELB RequestCount",
				"AWS/ApplicationELB TargetResponseTime p50", "AWS/ApplicationELB TargetResponseTime p90", "AWS/ApplicationELB TargetResponseTime p99",
				"AWS/ApplicationELB HTTPCode_ELB_5XX_Count", "AWS/ApplicationELB HTTPCode_Target_5XX_Count",
				"AWS/ApplicationELB HTTPCode_Target_2XX_Count", "AWS/ApplicationELB HTTPCode_Target_4XX_Count",
				"AWS/ApplicationELB HealthyHostCount", "AWS/ApplicationELB UnHealthyHostCount",
				"Octabyte/App ServerErrors", "Octabyte/App DBErrors",
				"AWS/NATGateway BytesOutToDestination Sum", "AWS/NATGateway ActiveConnectionCount Maximum",
				"AWS/NATGateway ErrorPortAllocation Sum", "AWS/NATGateway PacketsDropCount Sum",
			}
			if p.Config["octabyte:containerInsights"] == "true" {
				required = append(required, "ECS/ContainerInsights RunningTaskCount")
			}
			for _, r := range required {
				assert.True(t, shown[r], "no dashboard shows %s", r)
			}
			assert.Contains(t, d.exprs, monitoring.Target5xxRateExpression(10), "the 5XX rate, as the alarm computes it")
			assert.Equal(t, 1, d.widgets["alarm"])
			var alarmArns []any
			for _, a := range p.ByType("aws:cloudwatch/metricAlarm:MetricAlarm") {
				alarmArns = append(alarmArns, a.Outputs["arn"])
			}
			assert.ElementsMatch(t, alarmArns, d.alarms, "the alarm widget lists every alarm")
			app, ok := p.Find("aws:cloudwatch/logGroup:LogGroup", "app")
			require.True(t, ok)
			for _, q := range d.logQuery {
				assert.True(t, strings.HasPrefix(q, "SOURCE '"+app.Outputs["name"].(string)+"' |"), q)
			}
			assert.ElementsMatch(t, d.logQuery, []string{
				"SOURCE '" + app.Outputs["name"].(string) + "' | " + monitoring.RecentErrorsQuery,
				"SOURCE '" + app.Outputs["name"].(string) + "' | " + monitoring.SlowestRoutesQuery,
			}, "recent errors and the slowest routes, from the app's log group")
		})
	}
}

func TestOnlyProdShowsContainerInsightsTaskCounts(t *testing.T) {
	for stack, insights := range map[string]bool{"staging": false, "prod": true} {
		d := readDashboards(t, runStack(t, stack))
		found := false
		for _, m := range d.metrics {
			found = found || m.namespace == "ECS/ContainerInsights"
		}
		assert.Equal(t, insights, found, "%s: ECS/ContainerInsights metrics exist only with Container Insights on", stack)
	}
}

func TestEcsEventsGoToTheirLogGroup(t *testing.T) {
	for _, stack := range stacks {
		p := runStack(t, stack)
		cluster := plantest.One(t, p, "aws:ecs/cluster:Cluster")
		var pattern map[string]any
		require.NoError(t, json.Unmarshal([]byte(plantest.One(t, p, "aws:cloudwatch/eventRule:EventRule").Input("eventPattern").(string)), &pattern))
		assert.Equal(t, []any{"aws.ecs"}, pattern["source"])
		or := pattern["$or"].([]any)
		assert.Equal(t, []any{cluster.Outputs["arn"]}, or[0].(map[string]any)["detail"].(map[string]any)["clusterArn"], "only this cluster's events")

		group, ok := p.Find("aws:cloudwatch/logGroup:LogGroup", "ecs-events")
		require.True(t, ok)
		assert.Equal(t, group.Outputs["arn"], plantest.One(t, p, "aws:cloudwatch/eventTarget:EventTarget").Input("arn"))
		assert.Equal(t, "/aws/events/octabyte-"+stack+"-ecs", p.Outputs["ecsEventsLogGroupName"])
	}
}

func TestMonitoringOutputsAreExported(t *testing.T) {
	for _, stack := range stacks {
		p := runStack(t, stack)
		region := p.Config["aws:region"]
		for _, board := range []string{"infrastructure", "application"} {
			key := board + "Dashboard"
			name := "octabyte-" + stack + "-" + board
			assert.Equal(t, name, p.Outputs[key+"Name"])
			assert.Equal(t, "https://"+region+".console.aws.amazon.com/cloudwatch/home?region="+region+"#dashboards/dashboard/"+name, p.Outputs[key+"Url"])
		}
		assert.Equal(t, plantest.One(t, p, "aws:sns/topic:Topic").Outputs["arn"], p.Outputs["alarmTopicArn"])
	}
}

func TestBadMonitoringConfigNamesTheKey(t *testing.T) {
	cases := []struct {
		key, value string
		want       []string
	}{
		{"octabyte:alarmEmails", `["ops@example.com", "not-an-email"]`, []string{"octabyte:alarmEmails", `"not-an-email"`, "email addresses"}},
		{"octabyte:alarmEmails", `["Ops <ops@example.com>"]`, []string{"octabyte:alarmEmails", "bare email"}},
		{"octabyte:alarmEmails", `["ops@localhost"]`, []string{"octabyte:alarmEmails", "ops@localhost"}},
		{"octabyte:alarmEmails", `["ops@example.com", "OPS@example.com"]`, []string{"octabyte:alarmEmails", "twice"}},
		{"octabyte:alarmEmails", `ops@example.com`, []string{"octabyte:alarmEmails", "list of strings"}},
		{"octabyte:alarmEcsCpuPercent", "150", []string{"octabyte:alarmEcsCpuPercent", `"150"`, "between 1 and 100"}},
		{"octabyte:alarmTarget5xxPercent", "0", []string{"octabyte:alarmTarget5xxPercent", "between 1 and 100"}},
		{"octabyte:alarmLatencyP99Ms", "fast", []string{"octabyte:alarmLatencyP99Ms", "whole number"}},
		{"octabyte:alarmDbConnectionsPercent", "5", []string{"octabyte:alarmDbConnectionsPercent", "between 10 and 100"}},
		{"octabyte:alarmDbFreeStorageGb", "20", []string{"octabyte:alarmDbFreeStorageGb", "octabyte:dbAllocatedStorageGb (20)"}},
		{"octabyte:dbInstanceClass", "db.x2g.large", []string{"octabyte:dbInstanceClass", "db.x2g.large", "db.t*, db.m* and db.r*"}},
	}
	for _, tc := range cases {
		t.Run(tc.key+"="+tc.value, func(t *testing.T) {
			cfg, err := plan.LoadStackConfig(".", "staging")
			require.NoError(t, err)
			cfg[tc.key] = tc.value
			p, err := plan.Run(run, "staging", cfg)
			require.Error(t, err)
			for _, w := range tc.want {
				assert.Contains(t, err.Error(), w)
			}
			assert.Empty(t, p.Resources, "invalid config must fail before any resource is registered")
		})
	}
}

func TestGoodEmailsSubscribe(t *testing.T) {
	cfg, err := plan.LoadStackConfig(".", "prod")
	require.NoError(t, err)
	cfg["octabyte:alarmEmails"] = `["ops@example.com", "on-call+octabyte@example.co.in"]`
	p, err := plan.Run(run, "prod", cfg)
	require.NoError(t, err)
	var endpoints []any
	for _, s := range p.ByType("aws:sns/topicSubscription:TopicSubscription") {
		assert.Equal(t, "email", s.Input("protocol"))
		endpoints = append(endpoints, s.Input("endpoint"))
	}
	assert.ElementsMatch(t, []any{"ops@example.com", "on-call+octabyte@example.co.in"}, endpoints)
}

// The dashboards query the app's EMF metrics by name and the estimate prices
// the series they can create: app/metrics/metrics.go and appmetrics must
// spell them the same way.
func TestAppMetricNamesMatchTheAppsEmitter(t *testing.T) {
	file, err := parser.ParseFile(token.NewFileSet(), "app/metrics/metrics.go", nil, 0)
	require.NoError(t, err)
	consts := map[string]string{}
	lists := map[string][]string{}
	sets := map[string][][]string{}
	for _, decl := range file.Decls {
		gen, ok := decl.(*ast.GenDecl)
		if !ok {
			continue
		}
		for _, spec := range gen.Specs {
			vs, ok := spec.(*ast.ValueSpec)
			if !ok {
				continue
			}
			for i, name := range vs.Names {
				if i >= len(vs.Values) {
					continue
				}
				switch v := vs.Values[i].(type) {
				case *ast.BasicLit:
					if s, err := strconv.Unquote(v.Value); err == nil {
						consts[name.Name] = s
					}
				case *ast.CompositeLit: // []string{"a", ...} or [][]string{{Const, ...}, ...}
					for _, elt := range v.Elts {
						switch e := elt.(type) {
						case *ast.BasicLit:
							s, err := strconv.Unquote(e.Value)
							require.NoError(t, err)
							lists[name.Name] = append(lists[name.Name], s)
						case *ast.CompositeLit:
							var set []string
							for _, id := range e.Elts {
								set = append(set, consts[id.(*ast.Ident).Name])
							}
							sets[name.Name] = append(sets[name.Name], set)
						}
					}
				}
			}
		}
	}
	assert.Equal(t, consts["Namespace"], appmetrics.Namespace)
	assert.Equal(t, consts["ServerErrors"], appmetrics.ServerErrors)
	assert.Equal(t, consts["DBErrors"], appmetrics.DBErrors)
	assert.Equal(t, consts["DimEnvironment"], appmetrics.DimEnvironment)
	assert.Equal(t, consts["DimRoute"], appmetrics.DimRoute)
	assert.Equal(t, consts["RouteOther"], appmetrics.RouteOther)
	assert.Equal(t, lists["Routes"], appmetrics.Routes)
	app := knownMetrics[appmetrics.Namespace]
	assert.Equal(t, sets["ServerErrorDimensions"], app[appmetrics.ServerErrors])
	assert.Equal(t, sets["DBErrorDimensions"], app[appmetrics.DBErrors])
	assert.Len(t, app, 2, "every metric the app emits, and no other")
}

// The slowest-routes widget reads the app's access log: every field its
// query names is one the app's access log writes.
func TestSlowestRoutesQueryReadsTheAppsAccessLog(t *testing.T) {
	src, err := os.ReadFile("app/internal/api/middleware.go")
	require.NoError(t, err)
	q := monitoring.SlowestRoutesQuery
	assert.Contains(t, q, `filter msg = "request"`)
	assert.Contains(t, q, "sort p99 desc", "the slowest routes first")
	assert.Regexp(t, `slog\.NewRecord\(\w+, level, "request"`, string(src), "the access log's msg (slog.MessageKey)")
	for _, field := range []string{"route", "duration_ms"} {
		assert.Contains(t, q, field)
		assert.Contains(t, string(src), strconv.Quote(field), "the access log has no field %q", field)
	}
}
