package monitoring

import (
	"fmt"
	"strings"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/cloudwatch"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// Metric namespaces.
const (
	NamespaceECS       = "AWS/ECS"
	NamespaceInsights  = "ECS/ContainerInsights"
	NamespaceALB       = "AWS/ApplicationELB"
	NamespaceRDS       = "AWS/RDS"
	NamespaceNATGW     = "AWS/NATGateway"
	NamespaceEC2       = "AWS/EC2"
	missingNotBreach   = "notBreaching"
	missingBreach      = "breaching"
	greaterThan        = "GreaterThanThreshold"
	lessThan           = "LessThanThreshold"
	fiveMinutes        = 300
	oneMinute          = 60
	target5xxRateLabel = "Target 5XX rate (%)"
)

// Alarm keys: each alarm is named octabyte-<stack>-<key>.
const (
	AlarmEcsCPU            = "ecs-cpu-high"
	AlarmEcsMemory         = "ecs-memory-high"
	AlarmALB5xx            = "alb-5xx"
	AlarmTarget5xxRate     = "target-5xx-rate"
	AlarmLatencyP99        = "target-p99-latency"
	AlarmUnhealthyTargets  = "unhealthy-targets"
	AlarmNoHealthyTargets  = "no-healthy-targets"
	AlarmDBCPU             = "db-cpu-high"
	AlarmDBConnections     = "db-connections-high"
	AlarmDBFreeStorage     = "db-free-storage-low"
	AlarmDBFreeMemory      = "db-freeable-memory-low"
	AlarmNATPortAllocation = "nat-port-allocation-errors"
	AlarmNATInstance       = "nat-instance-unhealthy"
)

// NAT gateway metrics of AWS/NATGateway, each per NatGatewayId ("Monitor NAT
// gateways with Amazon CloudWatch", Amazon VPC User Guide).
const (
	NATBytesOut           = "BytesOutToDestination" // bytes to the internet; Sum
	NATActiveConnections  = "ActiveConnectionCount" // concurrent TCP connections; Maximum
	NATPortAllocationErrs = "ErrorPortAllocation"   // source ports it could not allocate; Sum
	NATPacketsDropped     = "PacketsDropCount"      // Sum
	NATDimension          = "NatGatewayId"
)

// NATPortAllocationExpression adds up the port allocation errors of n NAT
// gateways, m1..mn; FILL keeps one gateway's gap from hiding another's errors.
func NATPortAllocationExpression(n int) string {
	terms := make([]string, n)
	for i := range terms {
		terms[i] = fmt.Sprintf("FILL(m%d, 0)", i+1)
	}
	return strings.Join(terms, " + ")
}

// Target5xxRateExpression is the share of the target group's requests the
// app answered with 5XX, in percent, from m1 (HTTPCode_Target_5XX_Count) and
// m2 (RequestCount). Both metrics are only reported when nonzero, so FILL
// turns gaps into 0; periods with fewer than minRequests requests (or none:
// no division by zero) count as 0%, so one failed request out of two at
// night does not page anyone.
func Target5xxRateExpression(minRequests int) string {
	return fmt.Sprintf("IF(FILL(m2, 0) >= %d, 100 * FILL(m1, 0) / FILL(m2, 0), 0)", minRequests)
}

// metricAlarm is one alarm, described in CloudWatch's own units.
type metricAlarm struct {
	key, description   string
	namespace, metric  string
	dimensions         pulumi.StringMap
	statistic          string // or extendedStatistic
	extendedStatistic  string
	period             int
	evaluationPeriods  int
	datapointsToAlarm  int
	comparison         string
	threshold          float64
	treatMissingData   string
	queries            cloudwatch.MetricAlarmMetricQueryArray // metric math instead of namespace/metric
	actionsDisabledWhy string                                 // non-empty: the alarm exists but notifies no one
	repair             string                                 // an EC2 action ARN run with the notification
}

type alarm struct {
	name   string
	arn    pulumi.StringOutput
	active bool // its actions are on
}

// alarmSpecs lists every alarm of the stack. treatMissingData is chosen per
// alarm: ECS, ALB and RDS report nothing when there is nothing to report
// (no running task, no request, no error), which must not page anyone;
// only "no healthy target" treats silence as the failure it usually is.
func alarmSpecs(a MonitoringArgs, db dbLimits) []metricAlarm {
	t := a.Thresholds
	service := pulumi.StringMap{"ClusterName": a.ClusterName, "ServiceName": a.ServiceName}
	lb := pulumi.StringMap{"LoadBalancer": a.AlbArnSuffix}
	target := pulumi.StringMap{"LoadBalancer": a.AlbArnSuffix, "TargetGroup": a.TargetGroupArnSuffix}
	rds := pulumi.StringMap{"DBInstanceIdentifier": a.DBInstanceID}
	query := func(id, metric string) *cloudwatch.MetricAlarmMetricQueryArgs {
		return &cloudwatch.MetricAlarmMetricQueryArgs{
			Id:         pulumi.String(id),
			ReturnData: pulumi.Bool(false),
			Metric: &cloudwatch.MetricAlarmMetricQueryMetricArgs{
				Namespace: pulumi.String(NamespaceALB), MetricName: pulumi.String(metric),
				Dimensions: target, Stat: pulumi.String("Sum"), Period: pulumi.Int(fiveMinutes),
			},
		}
	}
	healthy := metricAlarm{
		key:         AlarmNoHealthyTargets,
		description: "No task passes the load balancer health check: the site is down. Check the ECS events log group and the service's events.",
		namespace:   NamespaceALB, metric: "HealthyHostCount", dimensions: target,
		statistic: "Minimum", period: oneMinute, evaluationPeriods: 3, datapointsToAlarm: 3,
		comparison: lessThan, threshold: 1,
		// Silence from a target group that should have tasks is an outage.
		treatMissingData: missingBreach,
	}
	if a.ExpectedTasks == 0 {
		healthy.actionsDisabledWhy = "The service runs 0 tasks until octabyte:appImage is set, so this alarm notifies no one yet."
	}
	specs := []metricAlarm{
		{
			key:         AlarmEcsCPU,
			description: fmt.Sprintf("Service CPU above %d%% for 5 minutes. Scale out (octabyte:desiredCount, autoscaling) or raise octabyte:cpu.", t.EcsCPUPercent),
			namespace:   NamespaceECS, metric: "CPUUtilization", dimensions: service,
			statistic: "Average", period: oneMinute, evaluationPeriods: 5, datapointsToAlarm: 5,
			comparison: greaterThan, threshold: float64(t.EcsCPUPercent), treatMissingData: missingNotBreach,
		},
		{
			key:         AlarmEcsMemory,
			description: fmt.Sprintf("A task's memory above %d%% for 5 minutes: it will be killed at 100%%. Raise octabyte:memory or look for a leak.", t.EcsMemoryPercent),
			namespace:   NamespaceECS, metric: "MemoryUtilization", dimensions: service,
			statistic: "Maximum", period: oneMinute, evaluationPeriods: 5, datapointsToAlarm: 5,
			comparison: greaterThan, threshold: float64(t.EcsMemoryPercent), treatMissingData: missingNotBreach,
		},
		{
			key:         AlarmALB5xx,
			description: fmt.Sprintf("The load balancer itself returned more than %d 5XX responses in 5 minutes (no healthy target, or targets timing out).", t.ALB5xxCount),
			namespace:   NamespaceALB, metric: "HTTPCode_ELB_5XX_Count", dimensions: lb,
			statistic: "Sum", period: fiveMinutes, evaluationPeriods: 1, datapointsToAlarm: 1,
			comparison: greaterThan, threshold: float64(t.ALB5xxCount), treatMissingData: missingNotBreach,
		},
		{
			key:         AlarmTarget5xxRate,
			description: fmt.Sprintf("More than %d%% of requests answered with 5XX by the app over 5 minutes. See the recent-errors widget of the application dashboard.", t.Target5xxPercent),
			period:      fiveMinutes, evaluationPeriods: 1, datapointsToAlarm: 1,
			comparison: greaterThan, threshold: float64(t.Target5xxPercent), treatMissingData: missingNotBreach,
			queries: cloudwatch.MetricAlarmMetricQueryArray{
				query("m1", "HTTPCode_Target_5XX_Count"),
				query("m2", "RequestCount"),
				&cloudwatch.MetricAlarmMetricQueryArgs{
					Id:         pulumi.String("e1"),
					Expression: pulumi.String(Target5xxRateExpression(t.Target5xxMinRequests)),
					Label:      pulumi.String(target5xxRateLabel),
					ReturnData: pulumi.Bool(true),
				},
			},
		},
		{
			key:         AlarmLatencyP99,
			description: fmt.Sprintf("p99 target response time above %d ms for 10 minutes.", t.LatencyP99Ms),
			namespace:   NamespaceALB, metric: "TargetResponseTime", dimensions: target,
			extendedStatistic: "p99", period: fiveMinutes, evaluationPeriods: 2, datapointsToAlarm: 2,
			comparison: greaterThan, threshold: float64(t.LatencyP99Ms) / 1000, // the metric is in seconds
			treatMissingData: missingNotBreach,
		},
		{
			key:         AlarmUnhealthyTargets,
			description: "A task has failed the load balancer health check (GET /healthz) in 3 of the last 5 minutes. Check the app log group and the ECS events log group.",
			namespace:   NamespaceALB, metric: "UnHealthyHostCount", dimensions: target,
			statistic: "Maximum", period: oneMinute, evaluationPeriods: 5, datapointsToAlarm: 3,
			comparison: greaterThan, threshold: 0, treatMissingData: missingNotBreach,
		},
		healthy,
		{
			key:         AlarmDBCPU,
			description: fmt.Sprintf("Database CPU above %d%% for 15 minutes. Check Performance Insights for the top queries.", t.DBCPUPercent),
			namespace:   NamespaceRDS, metric: "CPUUtilization", dimensions: rds,
			statistic: "Average", period: fiveMinutes, evaluationPeriods: 3, datapointsToAlarm: 3,
			comparison: greaterThan, threshold: float64(t.DBCPUPercent), treatMissingData: missingNotBreach,
		},
		{
			key: AlarmDBConnections,
			description: fmt.Sprintf("More than %d database connections (%d%% of %d, %s) for 10 minutes: new connections will soon be refused.",
				int(db.connections), t.DBConnectionsPercent, db.maxConnections, db.maxConnectionsNote),
			namespace: NamespaceRDS, metric: "DatabaseConnections", dimensions: rds,
			statistic: "Maximum", period: fiveMinutes, evaluationPeriods: 2, datapointsToAlarm: 2,
			comparison: greaterThan, threshold: db.connections, treatMissingData: missingNotBreach,
		},
		{
			key:         AlarmDBFreeStorage,
			description: fmt.Sprintf("Less than %d GiB of database storage left. Storage autoscaling may be at octabyte:dbMaxAllocatedStorageGb.", t.DBFreeStorageGB),
			namespace:   NamespaceRDS, metric: "FreeStorageSpace", dimensions: rds,
			statistic: "Minimum", period: fiveMinutes, evaluationPeriods: 1, datapointsToAlarm: 1,
			comparison: lessThan, threshold: db.freeStorageBytes, // bytes
			treatMissingData: missingNotBreach,
		},
		{
			key: AlarmDBFreeMemory,
			description: fmt.Sprintf("Less than %d%% of the database's %d MiB memory free for 15 minutes: it will start swapping. Consider a larger octabyte:dbInstanceClass.",
				t.DBFreeMemoryPercent, db.instanceMemoryMiB),
			namespace: NamespaceRDS, metric: "FreeableMemory", dimensions: rds,
			statistic: "Minimum", period: fiveMinutes, evaluationPeriods: 3, datapointsToAlarm: 3,
			comparison: lessThan, threshold: db.freeMemoryBytes, // bytes
			treatMissingData: missingNotBreach,
		},
	}
	if a.NATInstanceID != nil {
		// Status checks are published every minute at no charge. EC2
		// recovers a host failure by itself (simplified automatic recovery);
		// an instance failure (kernel, network config) needs a reboot, which
		// the alarm's EC2 action does (CloudWatch User Guide, "Create alarms
		// to stop, terminate, reboot, or recover an EC2 instance").
		specs = append(specs, metricAlarm{
			key:         AlarmNATInstance,
			description: "The NAT instance fails its status checks: the private subnets have no internet access (ECR, logs, secrets). The alarm reboots it; EC2 recovers host failures itself.",
			namespace:   NamespaceEC2, metric: "StatusCheckFailed", dimensions: pulumi.StringMap{"InstanceId": a.NATInstanceID},
			statistic: "Maximum", period: oneMinute, evaluationPeriods: 3, datapointsToAlarm: 3,
			comparison: "GreaterThanOrEqualToThreshold", threshold: 1, treatMissingData: missingNotBreach, // EC2 reports checks of a running instance even when it hangs; none while it starts
			repair: fmt.Sprintf("arn:aws:automate:%s:ec2:reboot", a.Region),
		})
	}
	if a.NATGateways > 0 {
		specs = append(specs, natPortAllocationAlarm(a))
	}
	return specs
}

// natPortAllocationAlarm fires when any NAT gateway could not allocate a
// source port: a NAT gateway holds at most 55,000 simultaneous connections
// to one destination (IP, port, protocol), and the connections it refuses
// fail in the app. One alarm over every gateway, so its name stays when
// their number changes.
func natPortAllocationAlarm(a MonitoringArgs) metricAlarm {
	ids := a.NATGatewayIDs.ToStringArrayOutput()
	var queries cloudwatch.MetricAlarmMetricQueryArray
	for i := range a.NATGateways {
		queries = append(queries, &cloudwatch.MetricAlarmMetricQueryArgs{
			Id:         pulumi.Sprintf("m%d", i+1),
			ReturnData: pulumi.Bool(false),
			Metric: &cloudwatch.MetricAlarmMetricQueryMetricArgs{
				Namespace: pulumi.String(NamespaceNATGW), MetricName: pulumi.String(NATPortAllocationErrs),
				Dimensions: pulumi.StringMap{NATDimension: ids.Index(pulumi.Int(i))},
				Stat:       pulumi.String("Sum"), Period: pulumi.Int(fiveMinutes),
			},
		})
	}
	queries = append(queries, &cloudwatch.MetricAlarmMetricQueryArgs{
		Id:         pulumi.String("e1"),
		Expression: pulumi.String(NATPortAllocationExpression(a.NATGateways)),
		Label:      pulumi.String("NAT port allocation errors"),
		ReturnData: pulumi.Bool(true),
	})
	return metricAlarm{
		key: AlarmNATPortAllocation,
		description: "A NAT gateway could not allocate a source port in the last 5 minutes: more than 55,000 simultaneous connections to one destination, " +
			"and those connections failed. Look for connection leaks or pooling in the app; see the NAT widgets of the infrastructure dashboard.",
		period: fiveMinutes, evaluationPeriods: 1, datapointsToAlarm: 1,
		comparison: greaterThan, threshold: 0, treatMissingData: missingNotBreach,
		queries: queries,
	}
}

// newAlarms creates every alarm with the topic as both its alarm and its OK
// action, so whoever was paged also hears when it is over.
func newAlarms(ctx *pulumi.Context, a MonitoringArgs, db dbLimits, topicArn pulumi.StringOutput, parent pulumi.ResourceOption) ([]alarm, error) {
	var out []alarm
	for _, s := range alarmSpecs(a, db) {
		name := Prefix(ctx.Stack()) + s.key
		description := s.description
		if s.actionsDisabledWhy != "" {
			description += " " + s.actionsDisabledWhy
		}
		args := &cloudwatch.MetricAlarmArgs{
			Name:               pulumi.String(name),
			AlarmDescription:   pulumi.String(description),
			ComparisonOperator: pulumi.String(s.comparison),
			Threshold:          pulumi.Float64(s.threshold),
			EvaluationPeriods:  pulumi.Int(s.evaluationPeriods),
			DatapointsToAlarm:  pulumi.Int(s.datapointsToAlarm),
			TreatMissingData:   pulumi.String(s.treatMissingData),
			ActionsEnabled:     pulumi.Bool(s.actionsDisabledWhy == ""),
			AlarmActions:       pulumi.Array{topicArn},
			OkActions:          pulumi.Array{topicArn},
		}
		if s.repair != "" {
			args.AlarmActions = pulumi.Array{topicArn, pulumi.String(s.repair)}
		}
		if s.queries != nil {
			args.MetricQueries = s.queries
		} else {
			args.Namespace = pulumi.String(s.namespace)
			args.MetricName = pulumi.String(s.metric)
			args.Dimensions = s.dimensions
			args.Period = pulumi.Int(s.period)
			if s.extendedStatistic != "" {
				args.ExtendedStatistic = pulumi.String(s.extendedStatistic)
			} else {
				args.Statistic = pulumi.String(s.statistic)
			}
		}
		opts := []pulumi.ResourceOption{parent}
		if a.ScheduledActions {
			opts = append(opts, pulumi.IgnoreChanges([]string{"actionsEnabled"}))
		}
		res, err := cloudwatch.NewMetricAlarm(ctx, s.key, args, opts...)
		if err != nil {
			return nil, err
		}
		out = append(out, alarm{name: name, arn: res.Arn, active: s.actionsDisabledWhy == ""})
	}
	return out, nil
}
