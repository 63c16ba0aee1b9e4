// Package cli is the offline `plan` command: it runs the program under the
// mock engine with a stack's config and prints what the stack would create.
package cli

import (
	"flag"
	"fmt"
	"io"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/octabyte/octabyte/config"
	"github.com/octabyte/octabyte/guardrails"
	"github.com/octabyte/octabyte/plan"
)

// Plan runs `plan` with the given arguments and returns the exit code:
// 0 for a plan, 1 when the program fails, 2 for bad usage or config.
func Plan(args []string, program pulumi.RunFunc, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("plan", flag.ContinueOnError)
	fs.SetOutput(stderr)
	stack := fs.String("stack", "staging", "stack whose Pulumi.<stack>.yaml to use")
	dir := fs.String("dir", ".", "directory holding the stack files")
	asJSON := fs.Bool("json", false, "print the plan as JSON")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	cfg, err := plan.LoadStackConfig(*dir, *stack)
	if err != nil {
		fmt.Fprintln(stderr, "error:", err)
		return 2
	}
	parsed, err := config.Parse(*stack, lookup(cfg))
	if err != nil {
		fmt.Fprintln(stderr, "error:", err)
		return 2
	}
	p, err := plan.Run(program, *stack, cfg)
	if err != nil {
		fmt.Fprintln(stderr, "error:", err)
		return 1
	}
	if *asJSON {
		b, err := p.JSON()
		if err != nil {
			fmt.Fprintln(stderr, "error:", err)
			return 1
		}
		fmt.Fprintln(stdout, string(b))
		return 0
	}
	plan.Render(stdout, p)
	if len(parsed.Warnings) > 0 {
		fmt.Fprintln(stdout, "\nWarnings:")
		for _, w := range parsed.Warnings {
			fmt.Fprintln(stdout, "  !", w)
		}
	}
	fmt.Fprintln(stdout, "\nGuardrails:")
	verdict := guardrails.Evaluate(guardrails.FromPlan(p), guardrails.Rules())
	verdict.Render(stdout)
	if err := verdict.Err(); err != nil {
		fmt.Fprintln(stderr, "error:", err)
		return 1
	}
	return 0
}

func lookup(cfg map[string]string) func(string) (string, bool) {
	return func(key string) (string, bool) {
		v, ok := cfg[key]
		return v, ok
	}
}
