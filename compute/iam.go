package compute

import (
	"fmt"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/iam"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/octabyte/octabyte/internal/policydoc"
	"github.com/octabyte/octabyte/internal/suppress"
)

type roles struct {
	execution, task *iam.Role
}

// ExecuteCommandActions are what ECS Exec needs on the task role; AWS
// offers no resource scoping for them.
var ExecuteCommandActions = []string{
	"ssmmessages:CreateControlChannel", "ssmmessages:CreateDataChannel",
	"ssmmessages:OpenControlChannel", "ssmmessages:OpenDataChannel",
}

// TasksPrincipal is the service principal ECS uses to assume both the task
// and the task execution role, and so the iam:PassedToService value of
// ecs:RegisterTaskDefinition ("Amazon ECS task IAM role" and "Amazon ECS
// task execution IAM role", Amazon ECS Developer Guide).
const TasksPrincipal = "ecs-tasks.amazonaws.com"

// taskTrust lets only ECS tasks of this account assume the task role. AWS
// documents aws:SourceAccount and aws:SourceArn (all ECS resources of the
// account and region; a single cluster is not supported) for task roles
// ("Amazon ECS task IAM role", awsdocs/amazon-ecs-developer-guide#208).
func taskTrust(a ComputeArgs) string {
	return policydoc.ServiceTrust(TasksPrincipal, a.AccountID, map[string]map[string]any{
		"ArnLike": {"aws:SourceArn": fmt.Sprintf("arn:aws:ecs:%s:%s:*", a.Region, a.AccountID)},
	}).JSON()
}

// executionTrust is the trust AWS documents for the task execution role
// ("Amazon ECS task execution IAM role": ecs-tasks.amazonaws.com, no
// condition). AWS documents no aws:SourceAccount/aws:SourceArn for it, and a
// condition on a key the service does not send never matches: if ECS sent
// none when it assumes this role, no task could start.
func executionTrust() string {
	return policydoc.New(policydoc.Statement{
		Effect:    "Allow",
		Principal: map[string]any{"Service": TasksPrincipal},
		Action:    "sts:AssumeRole",
	}).JSON()
}

// ExecutionTrustException declares, on the execution role, why it has no
// confused-deputy condition (guardrail IAM-003).
const ExecutionTrustException = "AWS documents the ECS task execution role trust without aws:SourceAccount or aws:SourceArn - " +
	"task_execution_IAM_role in the Amazon ECS Developer Guide"

// ExecutionPolicy is exactly what ECS needs to start the task: pull this
// repository's image, write this log group, read this one secret.
func ExecutionPolicy(repoArn, logGroupArn, secretArn string) policydoc.Document {
	return policydoc.New(
		// GetAuthorizationToken has no resource-level permissions.
		policydoc.Statement{Sid: "EcrLogin", Effect: "Allow", Action: "ecr:GetAuthorizationToken", Resource: "*"},
		policydoc.Statement{Sid: "PullAppImage", Effect: "Allow",
			Action:   []string{"ecr:BatchCheckLayerAvailability", "ecr:GetDownloadUrlForLayer", "ecr:BatchGetImage"},
			Resource: repoArn},
		policydoc.Statement{Sid: "WriteAppLogs", Effect: "Allow",
			Action:   []string{"logs:CreateLogStream", "logs:PutLogEvents"},
			Resource: logGroupArn + ":log-stream:*"},
		policydoc.Statement{Sid: "ReadDatabaseSecret", Effect: "Allow",
			Action:   "secretsmanager:GetSecretValue",
			Resource: secretArn},
	)
}

func newRoles(ctx *pulumi.Context, a ComputeArgs, repoArn pulumi.StringOutput, parent pulumi.ResourceOption) (*roles, error) {
	execution, err := iam.NewRole(ctx, "execution", &iam.RoleArgs{
		Description:      pulumi.String("ECS starts octabyte " + ctx.Stack() + " tasks: image pull, logs, DB secret"),
		AssumeRolePolicy: pulumi.String(executionTrust()),
		Tags:             pulumi.ToStringMap(suppress.Tag("IAM-003", ExecutionTrustException)),
	}, parent)
	if err != nil {
		return nil, err
	}
	policy := policydoc.Output(pulumi.StringArray{repoArn, a.AppLogGroupArn, a.Database.SecretArn}, func(v []string) policydoc.Document {
		return ExecutionPolicy(v[0], v[1], v[2])
	})
	if _, err := iam.NewRolePolicy(ctx, "execution", &iam.RolePolicyArgs{Role: execution.ID(), Policy: policy}, parent); err != nil {
		return nil, err
	}

	// The app calls no AWS API: its role has no permissions unless ECS Exec is on.
	task, err := iam.NewRole(ctx, "task", &iam.RoleArgs{
		Description:      pulumi.String("octabyte " + ctx.Stack() + " app: no AWS permissions beyond ECS Exec when enabled"),
		AssumeRolePolicy: pulumi.String(taskTrust(a)),
	}, parent)
	if err != nil {
		return nil, err
	}
	if a.EnableExecuteCommand {
		exec := policydoc.New(policydoc.Statement{Sid: "EcsExec", Effect: "Allow", Action: ExecuteCommandActions, Resource: "*"})
		if _, err := iam.NewRolePolicy(ctx, "task-exec", &iam.RolePolicyArgs{Role: task.ID(), Policy: pulumi.String(exec.JSON())}, parent); err != nil {
			return nil, err
		}
	}
	return &roles{execution: execution, task: task}, nil
}
