package cli

import (
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

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
	// Check validates a stack's config before the program runs, the way the
	// program itself will; it returns warnings to print under the plan, or
	// an error naming the bad key. Nil means no check beyond the program's.
	Check func(stack string, get func(key string) (string, bool)) ([]string, error)
}

// PlanProject is Plan for any project of the repository: it runs `plan` with
// the given arguments and returns the exit code: 0 for a plan, 1 when the
// program fails, 2 for bad usage or config.
func PlanProject(args []string, proj Project, program pulumi.RunFunc, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("plan", flag.ContinueOnError)
	fs.SetOutput(stderr)
	stack := fs.String("stack", proj.DefaultStack, "stack whose Pulumi.<stack>.yaml to use")
	dir := fs.String("dir", "", "directory holding the stack files (default: the project's own)")
	asJSON := fs.Bool("json", false, "print the plan as JSON")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if *stack == "" {
		fmt.Fprintln(stderr, "error: --stack is required")
		return 2
	}
	if *dir == "" {
		*dir = proj.stackDir(*stack)
	}
	cfg, err := plan.LoadProjectStackConfig(*dir, proj.Name, *stack)
	if err != nil {
		fmt.Fprintln(stderr, "error:", err)
		return 2
	}
	var warnings []string
	if proj.Check != nil {
		if warnings, err = proj.Check(*stack, lookup(cfg)); err != nil {
			fmt.Fprintln(stderr, "error:", err)
			return 2
		}
	}
	p, err := plan.RunProject(proj.Name, program, *stack, cfg)
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
	if len(warnings) > 0 {
		fmt.Fprintln(stdout, "\nWarnings:")
		for _, w := range warnings {
			fmt.Fprintln(stdout, "  !", w)
		}
	}
	return 0
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
