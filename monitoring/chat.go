package monitoring

import (
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/chatbot"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/iam"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/octabyte/octabyte/internal/policydoc"
	"github.com/octabyte/octabyte/internal/suppress"
)

// SlackChannel is a Slack channel alarms post to through AWS Chatbot
// (Amazon Q Developer in chat applications). The workspace must first be
// authorized once in the Chatbot console (an OAuth step no API can take).
type SlackChannel struct {
	WorkspaceID string // Slack team id, T...
	ChannelID   string // C... (G... for an older private channel)
}

// ChatbotPrincipal is the service that assumes a channel role.
const ChatbotPrincipal = "chatbot.amazonaws.com"

// ChatbotNotificationActions are what AWS's notifications-only channel
// role template (AWS-Chatbot-NotificationsOnly-Policy) grants: reading the
// alarm and its metric to render a notification, nothing else.
var ChatbotNotificationActions = []string{"cloudwatch:Describe*", "cloudwatch:Get*", "cloudwatch:List*"}

// ChatbotGuardrailPolicy caps what anybody in the channel can do through
// it. Without one Chatbot applies AdministratorAccess; the channel only
// reads CloudWatch, so that is its ceiling.
const ChatbotGuardrailPolicy = "arn:aws:iam::aws:policy/CloudWatchReadOnlyAccess"

// chatbotTrustException is the declared IAM-003 exception of the channel
// role: its trust names one service but no source account.
const chatbotTrustException = "AWS Chatbot documents no aws:SourceAccount or aws:SourceArn on AssumeRole and a condition on an absent key denies." +
	" Only this account can hand the role to a channel: iam:PassRole"

// newSlackChannel subscribes a Slack channel to the alarm topic. The topic
// and its key need nothing for it: SNS decrypts a message before it
// delivers it ("Encryption at rest", Amazon SNS Developer Guide), and
// Chatbot subscribes through its service-linked role in this account, whose
// own policy allows sns:Subscribe (AWSChatbotServiceLinkedRolePolicy).
// Chatbot's API lives in four regions only; the provider sends these calls
// to us-west-2 when the stack's region is not one of them
// (terraform-provider-aws, internal/service/chatbot/service_package.go).
func newSlackChannel(ctx *pulumi.Context, a MonitoringArgs, topicArn pulumi.StringOutput, parent pulumi.ResourceOption) error {
	role, err := iam.NewRole(ctx, "chatbot", &iam.RoleArgs{
		Description: pulumi.String("AWS Chatbot channel role of the octabyte " + ctx.Stack() + " alarms: reads CloudWatch to render notifications"),
		AssumeRolePolicy: pulumi.String(policydoc.New(policydoc.Statement{
			Effect:    "Allow",
			Principal: map[string]any{"Service": ChatbotPrincipal},
			Action:    "sts:AssumeRole",
		}).JSON()),
		Tags: pulumi.ToStringMap(suppress.Tag("IAM-003", chatbotTrustException)),
	}, parent)
	if err != nil {
		return err
	}
	policy, err := iam.NewRolePolicy(ctx, "chatbot", &iam.RolePolicyArgs{
		Role: role.ID(),
		Policy: pulumi.String(policydoc.New(policydoc.Statement{
			Sid:      "RenderAlarmNotifications",
			Effect:   "Allow",
			Action:   ChatbotNotificationActions,
			Resource: "*", // as AWS's template: GetMetricData and GetMetricWidgetImage take no resource
		}).JSON()),
	}, parent)
	if err != nil {
		return err
	}
	_, err = chatbot.NewSlackChannelConfiguration(ctx, "slack", &chatbot.SlackChannelConfigurationArgs{
		ConfigurationName:         pulumi.String(Prefix(ctx.Stack()) + "alarms"),
		SlackTeamId:               pulumi.String(a.Slack.WorkspaceID),
		SlackChannelId:            pulumi.String(a.Slack.ChannelID),
		SnsTopicArns:              pulumi.StringArray{topicArn},
		IamRoleArn:                role.Arn,
		GuardrailPolicyArns:       pulumi.StringArray{pulumi.String(ChatbotGuardrailPolicy)},
		UserAuthorizationRequired: pulumi.Bool(false),
		LoggingLevel:              pulumi.String("ERROR"),
	}, parent, pulumi.DependsOn([]pulumi.Resource{policy}))
	return err
}
