package cli

import (
	"fmt"
	"maps"
	"math"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/octabyte/octabyte/config"
	"github.com/octabyte/octabyte/cost"
	"github.com/octabyte/octabyte/plan"
)

// pricingImage stands in for the first image when a stack has none yet: the
// first image adds the service and its tasks, which the stack is priced with.
const pricingImage = "sha256:0000000000000000000000000000000000000000000000000000000000000000"

// Price estimates a stack as it runs, from its raw config ("namespace:key"
// → value): the program under the mock engine, priced with cost's tables.
// It plans the stack without its budget: a budget without actions costs
// nothing, and its limit would have the program price itself once more.
func Price(program pulumi.RunFunc, stack string, raw map[string]string) (*cost.Estimate, error) {
	raw = maps.Clone(raw)
	raw[config.Namespace+":budget"] = "false"
	e, _, err := priceRunning(program, stack, raw)
	return e, err
}

// priceRunning is Price, with the plan it priced: the stack as it runs,
// which a stack file with no image yet is only after its first image.
func priceRunning(program pulumi.RunFunc, stack string, raw map[string]string) (*cost.Estimate, *plan.Plan, error) {
	parsed, err := config.Parse(stack, Lookup(raw))
	if err != nil {
		return nil, nil, err
	}
	noImage := parsed.Compute.Image == ""
	if noImage {
		raw = maps.Clone(raw)
		raw[config.Namespace+":appImage"] = pricingImage
	}
	p, err := plan.Run(program, stack, raw)
	if err != nil {
		return nil, nil, err
	}
	e, err := cost.New(p, parsed.Cost)
	if err != nil {
		return nil, nil, err
	}
	if noImage {
		e.Notes = append(e.Notes, "no image yet: priced as the stack runs once octabyte:appImage is set (the first image adds the service and its tasks)")
	}
	return e, p, nil
}

// minLeverSaving is the least a lever must save a month to be worth a line.
const minLeverSaving = 0.10

// Levers prices every cost lever the stack does not use yet and keeps those
// that save at least minLeverSaving, most first. A lever the stack's config refuses (a
// staging-only lever in production) is not offered.
func Levers(program pulumi.RunFunc, stack string, raw map[string]string, base *cost.Estimate) ([]cost.LeverEffect, error) {
	defaults := map[string]string{}
	for _, k := range config.Schema() {
		defaults[k.Name] = fmt.Sprint(k.Default)
	}
	var out []cost.LeverEffect
	for _, l := range cost.Levers {
		key := config.Namespace + ":" + l.Key
		current, set := raw[key]
		if !set {
			current = defaults[l.Key]
		}
		if current == l.Value {
			continue
		}
		changed := maps.Clone(raw)
		changed[key] = l.Value
		if _, err := config.Parse(stack, Lookup(changed)); err != nil {
			continue
		}
		e, err := Price(program, stack, changed)
		if err != nil {
			return nil, fmt.Errorf("lever %s: %w", l.Setting(), err)
		}
		if delta := math.Round((e.Total-base.Total)*100) / 100; delta <= -minLeverSaving {
			out = append(out, cost.LeverEffect{Lever: l, Monthly: delta})
		}
	}
	cost.SortLevers(out)
	return out, nil
}
