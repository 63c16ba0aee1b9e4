package main

import (
	"bytes"
	"encoding/json"
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/octabyte/octabyte/bootstrap/account"
	"github.com/octabyte/octabyte/internal/cli"
	"github.com/octabyte/octabyte/internal/policydoc"
	"github.com/octabyte/octabyte/permissions"
	"github.com/octabyte/octabyte/plan"
)

// setup runs the bootstrap with its real stack file.
func setup(t *testing.T) *permissions.Setup {
	t.Helper()
	s, err := permissions.Load(".")
	require.NoError(t, err)
	return s
}

func check(t *testing.T, s *permissions.Setup, p *plan.Plan) *permissions.Report {
	t.Helper()
	r, err := s.Check(p)
	require.NoError(t, err)
	return r
}

// planWith runs the program with a stack's config file, changed.
func planWith(t *testing.T, stack string, change func(cfg map[string]string)) *plan.Plan {
	t.Helper()
	cfg, err := plan.LoadStackConfig(".", stack)
	require.NoError(t, err)
	change(cfg)
	p, err := plan.Run(run, stack, cfg)
	require.NoError(t, err)
	return p
}

// withEnvironment tags every resource for another environment.
func withEnvironment(env string) func(map[string]string) {
	return func(cfg map[string]string) {
		cfg["aws:defaultTags"] = regexp.MustCompile(`"Environment":"[^"]*"`).ReplaceAllString(cfg["aws:defaultTags"], `"Environment":"`+env+`"`)
	}
}

// everything is a stack with every optional feature on, so the plan
// registers every type the program can.
func everything(t *testing.T, stack string) *plan.Plan {
	return planWith(t, stack, func(cfg map[string]string) {
		maps.Copy(cfg, map[string]string{
			"octabyte:autoscaling":          "true",
			"octabyte:cpuArchitecture":      "X86_64",
			"octabyte:fargateSpot":          "true",
			"octabyte:enableExecuteCommand": "true",
			"octabyte:alarmEmails":          `["ops@example.com"]`,
			"octabyte:dbMonitoringInterval": "60",
			"octabyte:appImage":             "sha256:" + strings.Repeat("0", 64),
			"octabyte:domainName":           "app.example.com",
			"octabyte:slackWorkspaceId":     "T07EA123LEP",
			"octabyte:slackChannelId":       "C07EZ1ABC23",
			"octabyte:privateEndpoints":     "true",
		})
		if stack != "prod" { // the staging-only levers
			cfg["octabyte:natGateways"] = "instance"
			cfg["octabyte:sleepSchedule"] = "mon-fri 08:00-20:00"
		}
	})
}

// With every optional feature on (the default stacks pass in
// TestPlanCommandPrintsTheStack).
func TestCIRolesCanDeployPreviewAndRefreshBothStacks(t *testing.T) {
	s := setup(t)
	for _, stack := range stacks {
		p := everything(t, stack)
		t.Run(stack, func(t *testing.T) {
			r := check(t, s, p)
			assert.True(t, r.OK)
			assert.Empty(t, r.Missing)
			require.Len(t, r.Jobs, 3)
			for _, j := range r.Jobs {
				assert.Empty(t, j.Problem, j.Job)
				assert.Positive(t, j.Requests, j.Job)
			}
			assert.Equal(t, "octabyte-ci-deploy-"+stack, r.Jobs[0].Role)
			assert.Equal(t, "octabyte-ci-preview", r.Jobs[1].Role)
			assert.Equal(t, "octabyte-ci-preview", r.Jobs[2].Role, "drift.yml assumes the preview role")
			assert.Greater(t, r.Jobs[0].Requests, r.Jobs[1].Requests, "a deploy makes more calls than a refresh")
		})
	}
}

