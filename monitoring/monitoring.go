// Package monitoring watches the running stack: CloudWatch alarms on the
// service, load balancer and database that notify an encrypted SNS topic,
// ECS task and deployment events kept in CloudWatch Logs, and two
// dashboards (infrastructure and application health).
package monitoring

import (
	"fmt"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// Thresholds are the alarm thresholds. Zero values mean the documented default.
type Thresholds struct {
	EcsCPUPercent        int // service average CPU; default 80
	EcsMemoryPercent     int // busiest task's memory; default 80
	ALB5xxCount          int // 5XX responses the load balancer itself returns in 5 minutes; default 10
	Target5xxPercent     int // share of requests the app answers with 5XX, over 5 minutes; default 5
	Target5xxMinRequests int // fewer requests in 5 minutes never raise the rate alarm; default 10
	LatencyP99Ms         int // p99 target response time over 5 minutes; default 2000
	DBCPUPercent         int // default 80
	DBConnectionsPercent int // of max_connections; default 80
	DBMaxConnections     int // the parameter group's max_connections; default: RDS's formula for the instance class
	DBFreeStorageGB      int // default 2
	DBFreeMemoryPercent  int // of the instance class memory; default 10
}

// MonitoringArgs configures Monitoring. Zero values mean the documented default.
type MonitoringArgs struct {
	Region      string // the stack's region (dashboards and console URLs)
	AccountID   string // the deploying account (key and topic policies)
	Environment string // the app's Environment metric dimension; default the stack name

	AlarmEmails      []string     // addresses subscribed to the alarm topic (each must confirm); may be empty
	Slack            SlackChannel // alarms post to this channel through AWS Chatbot; zero: none
	Thresholds       Thresholds
	LogRetentionDays int // ECS events log group; default 14
	KeyDeletionDays  int // waiting period before the topic key is deleted; default 30

	ClusterName       pulumi.StringInput
	ClusterArn        pulumi.StringInput
	ServiceName       pulumi.StringInput
	ContainerInsights bool // the cluster publishes ECS/ContainerInsights metrics (running task count)
	// ExpectedTasks is the number of tasks the service runs. With 0 (no
	// image yet) the no-healthy-targets alarm keeps its actions off.
	ExpectedTasks int

	AlbArnSuffix         pulumi.StringInput // LoadBalancer dimension
	TargetGroupArnSuffix pulumi.StringInput // TargetGroup dimension

	DBInstanceID    pulumi.StringInput // DBInstanceIdentifier dimension
	DBInstanceClass string             // sizes the connection and memory alarms; default db.t3.micro

	AppLogGroupName pulumi.StringInput // the recent-errors query reads it

	// NATGateways is how many NAT gateways carry outbound traffic and
	// NATGatewayIDs their ids (the NatGatewayId dimension). With none, the
	// dashboards show no NAT widgets and there is no NAT alarm.
	NATGateways   int
	NATGatewayIDs pulumi.StringArrayInput
	NATInstanceID pulumi.StringInput // the NAT instance to watch; nil when NAT gateways do the job
	Budget        BudgetArgs         // monthly cost budget notifying the alarm topic; none when LimitUSD is 0

	// ScheduledActions: a sleep schedule switches the alarms' actions off
	// at night and on in the morning, so later updates leave them as they are.
	ScheduledActions bool
}

// NoDestinationNotice says how alarms reach people.
const NoDestinationNotice = "set octabyte:alarmEmails (each address confirms the subscription SNS sends) " +
	"or octabyte:slackWorkspaceId with octabyte:slackChannelId (a Slack channel, through AWS Chatbot)"

// NotifiesSomebody reports whether the alarm topic has a destination.
func (a MonitoringArgs) NotifiesSomebody() bool {
	return len(a.AlarmEmails) > 0 || a.Slack.ChannelID != ""
}

func (a MonitoringArgs) withDefaults(stack string) MonitoringArgs {
	def := func(v *int, d int) {
		if *v == 0 {
			*v = d
		}
	}
	if a.Environment == "" {
		a.Environment = stack
	}
	if a.DBInstanceClass == "" {
		a.DBInstanceClass = "db.t3.micro"
	}
	def(&a.LogRetentionDays, 14)
	def(&a.KeyDeletionDays, 30)
	t := &a.Thresholds
	def(&t.EcsCPUPercent, 80)
	def(&t.EcsMemoryPercent, 80)
	def(&t.ALB5xxCount, 10)
	def(&t.Target5xxPercent, 5)
	def(&t.Target5xxMinRequests, 10)
	def(&t.LatencyP99Ms, 2000)
	def(&t.DBCPUPercent, 80)
	def(&t.DBConnectionsPercent, 80)
	def(&t.DBFreeStorageGB, 2)
	def(&t.DBFreeMemoryPercent, 10)
	return a
}

// Monitoring is the stack's alarms, their topic, the ECS event log and the
// dashboards.
type Monitoring struct {
	pulumi.ResourceState

	AlarmTopicArn         pulumi.StringOutput
	AlarmKeyArn           pulumi.StringOutput
	AlarmNames            []string // every alarm, octabyte-<stack>-...
	ActiveAlarmNames      []string // the alarms whose actions are on: what a sleep schedule may switch off and on
	AlarmArns             pulumi.StringArrayOutput
	EcsEventsLogGroupName pulumi.StringOutput

	InfrastructureDashboardName pulumi.StringOutput
	InfrastructureDashboardURL  pulumi.StringOutput
	ApplicationDashboardName    pulumi.StringOutput
	ApplicationDashboardURL     pulumi.StringOutput
}

// Prefix is the start of every alarm and dashboard name of a stack.
func Prefix(stack string) string { return "octabyte-" + stack + "-" }

// DashboardURL is the CloudWatch console address of a dashboard.
func DashboardURL(region, name string) string {
	return fmt.Sprintf("https://%s.console.aws.amazon.com/cloudwatch/home?region=%s#dashboards/dashboard/%s", region, region, name)
}

// NewMonitoring creates the alarm topic and its key, the alarms, the ECS
// event log and the dashboards.
func NewMonitoring(ctx *pulumi.Context, name string, args *MonitoringArgs, opts ...pulumi.ResourceOption) (*Monitoring, error) {
	a := args.withDefaults(ctx.Stack())
	limits, err := newDBLimits(a)
	if err != nil {
		return nil, err
	}
	if a.NATGateways > 0 && a.NATGatewayIDs == nil {
		return nil, fmt.Errorf("monitoring: %d NAT gateways without their ids", a.NATGateways)
	}
	m := &Monitoring{}
	if err := ctx.RegisterComponentResource("octabyte:monitoring:Monitoring", name, m, opts...); err != nil {
		return nil, err
	}
	parent := pulumi.Parent(m)

	topic, err := newAlarmTopic(ctx, a, parent)
	if err != nil {
		return nil, err
	}
	m.AlarmTopicArn, m.AlarmKeyArn = topic.arn, topic.keyArn

	alarms, err := newAlarms(ctx, a, limits, topic.arn, parent)
	if err != nil {
		return nil, err
	}
	arns := pulumi.StringArray{}
	for _, al := range alarms {
		m.AlarmNames = append(m.AlarmNames, al.name)
		if al.active {
			m.ActiveAlarmNames = append(m.ActiveAlarmNames, al.name)
		}
		arns = append(arns, al.arn)
	}
	m.AlarmArns = arns.ToStringArrayOutput()

	if a.Budget.LimitUSD > 0 {
		if err := newBudget(ctx, a.Budget, topic.arn, parent); err != nil {
			return nil, err
		}
	}

	if m.EcsEventsLogGroupName, err = newEcsEventLog(ctx, a, parent); err != nil {
		return nil, err
	}

	if err := m.newDashboards(ctx, a, limits, parent); err != nil {
		return nil, err
	}

	return m, ctx.RegisterResourceOutputs(m, pulumi.Map{
		"alarmTopicArn":               m.AlarmTopicArn,
		"alarmArns":                   m.AlarmArns,
		"ecsEventsLogGroupName":       m.EcsEventsLogGroupName,
		"infrastructureDashboardName": m.InfrastructureDashboardName,
		"infrastructureDashboardUrl":  m.InfrastructureDashboardURL,
		"applicationDashboardName":    m.ApplicationDashboardName,
		"applicationDashboardUrl":     m.ApplicationDashboardURL,
	})
}

// dbLimits are the database alarm thresholds in CloudWatch's units.
type dbLimits struct {
	maxConnections     int     // the instance's max_connections (configured or estimated)
	connections        float64 // DatabaseConnections threshold
	freeStorageBytes   float64 // FreeStorageSpace threshold
	freeMemoryBytes    float64 // FreeableMemory threshold
	instanceMemoryMiB  int
	maxConnectionsNote string // how maxConnections was found, for descriptions
}

func newDBLimits(a MonitoringArgs) (dbLimits, error) {
	t := a.Thresholds
	mib, err := instanceMemory(a.DBInstanceClass)
	if err != nil {
		return dbLimits{}, fmt.Errorf("monitoring: %w", err)
	}
	l := dbLimits{
		instanceMemoryMiB:  mib,
		freeStorageBytes:   float64(t.DBFreeStorageGB) * gib,
		freeMemoryBytes:    float64(mib) * mebi * float64(t.DBFreeMemoryPercent) / 100,
		maxConnections:     t.DBMaxConnections,
		maxConnectionsNote: "the configured max_connections",
	}
	if l.maxConnections == 0 {
		l.maxConnections = defaultMaxConnections(mib)
		l.maxConnectionsNote = "RDS's default max_connections for " + a.DBInstanceClass + " (estimated)"
	}
	l.connections = float64(l.maxConnections * t.DBConnectionsPercent / 100)
	return l, nil
}

const (
	mebi = 1024 * 1024
	gib  = 1024 * 1024 * 1024
)
