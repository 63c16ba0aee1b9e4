package monitoring

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/octabyte/octabyte/appmetrics"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/cloudwatch"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// Dashboard is a CloudWatch dashboard body, as "Dashboard Body Structure
// and Syntax" (CloudWatch API Reference) defines it.
type Dashboard struct {
	Start          string   `json:"start"`
	PeriodOverride string   `json:"periodOverride"`
	Widgets        []Widget `json:"widgets"`
}

// Widget is one tile of the 24-column dashboard grid.
type Widget struct {
	Type       string `json:"type"` // metric, log, alarm or text
	X          int    `json:"x"`
	Y          int    `json:"y"`
	Width      int    `json:"width"`
	Height     int    `json:"height"`
	Properties any    `json:"properties"`
}

// MetricProperties are the properties of a metric widget.
type MetricProperties struct {
	Title       string           `json:"title"`
	Region      string           `json:"region"`
	View        string           `json:"view"`
	Stacked     bool             `json:"stacked"`
	Period      int              `json:"period"`
	Stat        string           `json:"stat"`
	Metrics     []json.Marshaler `json:"metrics"` // Metric or Expression rows
	YAxis       *YAxis           `json:"yAxis,omitempty"`
	Annotations *Annotations     `json:"annotations,omitempty"`
}

// YAxis sets the left axis.
type YAxis struct {
	Left Axis `json:"left"`
}

// Axis is one axis of a graph.
type Axis struct {
	Min   *float64 `json:"min,omitempty"`
	Label string   `json:"label,omitempty"`
}

// Annotations draw alarm thresholds on a graph.
type Annotations struct {
	Horizontal []Annotation `json:"horizontal"`
}

// Annotation is one horizontal line.
type Annotation struct {
	Label string  `json:"label"`
	Value float64 `json:"value"`
}

// LogProperties are the properties of a Logs Insights widget.
type LogProperties struct {
	Title  string `json:"title"`
	Region string `json:"region"`
	Query  string `json:"query"` // "SOURCE '<log group>' | <query>"
	View   string `json:"view"`
}

// AlarmProperties are the properties of an alarm status widget.
type AlarmProperties struct {
	Title  string   `json:"title"`
	Alarms []string `json:"alarms"` // alarm ARNs, at most 100
	SortBy string   `json:"sortBy"`
}

// TextProperties are the properties of a text widget.
type TextProperties struct {
	Markdown string `json:"markdown"`
}

// Metric is one metric row: [namespace, name, dim, value, ..., {options}].
type Metric struct {
	Namespace, Name string
	Dimensions      []Dimension
	Options         MetricOptions
}

// Dimension is a metric dimension name and value.
type Dimension struct{ Name, Value string }

// MetricOptions are a row's rendering properties.
type MetricOptions struct {
	ID      string `json:"id,omitempty"`
	Label   string `json:"label,omitempty"`
	Stat    string `json:"stat,omitempty"`
	Visible *bool  `json:"visible,omitempty"`
}

// MarshalJSON writes the row in the dashboard's array form.
func (m Metric) MarshalJSON() ([]byte, error) {
	row := []any{m.Namespace, m.Name}
	for _, d := range m.Dimensions {
		row = append(row, d.Name, d.Value)
	}
	if m.Options != (MetricOptions{}) {
		row = append(row, m.Options)
	}
	return json.Marshal(row)
}

// Expression is a metric math or SEARCH row.
type Expression struct {
	Expression string `json:"expression"`
	Label      string `json:"label,omitempty"`
	ID         string `json:"id,omitempty"`
}

// MarshalJSON writes the row in the dashboard's array form.
func (e Expression) MarshalJSON() ([]byte, error) {
	type plain Expression
	return json.Marshal([]any{plain(e)})
}

// Search is a SEARCH expression over one dimension set of a namespace,
// filtered to one metric and the given dimension values.
func Search(namespace string, dimensionSet []string, metric string, filters []Dimension, stat string, period int) string {
	terms := []string{fmt.Sprintf("MetricName=%q", metric)}
	for _, f := range filters {
		terms = append(terms, fmt.Sprintf("%s=%q", f.Name, f.Value))
	}
	schema := strings.Join(append([]string{namespace}, dimensionSet...), ",")
	return fmt.Sprintf("SEARCH('{%s} %s', '%s', %d)", schema, strings.Join(terms, " "), stat, period)
}

