package cli

import (
	"bytes"
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/octabyte/octabyte/database"
)

// Drift is the `drift` command the scheduled drift check runs when
// `pulumi preview --refresh --expect-no-changes` found changes: it exits 0
// when every change is one RDS holds for the maintenance window, 1 on
// drift, 2 for bad usage or input.
func Drift(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("drift", flag.ContinueOnError)
	fs.SetOutput(stderr)
	preview := fs.String("preview", "", "output of `pulumi preview --refresh --json`")
	instances := fs.String("instances", "", "output of `aws rds describe-db-instances` for the stack's instance")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if *preview == "" || *instances == "" {
		return fail(stderr, &exitError{2, fmt.Errorf("--preview and --instances are required")})
	}
	p, err := os.ReadFile(*preview)
	if err != nil {
		return fail(stderr, &exitError{2, err})
	}
	i, err := os.ReadFile(*instances)
	if err != nil {
		return fail(stderr, &exitError{2, err})
	}
	rep, err := database.ClassifyDrift(bytes.NewReader(p), bytes.NewReader(i))
	if err != nil {
		return fail(stderr, &exitError{2, err})
	}
	rep.Render(stdout)
	if rep.Drifted() {
		return 1
	}
	return 0
}
