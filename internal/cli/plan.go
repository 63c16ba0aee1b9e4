// Package cli is the offline `plan` command: it runs the program under the
// mock engine with a stack's config and prints what the stack would create,
// the guardrails' verdict and the monthly cost estimate.
package cli

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/octabyte/octabyte/config"
	"github.com/octabyte/octabyte/cost"
	"github.com/octabyte/octabyte/guardrails"
	"github.com/octabyte/octabyte/plan"
)

// document is the --json form: the plan plus its cost estimate.
type document struct {
	Stack     string          `json:"stack"`
	Resources []plan.Resource `json:"resources"`
	Outputs   map[string]any  `json:"outputs"`
	Cost      *cost.Estimate  `json:"cost"`
}

// Plan runs `plan` with the given arguments and returns the exit code:
// 0 for a plan, 1 when the program fails or a mandatory guardrail is
// broken, 2 for bad usage or config.
func Plan(args []string, program pulumi.RunFunc, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("plan", flag.ContinueOnError)
	fs.SetOutput(stderr)
	stack := fs.String("stack", "staging", "stack whose Pulumi.<stack>.yaml to use")
	dir := fs.String("dir", ".", "directory holding the stack files")
	asJSON := fs.Bool("json", false, "print the plan and its cost estimate as JSON")
	costDiff := fs.String("cost-diff", "", "print, as Markdown, the cost change from the plan in this --json file (e.g. the base commit's) to this one")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	fail := func(code int, err error) int {
		fmt.Fprintln(stderr, "error:", err)
		return code
	}
	cfg, err := plan.LoadStackConfig(*dir, *stack)
	if err != nil {
		return fail(2, err)
	}
	parsed, err := config.Parse(*stack, lookup(cfg))
	if err != nil {
		return fail(2, err)
	}
	p, err := plan.Run(program, *stack, cfg)
	if err != nil {
		return fail(1, err)
	}
	estimate, err := cost.New(p, parsed.Cost)
	if err != nil {
		return fail(1, err)
	}
	verdict := guardrails.Evaluate(guardrails.FromPlan(p), guardrails.Rules())

	switch {
	case *asJSON:
		b, err := json.MarshalIndent(document{Stack: p.Stack, Resources: p.Resources, Outputs: p.Outputs, Cost: estimate}, "", "  ")
		if err != nil {
			return fail(1, err)
		}
		fmt.Fprintln(stdout, string(b))
	case *costDiff != "":
		base, err := readEstimate(*costDiff)
		if err != nil {
			return fail(2, err)
		}
		fmt.Fprint(stdout, cost.Diff(base, estimate))
	default:
		plan.Render(stdout, p)
		if len(parsed.Warnings) > 0 {
			fmt.Fprintln(stdout, "\nWarnings:")
			for _, w := range parsed.Warnings {
				fmt.Fprintln(stdout, "  !", w)
			}
		}
		fmt.Fprintln(stdout, "\nGuardrails:")
		verdict.Render(stdout)
		fmt.Fprintln(stdout)
		estimate.Render(stdout)
	}
	if err := verdict.Err(); err != nil {
		return fail(1, err)
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

func lookup(cfg map[string]string) func(string) (string, bool) {
	return func(key string) (string, bool) {
		v, ok := cfg[key]
		return v, ok
	}
}