// A new resource type must come with its IAM actions: every type either
// stack registers (every optional feature on) has data, and every type in
// the data is one the program registers.
func TestEveryRegisteredTypeHasActionData(t *testing.T) {
	actions, err := permissions.LoadActions()
	require.NoError(t, err)
	registered := map[string]bool{}
	set := map[string]bool{} // "type input": some resource of the type sets the input
	for _, stack := range stacks {
		for _, r := range everything(t, stack).Resources {
			if !r.Custom && strings.HasPrefix(r.Type, plan.Project+":") {
				continue // the program's own components call nothing
			}
			registered[r.Type] = true
			entry, ok := actions.Types[r.Type]
			if !assert.True(t, ok, "permissions/actions.yaml has no entry for %s", r.Type) {
				continue
			}
			for _, child := range entry.Children {
				registered[child] = true
			}
			for _, in := range namedInputs(entry) {
				set[r.Type+" "+in] = set[r.Type+" "+in] || r.Input(in) != nil
			}
		}
	}
	for typ, entry := range actions.Types {
		assert.True(t, registered[typ], "permissions/actions.yaml describes %s, which no stack registers", typ)
		// The check skips a passRole or when whose input is unset, and
		// acts on the resource itself when target is: a misspelt input
		// would drop its calls unnoticed.
		for _, in := range namedInputs(entry) {
			assert.True(t, set[typ+" "+in], "permissions/actions.yaml: no %s of either stack sets the input %q it names", typ, in)
		}
		assert.NotEmpty(t, entry.Sources, "%s: where do its actions come from?", typ)
		for _, pr := range entry.PassRole {
			assert.NotEmpty(t, pr.Source, "%s passRole %s", typ, pr.Input)
		}
		if entry.ServiceLinkedRole != nil {
			assert.NotEmpty(t, entry.ServiceLinkedRole.Source, typ)
		}
		for _, c := range entry.When {
			if c.ServiceLinkedRole != nil {
				assert.NotEmpty(t, c.ServiceLinkedRole.Source, "%s when %s", typ, c.Input)
			}
		}
	}
}

// namedInputs are the inputs of its type an entry of actions.yaml names.
func namedInputs(e permissions.Entry) []string {
	var out []string
	if e.Target != "" {
		out = append(out, e.Target)
	}
	for _, c := range e.When {
		out = append(out, c.Input)
	}
	for _, pr := range e.PassRole {
		out = append(out, pr.Input)
	}
	return out
}

// The new type's calls cannot be checked, so the plan fails and says so.
func TestATypeWithoutActionDataFailsThePlan(t *testing.T) {
	p := runStack(t, "staging")
	p.Resources = append(p.Resources, plan.Resource{Type: "aws:sqs/queue:Queue", Name: "jobs", Custom: true, Inputs: map[string]any{}, Outputs: map[string]any{}})
	r := check(t, setup(t), p)
	assert.False(t, r.OK)
	require.NotEmpty(t, r.Missing)
	assert.Equal(t, "aws:sqs/queue:Queue", r.Missing[0].NeededBy[0].Type)
	assert.Contains(t, r.Missing[0].Why, "lists no IAM actions for aws:sqs/queue:Queue")
}

// The iam:PassedToService of every pass is the principal the passed role
// trusts, as IAM defines it, and every role the stacks create is passed by
// some resource: a role no data passes is a PassRole never checked.
func TestPassedToServiceIsThePassedRolesPrincipal(t *testing.T) {
	actions, err := permissions.LoadActions()
	require.NoError(t, err)
	for _, stack := range stacks {
		p := everything(t, stack)
		passed := map[string]bool{}
		for _, r := range p.Resources {
			for _, pr := range actions.Types[r.Type].PassRole {
				arn, _ := r.Input(pr.Input).(string)
				if arn == "" {
					continue
				}
				if pr.Via != "" { // an instance profile, which names its role
					for _, holder := range p.Resources {
						if holder.Custom && holder.Outputs["name"] == arn {
							arn, _ = holder.Input(pr.Via).(string)
						}
					}
				}
				var role plan.Resource
				for _, candidate := range p.ByType("aws:iam/role:Role") {
					if candidate.Outputs["arn"] == arn || candidate.Outputs["name"] == arn {
						role = candidate
					}
				}
				require.NotEmpty(t, role.Name, "%s %s passes %s", r.Type, r.Name, arn)
				var trust struct {
					Statement []struct{ Principal map[string]string }
				}
				require.NoError(t, json.Unmarshal([]byte(role.Input("assumeRolePolicy").(string)), &trust))
				assert.Equal(t, pr.Service, trust.Statement[0].Principal["Service"], "%s passes role %s", r.Type, role.Name)
				passed[role.Name] = true
			}
		}
		var roles []string
		for _, r := range p.ByType("aws:iam/role:Role") {
			roles = append(roles, r.Name)
		}
		assert.ElementsMatch(t, roles, slices.Collect(maps.Keys(passed)), "%s: the roles passed to a service", stack)
	}
}