// targets are the resolved names and ids the dashboards point at.
type targets struct {
	Region, Environment, Stack string
	ClusterName, ServiceName   string
	AlbArnSuffix, TargetGroup  string
	DBInstanceID               string
	AppLogGroupName            string
	AlarmArns                  []string
	NATGatewayIDs              []string
	ContainerInsights          bool
}

func (t targets) service() []Dimension {
	return []Dimension{{"ClusterName", t.ClusterName}, {"ServiceName", t.ServiceName}}
}
func (t targets) lb() []Dimension { return []Dimension{{"LoadBalancer", t.AlbArnSuffix}} }
func (t targets) target() []Dimension {
	return []Dimension{{"TargetGroup", t.TargetGroup}, {"LoadBalancer", t.AlbArnSuffix}}
}
func (t targets) rds() []Dimension { return []Dimension{{"DBInstanceIdentifier", t.DBInstanceID}} }
func (t targets) env() []Dimension { return []Dimension{{appmetrics.DimEnvironment, t.Environment}} }

// perNAT is one row per NAT gateway of a NAT metric, labelled by gateway.
func (t targets) perNAT(metricName, stat string) []json.Marshaler {
	rows := make([]json.Marshaler, len(t.NATGatewayIDs))
	for i, id := range t.NATGatewayIDs {
		rows[i] = metric(NamespaceNATGW, metricName, []Dimension{{NATDimension, id}}, labelled(id, stat))
	}
	return rows
}

// grid places widgets left to right in rows of 24 columns.
type grid struct {
	x, y, rowHeight int
	widgets         []Widget
}

func (g *grid) add(width, height int, typ string, props any) {
	if g.x+width > 24 {
		g.x, g.y, g.rowHeight = 0, g.y+g.rowHeight, 0
	}
	g.widgets = append(g.widgets, Widget{Type: typ, X: g.x, Y: g.y, Width: width, Height: height, Properties: props})
	g.x += width
	g.rowHeight = max(g.rowHeight, height)
}

func (g *grid) graph(t targets, title, stat string, period int, metrics []json.Marshaler, yLabel string, lines ...Annotation) {
	zero := 0.0
	p := MetricProperties{
		Title: title, Region: t.Region, View: "timeSeries", Period: period, Stat: stat, Metrics: metrics,
		YAxis: &YAxis{Left: Axis{Min: &zero, Label: yLabel}},
	}
	if len(lines) > 0 {
		p.Annotations = &Annotations{Horizontal: lines}
	}
	g.add(8, 6, "metric", p)
}

func (g *grid) text(width, height int, markdown string) {
	g.add(width, height, "text", TextProperties{Markdown: markdown})
}

func metric(namespace, name string, dims []Dimension, opts MetricOptions) Metric {
	return Metric{Namespace: namespace, Name: name, Dimensions: dims, Options: opts}
}

func labelled(label, stat string) MetricOptions { return MetricOptions{Label: label, Stat: stat} }

func hidden(id string) MetricOptions {
	f := false
	return MetricOptions{ID: id, Visible: &f}
}

func body(g *grid) Dashboard {
	return Dashboard{Start: "-PT6H", PeriodOverride: "auto", Widgets: g.widgets}
}

