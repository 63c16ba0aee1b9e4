package cli

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/octabyte/octabyte/cost"
	"github.com/octabyte/octabyte/permissions"
	"github.com/octabyte/octabyte/plan"
)

// Project describes one Pulumi project of this repository (the root program,
// bootstrap/) for PlanProject.
type Project struct {
	// Name is the project name from its Pulumi.yaml: the config namespace
	// of un-namespaced keys and the project part of every URN.
	Name string
	// DefaultStack is the stack planned when --stack is not given.
	DefaultStack string
	// Dirs are the directories searched, in order, for Pulumi.<stack>.yaml
	// when --dir is not given: a subproject's plan then works both from its
	// own directory and from the repository root.
	Dirs []string
	// Check validates a stack's config (every "namespace:key" the stack
	// file sets) before the program runs, the way the program itself will;
	// it returns warnings to print under the plan, or an error naming the
	// bad key. Nil means no check beyond the program's.
	Check func(stack string, cfg map[string]string) ([]string, error)
}

// document is the --json form: the plan, and its cost estimate and deploy
// permissions where the project has them.
type document struct {
	Stack       string              `json:"stack"`
	Mode        string              `json:"mode"` // apply, or preview: values only apply can tell are {"$unknown": ...}
	Resources   []plan.Resource     `json:"resources"`
	Outputs     map[string]any      `json:"outputs"`
	Cost        *cost.Estimate      `json:"cost,omitempty"`
	Permissions *permissions.Report `json:"permissions,omitempty"`
}

// planFlags are the flags every project's plan takes.
type planFlags struct {
	stack, dir      *string
	asJSON, preview *bool
}

func newPlanFlags(fs *flag.FlagSet, defaultStack string) planFlags {
	return planFlags{
		stack:   fs.String("stack", defaultStack, "stack whose Pulumi.<stack>.yaml to use"),
		dir:     fs.String("dir", "", "directory holding the stack files (default: the project's own)"),
		asJSON:  fs.Bool("json", false, "print the plan as JSON"),
		preview: fs.Bool("preview", false, "plan as a first `pulumi preview` sees it: everything AWS computes is unknown"),
	}
}

func (f planFlags) mode() plan.Mode {
	if *f.preview {
		return plan.Preview
	}
	return plan.Apply
}

// exitError carries the exit code a failure maps to: 1 when the program
// or a guardrail fails, 2 for bad usage or config.
type exitError struct {
	code int
	err  error
}

func fail(stderr io.Writer, e *exitError) int {
	fmt.Fprintln(stderr, "error:", e.err)
	return e.code
}

// prepare loads and checks the stack's config and runs the program under
// the mock engine: what every project's plan does first.
func (proj Project) prepare(f planFlags, program pulumi.RunFunc) (*plan.Plan, []string, *exitError) {
	if *f.stack == "" {
		return nil, nil, &exitError{2, fmt.Errorf("--stack is required")}
	}
	if *f.dir == "" {
		*f.dir = proj.stackDir(*f.stack)
	}
	cfg, err := plan.LoadProjectStackConfig(*f.dir, proj.Name, *f.stack)
	if err != nil {
		return nil, nil, &exitError{2, err}
	}
	var warnings []string
	if proj.Check != nil {
		if warnings, err = proj.Check(*f.stack, cfg); err != nil {
			return nil, nil, &exitError{2, err}
		}
	}
	p, err := plan.RunProject(proj.Name, f.mode(), program, *f.stack, cfg)
	if err != nil {
		return nil, nil, &exitError{1, err}
	}
	return p, warnings, nil
}

// PlanProject is Plan for any project of the repository: it runs `plan` with
// the given arguments and returns the exit code: 0 for a plan, 1 when the
// program fails, 2 for bad usage or config.
func PlanProject(args []string, proj Project, program pulumi.RunFunc, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("plan", flag.ContinueOnError)
	fs.SetOutput(stderr)
	f := newPlanFlags(fs, proj.DefaultStack)
	if err := fs.Parse(args); err != nil {
		return 2
	}
	p, warnings, failure := proj.prepare(f, program)
	if failure != nil {
		return fail(stderr, failure)
	}
	if *f.asJSON {
		if err := writeJSON(stdout, document{Stack: p.Stack, Mode: p.Mode.String(), Resources: p.Resources, Outputs: p.Outputs}); err != nil {
			return fail(stderr, &exitError{1, err})
		}
		return 0
	}
	render(stdout, p, warnings)
	return 0
}

func writeJSON(w io.Writer, doc document) error {
	b, err := json.MarshalIndent(doc, "", "  ")
	if err != nil {
		return err
	}
	_, err = fmt.Fprintln(w, string(b))
	return err
}

// render prints the plan's tree and outputs, then the config warnings.
func render(w io.Writer, p *plan.Plan, warnings []string) {
	plan.Render(w, p)
	if len(warnings) > 0 {
		fmt.Fprintln(w, "\nWarnings:")
		for _, warning := range warnings {
			fmt.Fprintln(w, "  !", warning)
		}
	}
}

// stackDir is the first of the project's directories that holds the stack
// file, or "." when none does (the load then reports the missing file).
func (proj Project) stackDir(stack string) string {
	for _, d := range proj.Dirs {
		if _, err := os.Stat(filepath.Join(d, "Pulumi."+stack+".yaml")); err == nil {
			return d
		}
	}
	return "."
}

// Lookup reads a stack's flat config the way a program reads its own.
func Lookup(cfg map[string]string) func(string) (string, bool) {
	return func(key string) (string, bool) {
		v, ok := cfg[key]
		return v, ok
	}
}
