package main

import (
	"fmt"
	"maps"
	"math"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/octabyte/octabyte/appmetrics"
	"github.com/octabyte/octabyte/config"
	"github.com/octabyte/octabyte/cost"
	"github.com/octabyte/octabyte/internal/cli"
	"github.com/octabyte/octabyte/plan"
	"github.com/octabyte/octabyte/plan/plantest"
)

// stackFileWith is a stack's config file with some values changed.
func stackFileWith(t *testing.T, stack string, changes map[string]string) map[string]string {
	t.Helper()
	cfg, err := plan.LoadStackConfig(".", stack)
	require.NoError(t, err)
	for k, v := range changes {
		cfg[k] = v
	}
	return cfg
}

// estimateWith prices a stack, as it runs, with some config changed.
func estimateWith(t *testing.T, stack string, changes map[string]string) *cost.Estimate {
	t.Helper()
	e, err := cli.Price(run, stack, stackFileWith(t, stack, changes))
	require.NoError(t, err)
	return e
}

// Price leaves its caller's config as it was: the program that asks for its
// own price (main.go's budget) keeps its budget.
func TestPriceLeavesTheCallersConfigAlone(t *testing.T) {
	raw := stackFileWith(t, "staging", nil)
	before := maps.Clone(raw)
	_, err := cli.Price(run, "staging", raw)
	require.NoError(t, err)
	assert.Equal(t, before, raw)
}

// A stack file with no image yet is priced as it will run: the first image
// adds the service, which is what the bill will be.
func TestAStackWithoutAnImageIsPricedAsItWillRun(t *testing.T) {
	for _, stack := range stacks {
		withImage := estimateWith(t, stack, map[string]string{"octabyte:appImage": deployedDigest})
		bringUp := estimateWith(t, stack, nil)
		assert.Equal(t, withImage.Total, bringUp.Total, stack)
		assert.Contains(t, bringUp.Notes[len(bringUp.Notes)-1], "priced as the stack runs once octabyte:appImage is set")
	}
}

// The budget is the plan's own estimate plus the margin, rounded up to the
// dollar; turned off, there is none.
func TestBudgetIsTheEstimatePlusTheMargin(t *testing.T) {
	for _, stack := range stacks {
		for _, margin := range []string{"20", "50"} {
			changes := map[string]string{"octabyte:budgetMarginPercent": margin}
			p, err := plan.Run(run, stack, stackFileWith(t, stack, changes))
			require.NoError(t, err)
			want := estimateWith(t, stack, changes).Total * (1 + map[string]float64{"20": 0.2, "50": 0.5}[margin])
			budget := plantest.One(t, p, "aws:budgets/budget:Budget")
			assert.Equal(t, fmt.Sprintf("%.2f", math.Ceil(want)), budget.Input("limitAmount"), "%s margin %s", stack, margin)
			assert.Equal(t, []any{map[string]any{"name": "TagKeyValue", "values": []any{"user:Environment$" + stack}}}, budget.Input("costFilters"))
		}
		p, err := plan.Run(run, stack, stackFileWith(t, stack, map[string]string{"octabyte:budget": "false"}))
		require.NoError(t, err)
		assert.Empty(t, p.ByType("aws:budgets/budget:Budget"))
	}
}

