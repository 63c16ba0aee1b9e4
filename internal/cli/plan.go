// Package cli is the offline `plan` command: it runs the program under the
// mock engine with a stack's config and prints what the stack would create,
// the guardrails' verdict and the monthly cost estimate.
package cli

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"maps"
	"os"
	"slices"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/octabyte/octabyte/config"
	"github.com/octabyte/octabyte/cost"
	"github.com/octabyte/octabyte/guardrails"
	"github.com/octabyte/octabyte/plan"
)

// Plan runs the root program's `plan` with the given arguments and returns
// the exit code: 0 for a plan, 1 when the program fails or a mandatory
// guardrail is broken, 2 for bad usage or config.
func Plan(args []string, program pulumi.RunFunc, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("plan", flag.ContinueOnError)
	fs.SetOutput(stderr)
	f := newPlanFlags(fs, "staging")
	costDiff := fs.String("cost-diff", "", "print, as Markdown, the cost change from the plan in this --json file (e.g. the base commit's) to this one")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	var parsed *config.Config
	root := Project{Name: plan.Project, Dirs: []string{"."}, Check: func(stack string, cfg map[string]string) ([]string, error) {
		var err error
		if parsed, err = config.Parse(stack, Lookup(cfg), slices.Collect(maps.Keys(cfg))...); err != nil {
			return nil, err
		}
		return parsed.Warnings, nil
	}}
	p, warnings, failure := root.prepare(f, program)
	if failure != nil {
		return fail(stderr, failure)
	}
	estimate, err := cost.New(p, parsed.Cost)
	if err != nil {
		return fail(stderr, &exitError{1, err})
	}
	verdict := guardrails.Evaluate(guardrails.FromPlan(p), guardrails.Rules())

	switch {
	case *f.asJSON:
		if err := writeJSON(stdout, document{Stack: p.Stack, Mode: p.Mode.String(), Resources: p.Resources, Outputs: p.Outputs, Cost: estimate}); err != nil {
			return fail(stderr, &exitError{1, err})
		}
	case *costDiff != "":
		base, err := readEstimate(*costDiff)
		if err != nil {
			return fail(stderr, &exitError{2, err})
		}
		fmt.Fprint(stdout, cost.Diff(base, estimate))
	default:
		render(stdout, p, warnings)
		fmt.Fprintln(stdout, "\nGuardrails:")
		verdict.Render(stdout)
		fmt.Fprintln(stdout)
		estimate.Render(stdout)
	}
	if err := verdict.Err(); err != nil {
		return fail(stderr, &exitError{1, err})
	}
	return 0
}

// readEstimate reads the cost section of a --json plan; a plan written
// before the estimate existed has none, and counts as zero.
func readEstimate(path string) (*cost.Estimate, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var doc document
	if err := json.Unmarshal(raw, &doc); err != nil {
		return nil, fmt.Errorf("%s: not a `plan --json` file: %w", path, err)
	}
	return doc.Cost, nil
}