const typeRolePolicy = "aws:iam/rolePolicy:RolePolicy"

// editStatement changes one statement of a policy in the bootstrap's plan
// (the policy input of its resource of type typ called name: a CI role's
// inline policy, the secrets key), as if bootstrap/account had been edited.
func editStatement(t *testing.T, s *permissions.Setup, typ, name, sid string, edit func(st map[string]any)) {
	t.Helper()
	r, ok := s.Bootstrap.Find(typ, name)
	require.True(t, ok, "no %s %s", typ, name)
	var doc map[string]any
	require.NoError(t, json.Unmarshal([]byte(r.Inputs["policy"].(string)), &doc))
	found := false
	for _, st := range doc["Statement"].([]any) {
		if st := st.(map[string]any); st["Sid"] == sid {
			edit(st)
			found = true
		}
	}
	require.True(t, found, "no statement %s in %s", sid, name)
	b, err := json.Marshal(doc)
	require.NoError(t, err)
	r.Inputs["policy"] = string(b)
}

// missing returns the report's missing requests for one job and action.
func missing(r *permissions.Report, job, action string) []permissions.Missing {
	var out []permissions.Missing
	for _, m := range r.Missing {
		if m.Job == job && m.Action == action {
			out = append(out, m)
		}
	}
	return out
}

func neededBy(m permissions.Missing) []string {
	var out []string
	for _, n := range m.NeededBy {
		out = append(out, n.Type+" "+n.Resource+" "+n.Phase)
	}
	return out
}

func rendered(r *permissions.Report) string {
	var b bytes.Buffer
	r.Render(&b)
	return b.String()
}

func TestDroppingAPassedToServiceNamesTheResourcesThatPassIt(t *testing.T) {
	s := setup(t)
	editStatement(t, s, typeRolePolicy, account.DeployRole("staging"), "PassWorkloadRolesToTheirServices", func(st map[string]any) {
		st["Condition"] = map[string]any{"StringEquals": map[string]any{"iam:PassedToService": []string{"vpc-flow-logs.amazonaws.com", "monitoring.rds.amazonaws.com"}}}
	})
	r := check(t, s, runStack(t, "staging"))
	assert.False(t, r.OK)
	denied := missing(r, "deploy", "iam:PassRole")
	require.Len(t, denied, 2, "the execution and the task role")
	for _, m := range denied {
		assert.Contains(t, neededBy(m), "aws:ecs/taskDefinition:TaskDefinition app create")
		assert.Contains(t, m.Why, "implicit deny")
		assert.Equal(t, "ecs-tasks.amazonaws.com", m.Context["iam:PassedToService"])
		assert.Contains(t, m.Resource, ":role/octabyte/staging/")
	}
	assert.Equal(t, 2, r.Jobs[0].Missing)
	out := rendered(r)
	assert.Contains(t, out, "can apply this plan: NO, 2 missing")
	assert.Contains(t, out, "iam:PassRole on arn:aws:iam::"+plan.AccountID+":role/octabyte/staging/")
	assert.Contains(t, out, "needed by aws:ecs/taskDefinition:TaskDefinition app (create), aws:ecs/taskDefinition:TaskDefinition app (update)")
}

