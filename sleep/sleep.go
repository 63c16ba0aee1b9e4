package sleep

import (
	"encoding/json"
	"fmt"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/iam"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/scheduler"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/octabyte/octabyte/internal/policydoc"
)

// ScheduleArgs configures a Schedule. Every field is required.
type ScheduleArgs struct {
	Window    Window
	Region    string
	AccountID string

	DBInstanceID pulumi.StringInput // DBInstanceIdentifier
	ClusterName  pulumi.StringInput
	ServiceName  pulumi.StringInput
	AwakeTasks   int      // the service's desired count while awake; 0: no service yet
	AlarmNames   []string // alarms whose actions sleep with the stack
}

// Schedule is the set of schedules that put the stack to sleep and wake it.
type Schedule struct {
	pulumi.ResourceState

	GroupName pulumi.StringOutput
}

// SchedulerPrincipal is the service that assumes the schedules' role.
const SchedulerPrincipal = "scheduler.amazonaws.com"

// Universal targets call one AWS API action with a JSON input whose keys
// are the action's own parameter names (EventBridge Scheduler User Guide,
// "Using universal targets").
const universalTarget = "arn:aws:scheduler:::aws-sdk:"

// step is one scheduled API call.
type step struct {
	name, action string
	at           int // minute of the day
	input        pulumi.StringOutput
}

// NewSchedule creates the schedule group, the role the schedules act with
// and one schedule per step: the database wakes first and sleeps last, the
// alarms sleep with the service and wake once its tasks are healthy.
func NewSchedule(ctx *pulumi.Context, name string, a *ScheduleArgs, opts ...pulumi.ResourceOption) (*Schedule, error) {
	s := &Schedule{}
	if err := ctx.RegisterComponentResource("octabyte:sleep:Schedule", name, s, opts...); err != nil {
		return nil, err
	}
	parent := pulumi.Parent(s)

	groupName := "octabyte-" + ctx.Stack() + "-sleep"
	group, err := scheduler.NewScheduleGroup(ctx, "sleep", &scheduler.ScheduleGroupArgs{Name: pulumi.String(groupName)}, parent)
	if err != nil {
		return nil, err
	}
	s.GroupName = group.Name

	alarmArns := make([]string, len(a.AlarmNames))
	for i, n := range a.AlarmNames {
		alarmArns[i] = fmt.Sprintf("arn:aws:cloudwatch:%s:%s:alarm:%s", a.Region, a.AccountID, n)
	}
	role, err := newRole(ctx, a, groupName, alarmArns, parent)
	if err != nil {
		return nil, err
	}

	db := jsonOf(pulumi.Map{"DbInstanceIdentifier": a.DBInstanceID})
	service := func(tasks int) pulumi.StringOutput {
		return jsonOf(pulumi.Map{"Cluster": a.ClusterName, "Service": a.ServiceName, "DesiredCount": pulumi.Int(tasks)})
	}
	alarms := jsonOf(pulumi.Map{"AlarmNames": pulumi.ToStringArray(a.AlarmNames)})
	w := a.Window
	steps := []step{
		{"db-wake", "rds:startDBInstance", w.Start - DBWakeLeadMinutes, db},
		{"alarms-wake", "cloudwatch:enableAlarmActions", w.Start + AlarmsWakeLagMinutes, alarms},
		{"alarms-sleep", "cloudwatch:disableAlarmActions", w.End, alarms},
		{"db-sleep", "rds:stopDBInstance", w.End + DBSleepLagMinutes, db},
	}
	if a.AwakeTasks > 0 { // no service exists before the first image
		steps = append(steps,
			step{"app-wake", "ecs:updateService", w.Start, service(a.AwakeTasks)},
			step{"app-sleep", "ecs:updateService", w.End, service(0)})
	}
	for _, st := range steps {
		if _, err := scheduler.NewSchedule(ctx, st.name, &scheduler.ScheduleArgs{
			Name:                       pulumi.String(st.name),
			GroupName:                  group.Name,
			ScheduleExpression:         pulumi.String(w.cron(st.at)),
			ScheduleExpressionTimezone: pulumi.String(w.TimeZone),
			FlexibleTimeWindow:         &scheduler.ScheduleFlexibleTimeWindowArgs{Mode: pulumi.String("OFF")},
			Target: &scheduler.ScheduleTargetArgs{
				Arn:     pulumi.String(universalTarget + st.action),
				RoleArn: role.Arn,
				Input:   st.input,
				// A late retry could undo the next step (stop after a
				// start): give up within the hour.
				RetryPolicy: &scheduler.ScheduleTargetRetryPolicyArgs{
					MaximumEventAgeInSeconds: pulumi.Int(3600),
					MaximumRetryAttempts:     pulumi.Int(5),
				},
			},
		}, parent); err != nil {
			return nil, err
		}
	}
	return s, ctx.RegisterResourceOutputs(s, pulumi.Map{"groupName": s.GroupName})
}

