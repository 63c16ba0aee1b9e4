// Package policy is the guardrails as a Pulumi policy pack (run by the
// command in policy/pack, `pulumi preview --policy-pack policy/pack`, where
// the Pulumi CLI runs). It evaluates the same rules as the tests and the
// offline plan, on the engine's view of the resources.
package policy

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"strings"

	"github.com/blang/semver"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi/policyx"

	"github.com/octabyte/octabyte/guardrails"
	"github.com/octabyte/octabyte/plan"
)

// UnknownPolicy is the advisory policy that lists the checks a preview
// cannot settle because they depend on values only apply can tell (ids,
// ARNs, generated documents): they never block, and run again with known
// values on the next preview of the deployed stack.
const UnknownPolicy = "unknown-until-apply"

// Pack has one stack policy per guardrail rule, reporting the violations
// that are known, plus UnknownPolicy. Production rules apply when
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
				for _, v := range guardrails.Evaluate(Stack(args.Resources, production), []guardrails.Rule{rule}).Violations {
					if v.Open() {
						args.Manager.ReportViolation(v.Finding.Message, v.Finding.Resource.URN)
					}
				}
				return nil
			},
		}))
	}
	policies = append(policies, policyx.NewStackValidationPolicy(UnknownPolicy, policyx.StackValidationPolicyArgs{
		Description:      "Guardrail checks that depend on values only known after apply; they run again once the values exist.",
		EnforcementLevel: policyx.EnforcementLevelAdvisory,
		ValidateStack: func(_ context.Context, args policyx.StackValidationArgs) error {
			for _, v := range guardrails.Evaluate(Stack(args.Resources, production), guardrails.Rules()).UnknownUntilApply() {
				args.Manager.ReportViolation(fmt.Sprintf("%s %s: unknown until apply (%s)", v.Rule.ID, v.Finding.Message, strings.Join(v.Finding.Unknown, ", ")), v.Finding.Resource.URN)
			}
			return nil
		},
	}))
	return policyx.NewPolicyPack("octabyte-guardrails", semver.MustParse("1.0.0"), policyx.EnforcementLevelMandatory, policies)
}

// Stack describes the engine's view of the resources to the rules: values
// unknown at preview stay plan.Unknown (not a placeholder string a rule
// could mistake for data), with the property dependencies that trace them.
// Provider config is not visible here, so the default-tags rule is left to
// the offline plan.
func Stack(resources []policyx.AnalyzerResource, production bool) *guardrails.Stack {
	s := &guardrails.Stack{Production: production}
	for _, r := range resources {
		s.Resources = append(s.Resources, guardrails.Resource{
			Type: r.Type, Name: r.Name, URN: r.URN, Parent: r.Parent,
			Inputs: plan.Plain(resource.ToResourcePropertyMap(r.Properties)),
			Deps:   r.PropertyDependencies,
		})
	}
	return s
}