// AddRoleToInstanceProfile passes the NAT instance's role as RunInstances
// does: both need ec2.amazonaws.com.
func TestAnInstanceProfilePassesItsRoleToEC2(t *testing.T) {
	s := setup(t)
	editStatement(t, s, typeRolePolicy, account.DeployRole("staging"), "PassWorkloadRolesToTheirServices", func(st map[string]any) {
		services := slices.DeleteFunc(slices.Clone(account.PassRoleServices), func(svc string) bool { return svc == "ec2.amazonaws.com" })
		st["Condition"] = map[string]any{"StringEquals": map[string]any{"iam:PassedToService": services}}
	})
	r := check(t, s, planWith(t, "staging", func(cfg map[string]string) { cfg["octabyte:natGateways"] = "instance" }))
	denied := missing(r, "deploy", "iam:PassRole")
	require.Len(t, denied, 1, "the NAT instance's role")
	assert.Equal(t, "ec2.amazonaws.com", denied[0].Context["iam:PassedToService"])
	var types []string
	for _, n := range denied[0].NeededBy {
		types = append(types, n.Type+" "+n.Phase)
	}
	assert.Subset(t, types, []string{"aws:ec2/instance:Instance create", "aws:iam/instanceProfile:InstanceProfile create"})
}

// The first create of some types makes AWS create a service-linked role,
// which the deploy role must be allowed to ask for. An alarm that reboots
// the NAT instance makes CloudWatch create its role on the first
// PutMetricAlarm; alarms that only notify do not.
func TestServiceLinkedRolesAreAskedForByTheirFirstCreate(t *testing.T) {
	s := setup(t)
	editStatement(t, s, typeRolePolicy, account.DeployRole("staging"), "NotTheOtherStacksState", func(st map[string]any) {
		st["Action"], st["Resource"] = "iam:CreateServiceLinkedRole", "*"
	})
	linked := func(p *plan.Plan) map[string][]string {
		by := map[string][]string{}
		for _, m := range missing(check(t, s, p), "deploy", "iam:CreateServiceLinkedRole") {
			service := m.Context["iam:AWSServiceName"].(string)
			assert.Regexp(t, "^arn:aws:iam::"+plan.AccountID+":role/aws-service-role/"+regexp.QuoteMeta(service)+"/AWSServiceRoleFor", m.Resource)
			by[service] = append(by[service], neededBy(m)...)
		}
		return by
	}
	staging := map[string][]string{
		"ecs.amazonaws.com":                  {"aws:ecs/cluster:Cluster cluster create"},
		"elasticloadbalancing.amazonaws.com": {"aws:lb/loadBalancer:LoadBalancer alb create"},
		"rds.amazonaws.com":                  {"aws:rds/instance:Instance db create"},
	}
	assert.Equal(t, staging, linked(runStack(t, "staging")))
	nat := planWith(t, "staging", func(cfg map[string]string) { cfg["octabyte:natGateways"] = "instance" })
	staging["events.amazonaws.com"] = []string{"aws:cloudwatch/metricAlarm:MetricAlarm nat-instance-unhealthy create"}
	assert.Equal(t, staging, linked(nat))
}

func TestDroppingAnActionFromTheInlinePolicyNamesEveryCallThatNeedsIt(t *testing.T) {
	s := setup(t)
	editStatement(t, s, typeRolePolicy, account.DeployRole("prod"), "WorkloadRoles", func(st map[string]any) {
		var kept []any
		for _, a := range st["Action"].([]any) {
			if a != "iam:GetRole" {
				kept = append(kept, a)
			}
		}
		st["Action"] = kept
	})
	r := check(t, s, runStack(t, "prod"))
	denied := missing(r, "deploy", "iam:GetRole")
	require.Len(t, denied, 8, "the create and the refresh of the four roles of prod")
	var names []string
	for _, m := range denied {
		names = append(names, neededBy(m)...)
	}
	for _, role := range []string{"execution", "task", "flow-logs", "db-monitoring"} {
		assert.Contains(t, names, "aws:iam/role:Role "+role+" create")
		assert.Contains(t, names, "aws:iam/role:Role "+role+" read")
	}
	assert.Empty(t, missing(r, "preview", "iam:GetRole"), "the preview role reads roles through ReadOnlyAccess")
}

// The failure issue 12 found: roles without the boundary the deploy role
// requires cannot be created.
func TestARoleWithoutTheBoundaryCannotBeCreated(t *testing.T) {
	p := planWith(t, "staging", func(cfg map[string]string) { cfg["octabyte:iamPermissionsBoundaryArn"] = "none" })
	r := check(t, setup(t), p)
	assert.False(t, r.OK)
	for _, action := range []string{"iam:CreateRole", "iam:PutRolePolicy", "iam:DeleteRolePolicy"} {
		denied := missing(r, "deploy", action)
		assert.NotEmpty(t, denied, action)
		for _, m := range denied {
			assert.Contains(t, m.Why, "implicit deny", action)
			assert.NotContains(t, m.Context, "iam:PermissionsBoundary", "the request carries no boundary")
		}
	}
	assert.Empty(t, missing(r, "deploy", "iam:GetRole"), "WorkloadRoles needs no boundary")
}