// newRole may call exactly the six actions, each on this stack's resource.
// Its trust is limited to this account's schedule group: the Scheduler User
// Guide ("Confused deputy prevention") documents aws:SourceAccount and an
// aws:SourceArn that "must be a schedule group", never a schedule's ARN.
func newRole(ctx *pulumi.Context, a *ScheduleArgs, group string, alarmArns []string, parent pulumi.ResourceOption) (*iam.Role, error) {
	trust := policydoc.ServiceTrust(SchedulerPrincipal, a.AccountID, map[string]map[string]any{
		"StringEquals": {"aws:SourceArn": GroupArn(a.Region, a.AccountID, group)},
	})
	role, err := iam.NewRole(ctx, "sleep", &iam.RoleArgs{
		Description:      pulumi.String("EventBridge Scheduler: stop and start octabyte " + ctx.Stack() + " outside working hours"),
		AssumeRolePolicy: pulumi.String(trust.JSON()),
	}, parent)
	if err != nil {
		return nil, err
	}
	// ARNs as RDS and ECS form them (Service Authorization Reference: db,
	// service in the long ARN format that includes the cluster name).
	policy := policydoc.Output(pulumi.StringArray{a.DBInstanceID, a.ClusterName, a.ServiceName}, func(v []string) policydoc.Document {
		return Policy(fmt.Sprintf("arn:aws:rds:%s:%s:db:%s", a.Region, a.AccountID, v[0]),
			fmt.Sprintf("arn:aws:ecs:%s:%s:service/%s/%s", a.Region, a.AccountID, v[1], v[2]), alarmArns)
	})
	if _, err := iam.NewRolePolicy(ctx, "sleep", &iam.RolePolicyArgs{Role: role.ID(), Policy: policy}, parent); err != nil {
		return nil, err
	}
	return role, nil
}

// Policy is what the schedules' role may do.
func Policy(dbArn, serviceArn string, alarmArns []string) policydoc.Document {
	return policydoc.New(
		policydoc.Statement{Sid: "StartStopTheDatabase", Effect: "Allow", Action: []string{"rds:StartDBInstance", "rds:StopDBInstance"}, Resource: dbArn},
		policydoc.Statement{Sid: "ScaleTheService", Effect: "Allow", Action: "ecs:UpdateService", Resource: serviceArn},
		policydoc.Statement{Sid: "QuietTheAlarms", Effect: "Allow", Action: []string{"cloudwatch:DisableAlarmActions", "cloudwatch:EnableAlarmActions"}, Resource: alarmArns},
	)
}

// GroupArn is a schedule group's ARN, what the Scheduler sets as
// aws:SourceArn when it assumes the execution role.
func GroupArn(region, account, group string) string {
	return fmt.Sprintf("arn:aws:scheduler:%s:%s:schedule-group/%s", region, account, group)
}

// jsonOf renders a map of known and computed values as the JSON input of a
// universal target.
func jsonOf(m pulumi.Map) pulumi.StringOutput {
	return m.ToMapOutput().ApplyT(func(v map[string]any) (string, error) {
		b, err := json.Marshal(v)
		return string(b), err
	}).(pulumi.StringOutput)
}
