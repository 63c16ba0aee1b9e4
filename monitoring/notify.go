package monitoring

import (
	"fmt"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/kms"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/sns"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/octabyte/octabyte/internal/policydoc"
	"github.com/octabyte/octabyte/internal/suppress"
)

// noDestinationReason is the topic's declared OPS-002 exception when the
// stack has no alarm destination: allowed outside production, where the
// plan warns; a production `pulumi up` refuses to run (config.DeployError).
const noDestinationReason = "No alarm destination is configured - set octabyte:alarmEmails or octabyte:slackWorkspaceId with octabyte:slackChannelId." +
	" A production pulumi up refuses to deploy without one"

// CloudWatchPrincipal is the service principal that publishes alarm
// notifications.
const CloudWatchPrincipal = "cloudwatch.amazonaws.com"

// PublisherKeyActions are what an AWS service publishing to the topic
// (CloudWatch alarms, AWS Budgets) needs on the customer managed key that
// encrypts it ("Enable compatibility between event sources from AWS
// services and encrypted topics", Amazon SNS Developer Guide). The AWS
// managed key aws/sns cannot grant them, so notifications published to a
// topic encrypted with it are dropped.
var PublisherKeyActions = []string{"kms:Decrypt", "kms:GenerateDataKey*"}

// alarmSourceArn matches this stack's alarms only.
func alarmSourceArn(region, accountID, stack string) string {
	return fmt.Sprintf("arn:aws:cloudwatch:%s:%s:alarm:%s*", region, accountID, Prefix(stack))
}

// KeyPolicy lets the account administer the topic key through IAM and lets
// CloudWatch and AWS Budgets, acting for this account, encrypt notifications
// with it.
func KeyPolicy(accountID string) policydoc.Document {
	return policydoc.New(
		policydoc.Statement{
			Sid:       "AccountAdministersKey",
			Effect:    "Allow",
			Principal: map[string]any{"AWS": "arn:aws:iam::" + accountID + ":root"},
			Action:    "kms:*",
			Resource:  "*",
		},
		usesTopicKey("CloudWatchAlarmsEncrypt", CloudWatchPrincipal, accountID),
		// AWS Budgets is another of the SNS guide's event sources that need
		// the same grant to publish to an encrypted topic.
		usesTopicKey("BudgetsEncrypt", BudgetsPrincipal, accountID),
	)
}

// usesTopicKey lets a service, acting for this account, use the topic key
// to publish to the encrypted topic.
func usesTopicKey(sid, service, accountID string) policydoc.Statement {
	return policydoc.Statement{
		Sid:       sid,
		Effect:    "Allow",
		Principal: map[string]any{"Service": service},
		Action:    PublisherKeyActions,
		Resource:  "*",
		Condition: map[string]map[string]any{"StringEquals": {"aws:SourceAccount": accountID}},
	}
}

// TopicPolicy lets only this stack's alarms and this account's budgets
// publish, and only over TLS.
func TopicPolicy(topicArn, region, accountID, stack string) policydoc.Document {
	return policydoc.New(
		publishes("CloudWatchAlarmsPublish", CloudWatchPrincipal, topicArn, accountID, alarmSourceArn(region, accountID, stack)),
		// As the Cost Management User Guide's "Creating an Amazon SNS topic
		// for budget notifications" writes it: this account's budgets only.
		publishes("BudgetsPublish", BudgetsPrincipal, topicArn, accountID, "arn:aws:budgets::"+accountID+":*"),
		policydoc.Statement{
			Sid:       "DenyInsecureTransport",
			Effect:    "Deny",
			Principal: "*",
			Action:    "sns:Publish",
			Resource:  topicArn,
			Condition: map[string]map[string]any{"Bool": {"aws:SecureTransport": "false"}},
		},
	)
}

// publishes lets a service publish to the topic for the sources of this
// account that sourceArn matches.
func publishes(sid, service, topicArn, accountID, sourceArn string) policydoc.Statement {
	return policydoc.Statement{
		Sid:       sid,
		Effect:    "Allow",
		Principal: map[string]any{"Service": service},
		Action:    "sns:Publish",
		Resource:  topicArn,
		Condition: map[string]map[string]any{
			"StringEquals": {"aws:SourceAccount": accountID},
			"ArnLike":      {"aws:SourceArn": sourceArn},
		},
	}
}

type alarmTopic struct {
	arn, keyArn pulumi.StringOutput
}

func newAlarmTopic(ctx *pulumi.Context, a MonitoringArgs, parent pulumi.ResourceOption) (*alarmTopic, error) {
	key, err := kms.NewKey(ctx, "alarms", &kms.KeyArgs{
		Description:          pulumi.String("Encrypts the octabyte " + ctx.Stack() + " alarm topic; CloudWatch may use it"),
		EnableKeyRotation:    pulumi.Bool(true),
		DeletionWindowInDays: pulumi.Int(a.KeyDeletionDays),
		Policy:               pulumi.String(KeyPolicy(a.AccountID).JSON()),
	}, parent)
	if err != nil {
		return nil, err
	}
	if _, err := kms.NewAlias(ctx, "alarms", &kms.AliasArgs{
		Name:        pulumi.String("alias/" + Prefix(ctx.Stack()) + "alarms"),
		TargetKeyId: key.KeyId,
	}, parent); err != nil {
		return nil, err
	}
	var tags pulumi.StringMapInput
	if !a.NotifiesSomebody() {
		tags = pulumi.ToStringMap(suppress.Tag("OPS-002", noDestinationReason))
	}
	topic, err := sns.NewTopic(ctx, "alarms", &sns.TopicArgs{
		Name:           pulumi.String(Prefix(ctx.Stack()) + "alarms"),
		DisplayName:    pulumi.String("octabyte " + ctx.Stack() + " alarms"),
		KmsMasterKeyId: key.Arn,
		Tags:           tags,
	}, parent)
	if err != nil {
		return nil, err
	}
	if _, err := sns.NewTopicPolicy(ctx, "alarms", &sns.TopicPolicyArgs{
		Arn: topic.Arn,
		Policy: policydoc.Output(pulumi.StringArray{topic.Arn}, func(v []string) policydoc.Document {
			return TopicPolicy(v[0], a.Region, a.AccountID, ctx.Stack())
		}),
	}, parent); err != nil {
		return nil, err
	}
	// Email subscriptions stay pending until the recipient follows the
	// confirmation link SNS sends; the logical name is the address, so
	// reordering the list changes nothing.
	for _, email := range a.AlarmEmails {
		if _, err := sns.NewTopicSubscription(ctx, "alarm-email-"+email, &sns.TopicSubscriptionArgs{
			Topic:    topic.Arn,
			Protocol: pulumi.String("email"),
			Endpoint: pulumi.String(email),
		}, parent); err != nil {
			return nil, err
		}
	}
	if a.Slack.ChannelID != "" {
		if err := newSlackChannel(ctx, a, topic.Arn, parent); err != nil {
			return nil, err
		}
	}
	return &alarmTopic{arn: topic.Arn, keyArn: key.Arn}, nil
}