// A CI role's own permissions boundary caps what its policies allow: with
// the workload boundary (no iam:*) on the staging deploy role, it may not
// create the stack's roles.
func TestADeployRolesBoundaryIsEvaluated(t *testing.T) {
	s := setup(t)
	boundary, ok := s.Bootstrap.Find("aws:iam/policy:Policy", "workload-boundary")
	require.True(t, ok)
	role, ok := s.Bootstrap.Find("aws:iam/role:Role", account.DeployRole("staging"))
	require.True(t, ok)
	role.Inputs["permissionsBoundary"] = boundary.Outputs["arn"]
	r := check(t, s, runStack(t, "staging"))
	denied := missing(r, "deploy", "iam:CreateRole")
	require.NotEmpty(t, denied)
	assert.Equal(t, "the permissions boundary does not allow it", denied[0].Why)
	assert.Empty(t, missing(r, "deploy", "ec2:CreateVpc"), "the boundary allows ec2:*")
	assert.Zero(t, r.Jobs[1].Missing, "the preview role has no boundary")
}

// S3 calls KMS for the state objects' encryption (kms:ViaService), the
// secrets provider calls it directly: a key grant that requires S3 lets the
// first through and not the second.
func TestKeyCallsThroughS3CarryKmsViaService(t *testing.T) {
	s := setup(t)
	editStatement(t, s, "aws:kms/key:Key", "secrets", "PreviewRoleDecrypts", func(st map[string]any) {
		st["Condition"] = map[string]any{"StringEquals": map[string]any{"kms:ViaService": "s3.ap-south-1.amazonaws.com"}}
	})
	r := check(t, s, runStack(t, "staging"))
	denied := missing(r, "preview", "kms:Decrypt")
	require.Len(t, denied, 1)
	assert.Equal(t, []permissions.Need{{Phase: "state", Type: "state backend", Resource: "secrets key"}}, denied[0].NeededBy)
	assert.NotContains(t, denied[0].Context, "kms:ViaService")
	assert.Zero(t, r.Jobs[0].Missing, "PowerUserAccess lets the deploy role use the key (its policy enables IAM policies)")
}

// An explicit deny names its statement: the staging role may not create
// resources tagged for production.
func TestAnExplicitDenyIsNamed(t *testing.T) {
	r := check(t, setup(t), planWith(t, "staging", withEnvironment("prod")))
	denied := missing(r, "deploy", "ec2:CreateSecurityGroup")
	require.NotEmpty(t, denied)
	// The create sends the new group's tags; it has none of its own yet.
	assert.Equal(t, "explicit deny by statement NotCreatingProductionResources of inline policy deploy-staging", denied[0].Why)
	assert.Equal(t, "prod", denied[0].Context["aws:RequestTag/Environment"])
	assert.NotContains(t, denied[0].Context, "aws:ResourceTag/Environment")
	tagged := missing(r, "deploy", "ec2:DeleteSecurityGroup")
	require.NotEmpty(t, tagged)
	assert.Contains(t, tagged[0].Why, "explicit deny by statement NotProductionResources")
	// An inline policy is put on its role, which exists and carries its tags.
	put := missing(r, "deploy", "iam:PutRolePolicy")
	require.NotEmpty(t, put)
	assert.Contains(t, put[0].Why, "explicit deny by statement NotProductionResources")
	assert.Equal(t, "prod", put[0].Context["aws:ResourceTag/Environment"])
}

