package main

import (
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/property"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi/policyx"
	"github.com/stretchr/testify/assert"

	"github.com/octabyte/octabyte/guardrails"
	"github.com/octabyte/octabyte/plan"
	"github.com/octabyte/octabyte/policy"
)

// engineValue is v as the engine hands it to a policy pack at preview:
// what only apply can tell is property.Computed.
func engineValue(v any) property.Value {
	switch x := v.(type) {
	case plan.Unknown:
		return property.New(property.Computed)
	case []any:
		items := make([]property.Value, len(x))
		for i, e := range x {
			items[i] = engineValue(e)
		}
		return property.New(items)
	case map[string]any:
		fields := map[string]property.Value{}
		for k, e := range x {
			fields[k] = engineValue(e)
		}
		return property.New(fields)
	}
	out, err := property.Any(v)
	if err != nil {
		panic(err)
	}
	return out
}

// A first `pulumi preview --policy-pack` of either stack: no mandatory
// policy reports anything, and the checks that need computed values are
// listed by the advisory policy instead.
func TestAFirstPreviewPassesThePack(t *testing.T) {
	for _, stack := range []string{"staging", "prod"} {
		t.Run(stack, func(t *testing.T) {
			p := previewStack(t, stack)
			var resources []policyx.AnalyzerResource
			for _, r := range p.Resources {
				resources = append(resources, policyx.AnalyzerResource{
					Type: r.Type, Name: r.Name, URN: r.URN, Parent: r.Parent,
					Properties: engineValue(r.Inputs).AsMap(), PropertyDependencies: r.PropertyDeps,
				})
			}
			rep := guardrails.Evaluate(policy.Stack(resources, stack == "prod"), guardrails.Rules())
			assert.Empty(t, rep.Blocking())
			assert.NotEmpty(t, rep.UnknownUntilApply())
		})
	}
}
