// Command bootstrap is the Pulumi project (octabyte-bootstrap) an
// administrator runs once per AWS account, before any stack of the main
// project exists (see package account for what it creates).
//
// Run by the Pulumi CLI (from bootstrap/) it deploys the stack; run as
// `go run ./bootstrap plan --stack bootstrap` it shows the plan offline.
package main

import (
	"os"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/octabyte/octabyte/bootstrap/account"
	"github.com/octabyte/octabyte/internal/cli"
)

// project is this program for the offline plan command.
var project = cli.Project{
	Name:         account.Namespace,
	DefaultStack: account.Stack,
	Dirs:         []string{".", "bootstrap"},
	Check:        account.Check,
}

func main() {
	if len(os.Args) > 1 && os.Args[1] == "plan" {
		os.Exit(cli.PlanProject(os.Args[2:], project, account.Run, os.Stdout, os.Stderr))
	}
	pulumi.Run(account.Run)
}