func TestThePreviewRoleNeedsItsReadOnlyPolicy(t *testing.T) {
	s := setup(t)
	var kept []plan.Resource
	for _, r := range s.Bootstrap.Resources {
		if r.Type == "aws:iam/rolePolicyAttachment:RolePolicyAttachment" && strings.HasSuffix(r.Inputs["policyArn"].(string), "/ReadOnlyAccess") {
			continue
		}
		kept = append(kept, r)
	}
	s.Bootstrap.Resources = kept
	r := check(t, s, runStack(t, "staging"))
	assert.NotEmpty(t, missing(r, "preview", "ec2:DescribeSecurityGroups"))
	assert.NotEmpty(t, missing(r, "drift", "rds:DescribeDBInstances"), "drift.yml assumes the preview role")
	assert.Empty(t, missing(r, "preview", "s3:GetObject"), "state is read through the preview role's inline policy")
	assert.Zero(t, r.Jobs[0].Missing, "the deploy role is unaffected")
}

func TestStateWritesOfTheOtherStackAreDenied(t *testing.T) {
	s := setup(t)
	editStatement(t, s, typeRolePolicy, account.DeployRole("staging"), "NotTheOtherStacksState", func(st map[string]any) {
		st["Resource"] = strings.Replace(st["Resource"].(string), "/prod*", "/staging*", 1)
	})
	r := check(t, s, runStack(t, "staging"))
	denied := missing(r, "deploy", "s3:PutObject")
	require.NotEmpty(t, denied)
	assert.Contains(t, denied[0].Why, "explicit deny by statement NotTheOtherStacksState")
	assert.Equal(t, "state backend", denied[0].NeededBy[0].Type)
}

// The project's policies name only actions and condition keys AWS documents:
// IAM ignores a misspelt one silently (an Allow that never applies, a Deny
// that never denies).
func TestEveryPolicyNamesOnlyDocumentedActionsAndConditionKeys(t *testing.T) {
	s := setup(t)
	actions, keys := map[string]bool{}, map[string]bool{}
	plans := []*plan.Plan{s.Bootstrap}
	for _, stack := range stacks {
		plans = append(plans, everything(t, stack))
	}
	documents := 0
	for _, p := range plans {
		for _, r := range p.Resources {
			for _, v := range r.Inputs {
				doc, ok := policyDocument(v)
				if !ok {
					continue
				}
				documents++
				for _, st := range doc.Statement {
					for _, a := range append(policydoc.List(st.Action), policydoc.List(st.NotAction)...) {
						actions[a] = true
					}
					for _, kv := range st.Condition {
						for k := range kv {
							if !oidcClaim(k) {
								keys[k] = true
							}
						}
					}
				}
			}
		}
	}
	for _, a := range s.Actions.AllActions() {
		actions[a] = true
	}
	assert.Greater(t, documents, 20, "trust, inline, bucket, key, topic and log policies")
	unknownActions, unknownKeys, err := permissions.Validate(".", slices.Sorted(maps.Keys(actions)), slices.Sorted(maps.Keys(keys)))
	require.NoError(t, err)
	assert.Empty(t, unknownActions)
	assert.Empty(t, unknownKeys)
	assert.Contains(t, keys, "iam:PassedToService")
	assert.Contains(t, keys, "aws:ResourceTag/Environment")
}

// The check can fail: misspellings are reported.
func TestMisspeltActionsAndConditionKeysAreReported(t *testing.T) {
	unknownActions, unknownKeys, err := permissions.Validate(".",
		[]string{"iam:PassRole", "iam:PasRole", "s3:Get*", "s3:Got*", "ecs:*"},
		[]string{"iam:PassedToService", "iam:PassedToServices", "aws:RequestTag/Environment", "aws:SourceAcount"})
	require.NoError(t, err)
	assert.Equal(t, []string{"iam:PasRole", "s3:Got*"}, unknownActions)
	assert.Equal(t, []string{"iam:PassedToServices", "aws:SourceAcount"}, unknownKeys)
}

// policyDocument parses an input that holds an IAM policy document (the
// project writes Statement as a list: internal/policydoc).
func policyDocument(v any) (policydoc.Document, bool) {
	s, ok := v.(string)
	if !ok {
		return policydoc.Document{}, false
	}
	doc, err := policydoc.Parse(s)
	return doc, err == nil && len(doc.Statement) > 0
}