// infrastructureDashboard shows how hard the service, load balancer,
// database and NAT gateways work.
func infrastructureDashboard(t targets, a MonitoringArgs, db dbLimits) Dashboard {
	th := a.Thresholds
	g := &grid{}
	g.text(24, 2, fmt.Sprintf("# octabyte %s: infrastructure\nECS service `%s`, load balancer `%s`, database `%s`. "+
		"Alarms notify the `%salarms` SNS topic. Application health: [%s](%s).",
		t.Stack, t.ServiceName, t.AlbArnSuffix, t.DBInstanceID, Prefix(t.Stack),
		Prefix(t.Stack)+"application", DashboardURL(t.Region, Prefix(t.Stack)+"application")))

	g.graph(t, "ECS service CPU (%)", "Average", oneMinute, []json.Marshaler{
		metric(NamespaceECS, "CPUUtilization", t.service(), labelled("average", "Average")),
		metric(NamespaceECS, "CPUUtilization", t.service(), labelled("busiest task", "Maximum")),
	}, "Percent", Annotation{"alarm", float64(th.EcsCPUPercent)})
	g.graph(t, "ECS service memory (%)", "Maximum", oneMinute, []json.Marshaler{
		metric(NamespaceECS, "MemoryUtilization", t.service(), labelled("average", "Average")),
		metric(NamespaceECS, "MemoryUtilization", t.service(), labelled("busiest task", "Maximum")),
	}, "Percent", Annotation{"alarm", float64(th.EcsMemoryPercent)})
	g.graph(t, "Load balancer requests", "Sum", fiveMinutes, []json.Marshaler{
		metric(NamespaceALB, "RequestCount", t.lb(), labelled("requests", "Sum")),
	}, "Count")

	g.graph(t, "Load balancer target response time (s)", "p99", fiveMinutes, []json.Marshaler{
		metric(NamespaceALB, "TargetResponseTime", t.lb(), labelled("p50", "p50")),
		metric(NamespaceALB, "TargetResponseTime", t.lb(), labelled("p90", "p90")),
		metric(NamespaceALB, "TargetResponseTime", t.lb(), labelled("p99", "p99")),
	}, "Seconds", Annotation{"p99 alarm", float64(th.LatencyP99Ms) / 1000})
	g.graph(t, "5XX responses", "Sum", fiveMinutes, []json.Marshaler{
		metric(NamespaceALB, "HTTPCode_ELB_5XX_Count", t.lb(), labelled("from the load balancer", "Sum")),
		metric(NamespaceALB, "HTTPCode_Target_5XX_Count", t.lb(), labelled("from the app", "Sum")),
	}, "Count", Annotation{"load balancer 5XX alarm", float64(th.ALB5xxCount)})
	g.graph(t, "Database CPU (%)", "Average", fiveMinutes, []json.Marshaler{
		metric(NamespaceRDS, "CPUUtilization", t.rds(), labelled("CPU", "Average")),
	}, "Percent", Annotation{"alarm", float64(th.DBCPUPercent)})

	g.graph(t, "Database connections", "Maximum", fiveMinutes, []json.Marshaler{
		metric(NamespaceRDS, "DatabaseConnections", t.rds(), labelled("connections", "Maximum")),
	}, "Count", Annotation{"alarm", db.connections}, Annotation{"max_connections", float64(db.maxConnections)})
	g.graph(t, "Database free storage (bytes)", "Minimum", fiveMinutes, []json.Marshaler{
		metric(NamespaceRDS, "FreeStorageSpace", t.rds(), labelled("free storage", "Minimum")),
	}, "Bytes", Annotation{"alarm", db.freeStorageBytes})
	g.graph(t, "Database freeable memory (bytes)", "Minimum", fiveMinutes, []json.Marshaler{
		metric(NamespaceRDS, "FreeableMemory", t.rds(), labelled("freeable memory", "Minimum")),
	}, "Bytes", Annotation{"alarm", db.freeMemoryBytes})

	g.graph(t, "Database disk latency (s)", "Average", fiveMinutes, []json.Marshaler{
		metric(NamespaceRDS, "ReadLatency", t.rds(), labelled("read", "Average")),
		metric(NamespaceRDS, "WriteLatency", t.rds(), labelled("write", "Average")),
	}, "Seconds")
	if len(t.NATGatewayIDs) > 0 {
		g.graph(t, "NAT gateways: bytes out to the internet", "Sum", fiveMinutes, t.perNAT(NATBytesOut, "Sum"), "Bytes")
		g.graph(t, "NAT gateways: active connections", "Maximum", fiveMinutes, t.perNAT(NATActiveConnections, "Maximum"), "Count")
		g.graph(t, "NAT gateways: port allocation errors and dropped packets", "Sum", fiveMinutes,
			append(t.perNAT(NATPortAllocationErrs, "Sum"), t.perNAT(NATPacketsDropped, "Sum")...), "Count", Annotation{"port allocation alarm", 0})
	}
	return body(g)
}

