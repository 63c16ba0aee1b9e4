package permissions

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/octabyte/octabyte/bootstrap/account"
	"github.com/octabyte/octabyte/plan"
)

// Identity is a CI role as the bootstrap creates it.
type Identity struct {
	Logical  string // logical name in the bootstrap (preview, deploy-staging)
	Name     string // IAM role name
	ARN      string // as IAM builds it, with the role's path
	Policies []NamedPolicy
	Boundary *NamedPolicy
	Managed  []*ManagedPolicy
}

// NamedPolicy is a policy document and the name the report gives it.
type NamedPolicy struct {
	Name   string          `json:"name"`
	Policy json.RawMessage `json:"policy"`
}

// job is one way CI uses a role on the stack.
type job struct {
	Name      string // deploy, preview, drift
	Operation string // what the job runs
	Verb      string // can <verb> this plan
	Phases    []Phase
	Writes    bool      // writes state
	identity  *Identity // nil when the bootstrap has no role for it
	Problem   string    // why there is no identity
}

// jobs are the deploy role of the stack (pulumi up, including updates and
// deletes), the preview role of pull requests with a refresh, and the role
// the scheduled drift job assumes, read from its workflow.
func (s *Setup) jobs(stack string) ([]job, error) {
	deploy := job{Name: "deploy", Operation: "pulumi up: create, update, delete", Verb: "apply", Phases: Phases, Writes: true}
	if stack != s.Config.StagingStack && stack != s.Config.ProductionStack {
		deploy.Problem = fmt.Sprintf("the bootstrap creates deploy roles for the stacks %s and %s only (%s:stagingStack, %s:productionStack)",
			s.Config.StagingStack, s.Config.ProductionStack, account.Namespace, account.Namespace)
	} else if err := s.assign(&deploy, account.DeployRole(stack)); err != nil {
		return nil, err
	}
	preview := job{Name: "preview", Operation: "pulumi preview --refresh", Verb: "preview", Phases: []Phase{Read}}
	if err := s.assign(&preview, account.PreviewRole); err != nil {
		return nil, err
	}
	drift := job{Name: "drift", Operation: "drift.yml: pulumi preview --refresh", Verb: "refresh", Phases: []Phase{Read}}
	roles, err := workflowRoles(filepath.Join(s.Root, ".github", "workflows", "drift.yml"), s.Config.RoleVariables())
	if err != nil {
		return nil, err
	}
	switch len(roles) {
	case 1:
		if err := s.assign(&drift, roles[0]); err != nil {
			return nil, err
		}
	default:
		drift.Problem = fmt.Sprintf("drift.yml must assume exactly one of the bootstrap's roles, it assumes %d", len(roles))
	}
	return []job{deploy, preview, drift}, nil
}

func (s *Setup) assign(j *job, logical string) error {
	id, err := s.identity(logical)
	if err != nil {
		return err
	}
	j.identity = id
	return nil
}

var roleVariable = regexp.MustCompile(`^\$\{\{\s*vars\.([A-Za-z0-9_]+)\s*\}\}$`)

// workflowRoles returns the logical names of the bootstrap roles a workflow
// assumes (role-to-assume: ${{ vars.X }}).
func workflowRoles(path string, variables map[string]string) ([]string, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var wf struct {
		Jobs map[string]struct {
			Steps []struct {
				With map[string]string `yaml:"with"`
			} `yaml:"steps"`
		} `yaml:"jobs"`
	}
	if err := yaml.Unmarshal(raw, &wf); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	seen := map[string]bool{}
	for _, j := range wf.Jobs {
		for _, step := range j.Steps {
			v, ok := step.With["role-to-assume"]
			if !ok {
				continue
			}
			m := roleVariable.FindStringSubmatch(strings.TrimSpace(v))
			if m == nil || variables[m[1]] == "" {
				return nil, fmt.Errorf("%s: role-to-assume %q is not one of the bootstrap's role variables", path, v)
			}
			seen[variables[m[1]]] = true
		}
	}
	var out []string
	for r := range seen {
		out = append(out, r)
	}
	sort.Strings(out)
	return out, nil
}

// identity reads a CI role from the bootstrap plan: its ARN, its inline
// policies, its attached AWS managed policies and its boundary.
func (s *Setup) identity(logical string) (*Identity, error) {
	p := s.Bootstrap
	role, ok := p.Find(typeRole, logical)
	if !ok {
		return nil, fmt.Errorf("the bootstrap registers no role %q", logical)
	}
	id := &Identity{Logical: logical, Name: str(role.Outputs["name"]), ARN: str(role.Outputs["arn"])}
	roleID := str(role.Outputs["id"])
	for _, r := range p.ByType("aws:iam/rolePolicy:RolePolicy") {
		if r.Input("role") == roleID || r.Input("role") == id.Name {
			id.Policies = append(id.Policies, NamedPolicy{Name: "inline policy " + r.Name, Policy: json.RawMessage(str(r.Input("policy")))})
		}
	}
	for _, r := range p.ByType("aws:iam/rolePolicyAttachment:RolePolicyAttachment") {
		if r.Input("role") != id.Name && r.Input("role") != roleID {
			continue
		}
		m, err := LoadManaged(str(r.Input("policyArn")))
		if err != nil {
			return nil, err
		}
		id.Managed = append(id.Managed, m)
		id.Policies = append(id.Policies, NamedPolicy{Name: m.Name, Policy: m.Document})
	}
	if arn := str(role.Input("permissionsBoundary")); arn != "" {
		b, ok := byOutput(p, "arn", arn)
		if !ok {
			return nil, fmt.Errorf("role %s: its permissions boundary %s is not a policy of the bootstrap", logical, arn)
		}
		id.Boundary = &NamedPolicy{Name: "boundary " + b.Name, Policy: json.RawMessage(str(b.Input("policy")))}
	}
	return id, nil
}

const typeRole = "aws:iam/role:Role"

func str(v any) string {
	s, _ := v.(string)
	return s
}

// byOutput finds the resource whose output key has this value.
func byOutput(p *plan.Plan, key, value string) (plan.Resource, bool) {
	for _, r := range p.Resources {
		if r.Custom && value != "" && str(r.Outputs[key]) == value {
			return r, true
		}
	}
	return plan.Resource{}, false
}
