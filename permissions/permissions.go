// Package permissions checks, offline, that the CI roles the bootstrap
// creates may do everything a stack's plan asks of them: for every resource
// the plan registers, the IAM calls its create, update, delete and refresh
// make (actions.yaml), the roles they pass to services and the
// service-linked roles a first deploy creates, plus the state backend. Each
// call is evaluated as AWS would (@cloud-copilot/iam-simulate, a Node tool in
// simulator/) against the role's inline policy, its AWS managed policy (the
// published document, managed/), its permissions boundary, the explicit
// denies, the state bucket's and secrets key's policies, and the condition
// keys the request carries (tags, iam:PermissionsBoundary,
// iam:PassedToService, iam:AWSServiceName, ARNs with their IAM path).
//
// Like guardrails/ and cost/, it is a checker: it reads plans, and no
// component imports it.
package permissions

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/octabyte/octabyte/bootstrap/account"
	"github.com/octabyte/octabyte/plan"
)

// Setup is what a stack's plan is checked against: the bootstrap stack (run
// under the mock engine with its real config file), the workflows that
// assume its roles and the action data.
type Setup struct {
	Root      string          // repository root: bootstrap/, .github/workflows/, permissions/simulator/
	Config    *account.Config // the bootstrap's config
	Bootstrap *plan.Plan
	Actions   *Actions
}

// Load runs the bootstrap of the repository at root under the mock engine
// with bootstrap/Pulumi.bootstrap.yaml.
func Load(root string) (*Setup, error) {
	raw, err := plan.LoadProjectStackConfig(filepath.Join(root, "bootstrap"), account.Namespace, account.Stack)
	if err != nil {
		return nil, fmt.Errorf("bootstrap config: %w", err)
	}
	cfg, err := account.Parse(func(k string) (string, bool) { v, ok := raw[k]; return v, ok })
	if err != nil {
		return nil, err
	}
	p, err := plan.RunProject(account.Namespace, plan.Apply, account.Run, account.Stack, raw)
	if err != nil {
		return nil, fmt.Errorf("bootstrap plan: %w", err)
	}
	actions, err := LoadActions()
	if err != nil {
		return nil, err
	}
	return &Setup{Root: root, Config: cfg, Bootstrap: p, Actions: actions}, nil
}

// Check simulates every request the plan's stack makes of the CI roles: the
// deploy role applying it, the preview role previewing it with --refresh,
// and the role of the drift job.
func (s *Setup) Check(p *plan.Plan) (*Report, error) {
	if s.Config.Project != plan.Project {
		return nil, fmt.Errorf("the bootstrap's %s:projectName is %q, not this program's project %q: its roles deploy another project",
			account.Namespace, s.Config.Project, plan.Project)
	}
	jobs, err := s.jobs(p.Stack)
	if err != nil {
		return nil, err
	}
	backend, err := s.stateBackend()
	if err != nil {
		return nil, err
	}
	b := &builder{setup: s, plan: p, backend: backend}
	out, err := simulate(s.Root, identities(jobs), b.build(jobs))
	if err != nil {
		return nil, err
	}
	return newReport(p.Stack, jobs, b, out), nil
}

// FindRoot returns the repository root at or above dir: the directory that
// holds bootstrap/Pulumi.bootstrap.yaml.
func FindRoot(dir string) (string, error) {
	dir, err := filepath.Abs(dir)
	if err != nil {
		return "", err
	}
	for d := dir; ; d = filepath.Dir(d) {
		if _, err := os.Stat(filepath.Join(d, "bootstrap", "Pulumi."+account.Stack+".yaml")); err == nil {
			return d, nil
		}
		if filepath.Dir(d) == d {
			return "", errors.New("no bootstrap/Pulumi.bootstrap.yaml at or above " + dir + ": run the plan from the repository")
		}
	}
}