// The plan lists every lever the stack does not use yet with what it saves,
// computed by planning the stack with it: staging's include the NAT
// instance and the sleep schedule, prod's never do (production refuses
// them). A lever that saves less than 10 cents a month is left out.
func TestPlanListsTheLeversNotUsedYet(t *testing.T) {
	levers := func(stack string, changes map[string]string) map[string]float64 {
		raw := stackFileWith(t, stack, changes)
		base, err := cli.Price(run, stack, raw)
		require.NoError(t, err)
		found, err := cli.Levers(run, stack, raw, base)
		require.NoError(t, err)
		out := map[string]float64{}
		for i, l := range found {
			out[l.Setting()] = l.Monthly
			if i > 0 {
				assert.LessOrEqual(t, found[i-1].Monthly, l.Monthly, "most savings first")
			}
		}
		for _, l := range cost.Levers {
			monthly, listed := out[l.Setting()]
			cheaper, err := cli.Price(run, stack, mergeMaps(raw, map[string]string{"octabyte:" + l.Key: l.Value}))
			if err != nil {
				assert.False(t, listed, "%s: %s refuses it", l.Setting(), stack)
				continue
			}
			saving := math.Round((cheaper.Total-base.Total)*100) / 100
			if saving <= -0.10 {
				assert.True(t, listed, "%s saves %.2f on %s", l.Setting(), -saving, stack)
				assert.InDelta(t, saving, monthly, 0.005, "the saving is the plan with the lever minus the plan without")
			} else {
				assert.False(t, listed, "%s saves %.2f on %s: under 10 cents, or nothing", l.Setting(), -saving, stack)
			}
		}
		return out
	}
	staging := levers("staging", nil)
	assert.Contains(t, staging, "natGateways: instance")
	assert.Contains(t, staging, "sleepSchedule: mon-fri 08:00-20:00")
	assert.NotContains(t, staging, "natGateways: single", "staging already uses it")
	prod := levers("prod", nil)
	assert.NotContains(t, prod, "natGateways: instance")
	assert.NotContains(t, prod, "sleepSchedule: mon-fri 08:00-20:00")
	assert.Contains(t, prod, "natGateways: single")
	assert.Contains(t, prod, "containerInsights: false")
	assert.NotContains(t, levers("staging", map[string]string{"octabyte:natGateways": "instance"}), "natGateways: instance", "a lever in use is not offered")
}

func mergeMaps(a, b map[string]string) map[string]string {
	out := map[string]string{}
	maps.Copy(out, a)
	maps.Copy(out, b)
	return out
}

// The cost targets, priced from the real stack files: staging at most $110
// as it stands, at most $60 with a NAT instance and a weekday sleep
// schedule; prod no dearer than before the levers existed ($191.51); a
// budget on both; and at most 10 app custom metrics, each one named in the
// estimate.
func TestCostTargets(t *testing.T) {
	staging := estimateWith(t, "staging", nil)
	assert.LessOrEqual(t, staging.Total, 110.0)
	cheapest := estimateWith(t, "staging", map[string]string{
		"octabyte:natGateways": "instance", "octabyte:sleepSchedule": "mon-fri 08:00-20:00",
	})
	assert.LessOrEqual(t, cheapest.Total, 60.0)
	assert.LessOrEqual(t, estimateWith(t, "prod", nil).Total, 191.51)
	for _, stack := range stacks {
		assert.Len(t, runStack(t, stack).ByType("aws:budgets/budget:Budget"), 1, stack)
	}

	series := appmetrics.Series()
	assert.LessOrEqual(t, len(series), 10)
	assert.Equal(t, len(series), staging.Assumptions.AppMetrics, "the estimate prices every series the app can create")
	notes := strings.Join(staging.Notes, "\n")
	for _, s := range series {
		assert.Contains(t, notes, s, "the estimate names the metrics it prices")
	}
}

// The whole running stack, budget included (cli.Price leaves it out).
func TestEveryResourceTypeIsPricedOrKnownFree(t *testing.T) {
	for _, stack := range stacks {
		p := runStack(t, stack)
		parsed, err := config.Parse(stack, cli.Lookup(p.Config))
		require.NoError(t, err)
		e, err := cost.New(p, parsed.Cost)
		require.NoError(t, err)
		assert.Empty(t, e.NotPriced, stack)
		assert.Contains(t, e.Free, "aws:budgets/budget:Budget", stack)
		assert.Greater(t, e.Total, 0.0)
	}
}

// A first preview, where AWS has not yet told the subnets' ids, prices
// every line as the deployed stack does: the load balancer's public IPv4s
// and the interface endpoints' AZ-hours count the VPC's AZs instead.
func TestAFirstPreviewPricesAsTheDeployedStack(t *testing.T) {
	for _, changes := range []map[string]string{nil, {"octabyte:privateEndpoints": "true"}} {
		for _, stack := range stacks {
			cfg := stackFileWith(t, stack, changes)
			cfg["octabyte:appImage"] = deployedDigest
			parsed, err := config.Parse(stack, cli.Lookup(cfg))
			require.NoError(t, err)
			var lines [2][]cost.Line
			for i, mode := range []plan.Mode{plan.Apply, plan.Preview} {
				p, err := plan.RunProject(plan.Project, mode, run, stack, cfg)
				require.NoError(t, err)
				e, err := cost.New(p, parsed.Cost)
				require.NoError(t, err)
				assert.Empty(t, e.NotPriced, "%s %v", stack, mode)
				lines[i] = e.Lines
			}
			assert.Equal(t, lines[0], lines[1], "%s %v", stack, changes)
		}
	}
}