// RecentErrorsQuery finds the app's error log lines: it logs slog JSON,
// whose level field is "ERROR" for failed requests and crashes.
const RecentErrorsQuery = `fields @timestamp, msg, route, status, request_id, @message | filter level = "ERROR" | sort @timestamp desc | limit 50`

// SlowestRoutesQuery ranks routes by handler time from the app's access log
// (msg "request", with route and duration_ms): the per-route latency view,
// without a custom metric per route.
const SlowestRoutesQuery = `filter msg = "request" | stats pct(duration_ms, 50) as p50, pct(duration_ms, 99) as p99, count(*) as requests by route | sort p99 desc | limit 10`

// applicationDashboard answers "is the app healthy": alarms, targets,
// latency, error rates, the app's own metrics and its recent errors.
func applicationDashboard(t targets, a MonitoringArgs) Dashboard {
	th := a.Thresholds
	g := &grid{}
	g.text(24, 2, fmt.Sprintf("# octabyte %s: application health\nEnvironment `%s`. Alarms notify the `%salarms` SNS topic; "+
		"ECS task and deployment events are in the `%s` log group. Infrastructure: [%s](%s).",
		t.Stack, t.Environment, Prefix(t.Stack), EcsEventsLogGroup(t.Stack),
		Prefix(t.Stack)+"infrastructure", DashboardURL(t.Region, Prefix(t.Stack)+"infrastructure")))
	g.add(24, 4, "alarm", AlarmProperties{Title: "Alarms", Alarms: t.AlarmArns, SortBy: "stateUpdatedTimestamp"})

	g.graph(t, "Load balancer targets", "Minimum", oneMinute, []json.Marshaler{
		metric(NamespaceALB, "HealthyHostCount", t.target(), labelled("healthy", "Minimum")),
		metric(NamespaceALB, "UnHealthyHostCount", t.target(), labelled("unhealthy", "Maximum")),
	}, "Count")
	if t.ContainerInsights {
		g.graph(t, "Tasks", "Average", oneMinute, []json.Marshaler{
			metric(NamespaceInsights, "RunningTaskCount", t.service(), labelled("running", "Average")),
			metric(NamespaceInsights, "DesiredTaskCount", t.service(), labelled("desired", "Average")),
		}, "Count")
	} else {
		g.text(8, 6, "### Tasks\nRunning and desired task counts come from Container Insights, which is off for this stack "+
			"(`pulumi config set octabyte:containerInsights true`). Until then the healthy targets graph counts the tasks serving traffic, "+
			"and the ECS events log group records every task start and stop.")
	}
	g.graph(t, target5xxRateLabel, "Sum", fiveMinutes, []json.Marshaler{
		metric(NamespaceALB, "HTTPCode_Target_5XX_Count", t.target(), hidden("m1")),
		metric(NamespaceALB, "RequestCount", t.target(), hidden("m2")),
		Expression{Expression: Target5xxRateExpression(th.Target5xxMinRequests), Label: target5xxRateLabel, ID: "e1"},
	}, "Percent", Annotation{"alarm", float64(th.Target5xxPercent)})

	g.graph(t, "Target response time (s)", "p99", fiveMinutes, []json.Marshaler{
		metric(NamespaceALB, "TargetResponseTime", t.target(), labelled("p50", "p50")),
		metric(NamespaceALB, "TargetResponseTime", t.target(), labelled("p90", "p90")),
		metric(NamespaceALB, "TargetResponseTime", t.target(), labelled("p99", "p99")),
	}, "Seconds", Annotation{"p99 alarm", float64(th.LatencyP99Ms) / 1000})
	g.graph(t, "HTTP responses", "Sum", fiveMinutes, []json.Marshaler{
		metric(NamespaceALB, "HTTPCode_Target_2XX_Count", t.target(), labelled("2XX", "Sum")),
		metric(NamespaceALB, "HTTPCode_Target_4XX_Count", t.target(), labelled("4XX", "Sum")),
		metric(NamespaceALB, "HTTPCode_Target_5XX_Count", t.target(), labelled("5XX", "Sum")),
		metric(NamespaceALB, "HTTPCode_ELB_4XX_Count", t.lb(), labelled("4XX from the load balancer", "Sum")),
		metric(NamespaceALB, "HTTPCode_ELB_5XX_Count", t.lb(), labelled("5XX from the load balancer", "Sum")),
	}, "Count")
	g.graph(t, "App server errors by route (EMF)", "Sum", fiveMinutes, []json.Marshaler{
		Expression{
			Expression: Search(appmetrics.Namespace, []string{appmetrics.DimEnvironment, appmetrics.DimRoute}, appmetrics.ServerErrors,
				[]Dimension{{appmetrics.DimEnvironment, t.Environment}}, "Sum", fiveMinutes),
			// A dynamic label names each series its route (docs: graph-dynamic-labels).
			Label: "${PROP('Dim." + appmetrics.DimRoute + "')}", ID: "s1",
		},
	}, "Count")
	g.graph(t, "App database errors (EMF)", "Sum", fiveMinutes, []json.Marshaler{
		metric(appmetrics.Namespace, appmetrics.DBErrors, t.env(), labelled("failed database calls", "Sum")),
	}, "Count")
	g.add(8, 6, "log", LogProperties{
		Title:  "Slowest routes (access log, ms)",
		Region: t.Region,
		Query:  fmt.Sprintf("SOURCE '%s' | %s", t.AppLogGroupName, SlowestRoutesQuery),
		View:   "table",
	})
	g.add(24, 8, "log", LogProperties{
		Title:  "Recent errors",
		Region: t.Region,
		Query:  fmt.Sprintf("SOURCE '%s' | %s", t.AppLogGroupName, RecentErrorsQuery),
		View:   "table",
	})
	return body(g)
}

