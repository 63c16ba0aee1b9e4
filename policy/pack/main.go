// Command pack is the guardrails as a Pulumi policy pack, for
// `pulumi preview --policy-pack policy/pack` where the Pulumi CLI runs (CI).
// It evaluates the same rules as the tests and the offline plan.
package main

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"strings"

	"github.com/blang/semver"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi/policyx"

	"github.com/octabyte/octabyte/guardrails"
	"github.com/octabyte/octabyte/plan"
)

func main() {
	if err := policyx.Main(func(*pulumi.Context) (policyx.PolicyPack, error) { return Pack() }); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

// Pack has one stack policy per guardrail rule. Production rules apply when
// OCTABYTE_PRODUCTION=true (the workflow sets it for the prod preview).
func Pack() (policyx.PolicyPack, error) {
	production, _ := strconv.ParseBool(os.Getenv("OCTABYTE_PRODUCTION"))
	var policies []policyx.Policy
	for _, rule := range guardrails.Rules() {
		level := policyx.EnforcementLevelAdvisory
		if rule.Severity == guardrails.Mandatory {
			level = policyx.EnforcementLevelMandatory
		}
		policies = append(policies, policyx.NewStackValidationPolicy(strings.ToLower(rule.ID), policyx.StackValidationPolicyArgs{
			Description:      rule.Rationale + " Fix: " + rule.Fix,
			EnforcementLevel: level,
			ValidateStack: func(_ context.Context, args policyx.StackValidationArgs) error {
				stack := Stack(args.Resources, production)
				for _, v := range guardrails.Evaluate(stack, []guardrails.Rule{rule}).Violations {
					if v.Suppressed == "" {
						args.Manager.ReportViolation(v.Finding.Message, v.Finding.Resource.URN)
					}
				}
				return nil
			},
		}))
	}
	return policyx.NewPolicyPack("octabyte-guardrails", semver.MustParse("1.0.0"), policyx.EnforcementLevelMandatory, policies)
}

// Stack describes the engine's view of the resources to the rules. Provider
// config is not visible here, so the default-tags rule is left to the
// offline plan.
func Stack(resources []policyx.AnalyzerResource, production bool) *guardrails.Stack {
	s := &guardrails.Stack{Production: production}
	for _, r := range resources {
		s.Resources = append(s.Resources, guardrails.Resource{
			Type: r.Type, Name: r.Name, URN: r.URN, Parent: r.Parent,
			Inputs: plan.Plain(resource.ToResourcePropertyMap(r.Properties)),
		})
	}
	return s
}