// HTTPS on a domain and a Slack channel add types the estimate knows, and
// cost nothing: public ACM certificates, records and alias queries to a
// load balancer, AWS Chatbot.
func TestDomainAndSlackAreKnownAndFree(t *testing.T) {
	extra := map[string]string{
		"octabyte:domainName": "app.example.com", "octabyte:slackWorkspaceId": "T07EA123LEP", "octabyte:slackChannelId": "C07EZ1ABC23",
	}
	for _, stack := range stacks {
		e := estimateWith(t, stack, extra)
		assert.Empty(t, e.NotPriced, stack)
		assert.Subset(t, e.Free, []string{"aws:acm/certificate:Certificate", "aws:route53/record:Record", "aws:chatbot/slackChannelConfiguration:SlackChannelConfiguration"})
		assert.Equal(t, estimateWith(t, stack, nil).Total, e.Total, stack)
	}
}

func TestProdCostsMoreThanStaging(t *testing.T) {
	assert.Greater(t, estimateWith(t, "prod", nil).Total, estimateWith(t, "staging", nil).Total)
}

// Each cost lever moves the estimate in the direction the README promises.
func TestCostLevers(t *testing.T) {
	cases := []struct {
		name          string
		cheap, costly map[string]string
	}{
		{"S3 gateway endpoint", map[string]string{"octabyte:s3GatewayEndpoint": "true"}, map[string]string{"octabyte:s3GatewayEndpoint": "false"}},
		{"ARM64 over X86_64", map[string]string{"octabyte:cpuArchitecture": "ARM64"}, map[string]string{"octabyte:cpuArchitecture": "X86_64"}},
		{"Fargate Spot", map[string]string{"octabyte:cpuArchitecture": "X86_64", "octabyte:fargateSpot": "true"}, map[string]string{"octabyte:cpuArchitecture": "X86_64"}},
		{"Container Insights off", map[string]string{"octabyte:containerInsights": "false"}, map[string]string{"octabyte:containerInsights": "true"}},
		{"shorter log retention", map[string]string{"octabyte:logRetentionDays": "7"}, map[string]string{"octabyte:logRetentionDays": "365"}},
		{"single NAT gateway", map[string]string{"octabyte:natGateways": "single"}, map[string]string{"octabyte:natGateways": "onePerAz"}},
		{"NAT instance", map[string]string{"octabyte:natGateways": "instance"}, map[string]string{"octabyte:natGateways": "single"}},
		{"single-AZ database", map[string]string{"octabyte:dbMultiAz": "false"}, map[string]string{"octabyte:dbMultiAz": "true"}},
		{"no interface endpoints", map[string]string{"octabyte:privateEndpoints": "false"}, map[string]string{"octabyte:privateEndpoints": "true"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			cheap, costly := estimateWith(t, "staging", tc.cheap), estimateWith(t, "staging", tc.costly)
			assert.Less(t, cheap.Total, costly.Total)
		})
	}
}

// With private endpoints the tasks send nothing through NAT: its data line
// drops to zero while the endpoints' hours and data appear.
func TestPrivateEndpointsMoveTheTasksTrafficOffNAT(t *testing.T) {
	on := estimateWith(t, "staging", map[string]string{"octabyte:privateEndpoints": "true"})
	off := estimateWith(t, "staging", nil)
	item := func(e *cost.Estimate, name string) (float64, bool) {
		for _, l := range e.Lines {
			if l.Item == name {
				return l.Monthly, true
			}
		}
		return 0, false
	}
	nat, _ := item(on, "NAT data processing")
	assert.Zero(t, nat)
	nat, _ = item(off, "NAT data processing")
	assert.Positive(t, nat)
	for _, svc := range []string{"ecr.api", "ecr.dkr", "logs", "secretsmanager"} {
		monthly, ok := item(on, "VPC endpoint "+svc)
		assert.True(t, ok, svc)
		assert.InDelta(t, 2*730*0.011, monthly, 0.01, "%s: 2 AZs in ap-south-1", svc)
		_, ok = item(off, "VPC endpoint "+svc)
		assert.False(t, ok, svc)
	}
}
