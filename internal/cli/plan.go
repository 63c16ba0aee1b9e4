// Package cli is the offline `plan` command: it runs the program under the
// mock engine with a stack's config and prints what the stack would create,
// the guardrails' verdict and the monthly cost estimate.
package cli

import (
	"encoding/json"
	"errors"
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
	"github.com/octabyte/octabyte/permissions"
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
	// The estimate and the permission check see the stack as it runs after
	// apply: with its first image, which adds the service, and with every
	// value known (a preview's unknowns cannot name a role's boundary).
	estimate, running, err := priceRunning(program, p.Stack, p.Config)
	if err != nil {
		return fail(stderr, &exitError{1, err})
	}
	if estimate.Levers, err = Levers(program, p.Stack, p.Config, estimate); err != nil {
		return fail(stderr, &exitError{1, err})
	}
	verdict := guardrails.Evaluate(guardrails.FromPlan(p), guardrails.Rules())
	access, err := checkPermissions(running)
	if err != nil {
		return fail(stderr, &exitError{1, err})
	}

	switch {
	case *f.asJSON:
		if err := writeJSON(stdout, document{Stack: p.Stack, Mode: p.Mode.String(), Resources: p.Resources, Outputs: p.Outputs, Cost: estimate, Permissions: access}); err != nil {
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
		fmt.Fprintln(stdout, "\nDeploy permissions:")
		access.Render(stdout)
		fmt.Fprintln(stdout)
		estimate.Render(stdout)
	}
	if err := errors.Join(verdict.Err(), access.Err()); err != nil {
		return fail(stderr, &exitError{1, err})
	}
	return 0
}

// checkPermissions simulates the CI roles of the repository's bootstrap on
// the plan (the repository is the working directory or above it).
func checkPermissions(p *plan.Plan) (*permissions.Report, error) {
	root, err := permissions.FindRoot(".")
	if err != nil {
		return nil, err
	}
	setup, err := permissions.Load(root)
	if err != nil {
		return nil, err
	}
	return setup.Check(p)
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