// newDashboards creates both dashboards once every name they show is known.
func (m *Monitoring) newDashboards(ctx *pulumi.Context, a MonitoringArgs, db dbLimits, parent pulumi.ResourceOption) error {
	natIDs := a.NATGatewayIDs
	if a.NATGateways == 0 {
		natIDs = pulumi.StringArray{}
	}
	inputs := pulumi.All(a.ClusterName, a.ServiceName, a.AlbArnSuffix, a.TargetGroupArnSuffix,
		a.DBInstanceID, a.AppLogGroupName, m.AlarmArns, natIDs)
	resolve := func(v []any) targets {
		return targets{
			Region: a.Region, Environment: a.Environment, Stack: ctx.Stack(),
			ClusterName: v[0].(string), ServiceName: v[1].(string),
			AlbArnSuffix: v[2].(string), TargetGroup: v[3].(string),
			DBInstanceID: v[4].(string), AppLogGroupName: v[5].(string),
			AlarmArns: v[6].([]string), NATGatewayIDs: v[7].([]string), ContainerInsights: a.ContainerInsights,
		}
	}
	boards := []struct {
		key   string
		build func(targets) Dashboard
		name  *pulumi.StringOutput
		url   *pulumi.StringOutput
	}{
		{"infrastructure", func(t targets) Dashboard { return infrastructureDashboard(t, a, db) }, &m.InfrastructureDashboardName, &m.InfrastructureDashboardURL},
		{"application", func(t targets) Dashboard { return applicationDashboard(t, a) }, &m.ApplicationDashboardName, &m.ApplicationDashboardURL},
	}
	for _, b := range boards {
		build := b.build
		dashboardBody := inputs.ApplyT(func(v []any) (string, error) {
			out, err := json.Marshal(build(resolve(v)))
			return string(out), err
		}).(pulumi.StringOutput)
		d, err := cloudwatch.NewDashboard(ctx, b.key, &cloudwatch.DashboardArgs{
			DashboardName: pulumi.String(Prefix(ctx.Stack()) + b.key),
			DashboardBody: dashboardBody,
		}, parent)
		if err != nil {
			return err
		}
		*b.name = d.DashboardName
		*b.url = d.DashboardName.ApplyT(func(n string) string { return DashboardURL(a.Region, n) }).(pulumi.StringOutput)
	}
	return nil
}