// oidcClaim reports whether a condition key is a claim of GitHub's OIDC
// tokens, which IAM exposes as <issuer>:aud and <issuer>:sub ("Available
// keys for AWS OIDC federation", IAM User Guide) and no service documents.
func oidcClaim(key string) bool {
	return key == account.GitHubIssuer+":aud" || key == account.GitHubIssuer+":sub"
}

// assertDeployPermissions checks the plan command's Deploy permissions
// section (TestPlanCommandPrintsTheStack runs the command).
func assertDeployPermissions(t *testing.T, stack, text string) {
	t.Helper()
	assert.Contains(t, text, "\nDeploy permissions:\n")
	assert.Contains(t, text, "octabyte-ci-deploy-"+stack)
	assert.Contains(t, text, "can apply this plan: yes")
	assert.Contains(t, text, "can preview this plan: yes")
	assert.Contains(t, text, "can refresh this plan: yes")
}

// assertJSONPermissions checks the permissions object of `plan --stack prod
// --json` (TestPlanCommandJSON runs the command).
func assertJSONPermissions(t *testing.T, out []byte) {
	t.Helper()
	var doc struct {
		Permissions *struct {
			OK      bool              `json:"ok"`
			Missing []json.RawMessage `json:"missing"`
			Jobs    []struct{ Job, Role string }
		} `json:"permissions"`
	}
	require.NoError(t, json.Unmarshal(out, &doc))
	require.NotNil(t, doc.Permissions)
	assert.True(t, doc.Permissions.OK)
	assert.NotNil(t, doc.Permissions.Missing, "an empty list, not null")
	assert.Empty(t, doc.Permissions.Missing)
	assert.Equal(t, "octabyte-ci-deploy-prod", doc.Permissions.Jobs[0].Role)
	assert.Contains(t, string(out), `"missing": []`)
}

// A missing permission fails the plan like a mandatory guardrail.
func TestPlanCommandFailsOnAMissingPermission(t *testing.T) {
	dir := t.TempDir()
	raw, err := os.ReadFile("Pulumi.staging.yaml")
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(filepath.Join(dir, "Pulumi.staging.yaml"), append(raw, []byte("  octabyte:iamPermissionsBoundaryArn: none\n")...), 0o644))
	var out, errOut bytes.Buffer
	code := cli.Plan([]string{"--stack", "staging", "--dir", dir}, run, &out, &errOut)
	assert.Equal(t, 1, code)
	assert.Contains(t, out.String(), "can apply this plan: NO")
	assert.Contains(t, out.String(), "missing for deploy: iam:CreateRole on arn:aws:iam::"+plan.AccountID+":role/octabyte/staging/")
	assert.Contains(t, errOut.String(), "deploy permissions")

	out.Reset()
	errOut.Reset()
	assert.Equal(t, 1, cli.Plan([]string{"--stack", "staging", "--dir", dir, "--json"}, run, &out, &errOut))
	var doc struct {
		Permissions struct {
			Missing []struct{ Action string }
		}
	}
	require.NoError(t, json.Unmarshal(out.Bytes(), &doc))
	assert.Contains(t, doc.Permissions.Missing, struct{ Action string }{"iam:CreateRole"})
}

func BenchmarkDeployPermissionCheck(b *testing.B) {
	cfg, err := plan.LoadStackConfig(".", "prod")
	require.NoError(b, err)
	p, err := plan.Run(run, "prod", cfg)
	require.NoError(b, err)
	for b.Loop() {
		s, err := permissions.Load(".")
		require.NoError(b, err)
		_, err = s.Check(p)
		require.NoError(b, err)
	}
}

// A stack no deploy role deploys cannot be applied by CI: the plan says so.
func TestAStackWithoutADeployRoleFailsThePlan(t *testing.T) {
	p := planWith(t, "staging", withEnvironment("dev"))
	p.Stack = "dev" // the staging config, as a stack named dev
	r := check(t, setup(t), p)
	assert.False(t, r.OK)
	assert.Contains(t, r.Jobs[0].Problem, "deploy roles for the stacks staging and prod only")
	assert.Contains(t, rendered(r), "can apply this plan: NO: the bootstrap creates deploy roles for the stacks staging and prod only")
	assert.ErrorContains(t, r.Err(), "deploy permissions")
	assert.Zero(t, r.Jobs[1].Missing, "the preview role still previews it")
}
