package monitoring

import (
	"encoding/json"
	"fmt"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/cloudwatch"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/octabyte/octabyte/internal/policydoc"
)

// EcsEventTypes are the ECS events kept in the events log group: every task
// start and stop (with its stop reason), service actions (steady state,
// unable to place or start tasks) and deployments (started, completed,
// failed and rolled back by the circuit breaker).
var EcsEventTypes = []string{"ECS Task State Change", "ECS Service Action", "ECS Deployment State Change"}

// EventDeliveryPrincipals are the principals the EventBridge console itself
// grants when it targets a log group (its "TrustEventsToStoreLogEvents"
// resource policy): EventBridge uses the log group's resource policy, never
// a role, for CloudWatch Logs targets.
var EventDeliveryPrincipals = []string{"events.amazonaws.com", "delivery.logs.amazonaws.com"}

// EcsEventsLogGroup is the events log group of a stack. EventBridge's
// console only offers log groups under /aws/events/ as rule targets.
func EcsEventsLogGroup(stack string) string { return "/aws/events/" + Prefix(stack) + "ecs" }

// EventPattern is an EventBridge event pattern; its $or branches leave
// source and detail-type empty.
type EventPattern struct {
	Source     []string       `json:"source,omitempty"`
	DetailType []string       `json:"detail-type,omitempty"`
	Or         []EventPattern `json:"$or,omitempty"`
	Detail     *EventDetail   `json:"detail,omitempty"`
	Resources  []PrefixMatch  `json:"resources,omitempty"`
}

// EventDetail matches fields of an event's detail.
type EventDetail struct {
	ClusterArn []string `json:"clusterArn"`
}

// PrefixMatch is EventBridge's {"prefix": "..."} matcher.
type PrefixMatch struct {
	Prefix string `json:"prefix"`
}

// EcsEventPattern matches this cluster's ECS events. Task and service
// action events carry detail.clusterArn; deployment events only name the
// service ARN (arn:aws:ecs:<region>:<account>:service/<cluster>/<service>)
// in resources, so the pattern accepts either.
func EcsEventPattern(region, accountID, clusterArn, clusterName string) EventPattern {
	return EventPattern{
		Source:     []string{"aws.ecs"},
		DetailType: EcsEventTypes,
		Or: []EventPattern{
			{Detail: &EventDetail{ClusterArn: []string{clusterArn}}},
			{Resources: []PrefixMatch{{Prefix: fmt.Sprintf("arn:aws:ecs:%s:%s:service/%s/", region, accountID, clusterName)}}},
		},
	}
}

// EventLogPolicy lets EventBridge write events into one log group.
func EventLogPolicy(logGroupArn string) policydoc.Document {
	return policydoc.New(policydoc.Statement{
		Sid:       "EventBridgeWritesEcsEvents",
		Effect:    "Allow",
		Principal: map[string]any{"Service": EventDeliveryPrincipals},
		Action:    []string{"logs:CreateLogStream", "logs:PutLogEvents"},
		Resource:  logGroupArn + ":*",
	})
}

func newEcsEventLog(ctx *pulumi.Context, a MonitoringArgs, parent pulumi.ResourceOption) (pulumi.StringOutput, error) {
	group, err := cloudwatch.NewLogGroup(ctx, "ecs-events", &cloudwatch.LogGroupArgs{
		Name:            pulumi.String(EcsEventsLogGroup(ctx.Stack())),
		RetentionInDays: pulumi.Int(a.LogRetentionDays),
	}, parent)
	if err != nil {
		return pulumi.StringOutput{}, err
	}
	policy, err := cloudwatch.NewLogResourcePolicy(ctx, "ecs-events", &cloudwatch.LogResourcePolicyArgs{
		PolicyName: pulumi.String(Prefix(ctx.Stack()) + "ecs-events"),
		PolicyDocument: policydoc.Output(pulumi.StringArray{group.Arn}, func(v []string) policydoc.Document {
			return EventLogPolicy(v[0])
		}),
	}, parent)
	if err != nil {
		return pulumi.StringOutput{}, err
	}
	pattern := pulumi.All(a.ClusterArn, a.ClusterName).ApplyT(func(v []any) (string, error) {
		b, err := json.Marshal(EcsEventPattern(a.Region, a.AccountID, v[0].(string), v[1].(string)))
		return string(b), err
	}).(pulumi.StringOutput)
	rule, err := cloudwatch.NewEventRule(ctx, "ecs-events", &cloudwatch.EventRuleArgs{
		Name:         pulumi.String(Prefix(ctx.Stack()) + "ecs-events"),
		Description:  pulumi.String("octabyte " + ctx.Stack() + ": ECS task, service and deployment events to CloudWatch Logs"),
		EventPattern: pattern,
	}, parent)
	if err != nil {
		return pulumi.StringOutput{}, err
	}
	if _, err := cloudwatch.NewEventTarget(ctx, "ecs-events", &cloudwatch.EventTargetArgs{
		Rule:     rule.Name,
		TargetId: pulumi.String("ecs-events-log"),
		Arn:      group.Arn, // no RoleArn: CloudWatch Logs targets use the resource policy
	}, parent, pulumi.DependsOn([]pulumi.Resource{policy})); err != nil {
		return pulumi.StringOutput{}, err
	}
	return group.Name, nil
}
