package monitoring

import (
	"fmt"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/budgets"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// BudgetArgs is a monthly cost budget for the stack.
type BudgetArgs struct {
	LimitUSD float64 // the monthly limit; 0 creates no budget
	// TagKey and TagValue select the stack's costs: a cost allocation tag
	// (user-defined tags count only once activated in the Billing console).
	TagKey, TagValue string
}

// BudgetsPrincipal is the service that publishes budget notifications.
const BudgetsPrincipal = "budgets.amazonaws.com"

// newBudget alerts the alarm topic when the month's actual spend, or AWS's
// forecast of it, passes the limit.
func newBudget(ctx *pulumi.Context, b BudgetArgs, topicArn pulumi.StringOutput, parent pulumi.ResourceOption) error {
	notify := func(kind string) budgets.BudgetNotificationInput {
		return &budgets.BudgetNotificationArgs{
			NotificationType:       pulumi.String(kind),
			ComparisonOperator:     pulumi.String("GREATER_THAN"),
			Threshold:              pulumi.Float64(100),
			ThresholdType:          pulumi.String("PERCENTAGE"),
			SubscriberSnsTopicArns: pulumi.StringArray{topicArn},
		}
	}
	_, err := budgets.NewBudget(ctx, "monthly", &budgets.BudgetArgs{
		Name:        pulumi.String(Prefix(ctx.Stack()) + "monthly"),
		BudgetType:  pulumi.String("COST"),
		TimeUnit:    pulumi.String("MONTHLY"),
		LimitAmount: pulumi.String(fmt.Sprintf("%.2f", b.LimitUSD)),
		LimitUnit:   pulumi.String("USD"),
		// Cost Explorer's filter for a user-defined tag (Budgets API, CostFilters: TagKeyValue).
		CostFilters: budgets.BudgetCostFilterArray{&budgets.BudgetCostFilterArgs{
			Name:   pulumi.String("TagKeyValue"),
			Values: pulumi.StringArray{pulumi.String(fmt.Sprintf("user:%s$%s", b.TagKey, b.TagValue))},
		}},
		Notifications: budgets.BudgetNotificationArray{notify("ACTUAL"), notify("FORECASTED")},
	}, parent)
	return err
}
