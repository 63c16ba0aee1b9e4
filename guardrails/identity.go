package guardrails

import (
	"encoding/json"
	"regexp"
	"slices"
	"strings"

	"github.com/octabyte/octabyte/plan"
)

const (
	typeRole       = "aws:iam/role:Role"
	typeRolePolicy = "aws:iam/rolePolicy:RolePolicy"
	typePolicy     = "aws:iam/policy:Policy"
	typeTaskDef    = "aws:ecs/taskDefinition:TaskDefinition"
)

// statement is an IAM policy statement in any of its JSON shapes.
type statement struct {
	Sid       string
	Effect    string
	Principal any
	Action    any
	Resource  any
	Condition map[string]map[string]any
}

// WildcardResourceAllowed are the write actions AWS offers no resource-level
// permissions for, so Resource "*" is the only way to grant them.
var WildcardResourceAllowed = []string{
	"ecr:GetAuthorizationToken", // registry login token
	"ssmmessages:CreateControlChannel", "ssmmessages:CreateDataChannel",
	"ssmmessages:OpenControlChannel", "ssmmessages:OpenDataChannel", // ECS Exec
	"logs:CreateLogDelivery", "logs:PutResourcePolicy", "logs:DescribeResourcePolicies", "logs:DescribeLogGroups", // vended log delivery
	"xray:PutTraceSegments", "xray:PutTelemetryRecords",
}

var readPrefixes = []string{"Get", "List", "Describe", "BatchGet", "Search", "Lookup", "Head", "View"}

func isWrite(action string) bool {
	_, verb, ok := strings.Cut(action, ":")
	if !ok {
		return true
	}
	return !slices.ContainsFunc(readPrefixes, func(p string) bool { return strings.HasPrefix(verb, p) })
}

// policyDoc is one IAM policy document of the stack; unknown names the
// input when the document is only known after apply.
type policyDoc struct {
	res     Resource
	doc     []statement
	unknown string
}

func policies(s *Stack) []policyDoc {
	var out []policyDoc
	add := func(r Resource, path string, raw any) {
		if plan.IsUnknown(raw) {
			out = append(out, policyDoc{res: r, unknown: path})
			return
		}
		var doc struct{ Statement []statement }
		if str, ok := raw.(string); ok && json.Unmarshal([]byte(str), &doc) == nil {
			out = append(out, policyDoc{res: r, doc: doc.Statement})
		}
	}
	for _, r := range s.ByType(typeRolePolicy, typePolicy) {
		add(r, "policy", r.Get("policy"))
	}
	for _, r := range s.ByType(typeRole) {
		if r.unknown("inlinePolicies") {
			add(r, "inlinePolicies", r.Get("inlinePolicies"))
		}
		if inline, ok := r.Get("inlinePolicies").([]any); ok {
			for _, p := range inline {
				m, _ := p.(map[string]any)
				add(r, "inlinePolicies", m["policy"])
			}
		}
	}
	return out
}

// containers are the container definitions of a task definition, or the
// finding that says they are unknown until apply or malformed.
func containers[T any](td Resource) ([]T, *Finding) {
	if td.unknown("containerDefinitions") {
		f := pending(td, []string{"containerDefinitions"}, "container definitions")
		return nil, &f
	}
	var defs []T
	if json.Unmarshal([]byte(td.str("containerDefinitions")), &defs) != nil {
		f := find(td, "container definitions are not valid JSON")
		return nil, &f
	}
	return defs, nil
}

var secretName = regexp.MustCompile(`(?i)(PASSWORD|PASSWD|SECRET|TOKEN|API_?KEY|ACCESS_?KEY|PRIVATE_?KEY|CREDENTIAL)`)

var identityRules = []Rule{
	{ID: "IAM-001", Severity: Mandatory, Rationale: "No policy grants every action.", Fix: "List the actions the principal uses.",
		Check: func(s *Stack) []Finding {
			var out []Finding
			for _, p := range policies(s) {
				if p.unknown != "" {
					out = append(out, pending(p.res, []string{p.unknown}, "actions the policy allows"))
				}
				for _, st := range p.doc {
					if st.Effect == "Allow" && slices.ContainsFunc(strs(st.Action), func(a string) bool { return a == "*" || strings.HasSuffix(a, ":*") }) {
						out = append(out, find(p.res, "statement %q allows %v", st.Sid, st.Action))
					}
				}
			}
			return out
		}},
	{ID: "IAM-002", Severity: Mandatory, Rationale: "Write actions name the resources they act on.", Fix: "Replace Resource \"*\" with the ARNs, or add the action to the documented allow-list if AWS offers no resource scoping.",
		Check: func(s *Stack) []Finding {
			var out []Finding
			for _, p := range policies(s) {
				if p.unknown != "" {
					out = append(out, pending(p.res, []string{p.unknown}, "resources the policy's write actions name"))
				}
				for _, st := range p.doc {
					if st.Effect != "Allow" || !slices.Contains(strs(st.Resource), "*") {
						continue
					}
					for _, a := range strs(st.Action) {
						if isWrite(a) && !slices.Contains(WildcardResourceAllowed, a) {
							out = append(out, find(p.res, "%s on Resource *", a))
						}
					}
				}
			}
			return out
		}},
	{ID: "IAM-003", Severity: Mandatory, Rationale: "A role is assumable only by the one service or CI identity it is for, on this account's behalf.", Fix: "Trust one service principal with an aws:SourceAccount condition, or the OIDC provider with aud and sub conditions.",
		Check: func(s *Stack) []Finding {
			var out []Finding
			for _, r := range s.ByType(typeRole) {
				if r.unknown("assumeRolePolicy") {
					out = append(out, pending(r, []string{"assumeRolePolicy"}, "who may assume the role"))
					continue
				}
				var doc struct{ Statement []statement }
				if json.Unmarshal([]byte(r.str("assumeRolePolicy")), &doc) != nil {
					out = append(out, find(r, "trust policy is not valid JSON"))
					continue
				}
				for _, st := range doc.Statement {
					if msg := trustProblem(st); msg != "" {
						out = append(out, find(r, "%s", msg))
					}
				}
			}
			return out
		}},
	{ID: "IAM-004", Severity: Mandatory, Rationale: "Secrets reach containers through ECS secrets, never as plain environment values visible in the task definition.", Fix: "Move the value to Secrets Manager and reference it under secrets.",
		Check: func(s *Stack) []Finding {
			var out []Finding
			for _, td := range s.ByType(typeTaskDef) {
				defs, problem := containers[struct {
					Name        string
					Environment []struct{ Name string }
				}](td)
				if problem != nil {
					out = append(out, *problem)
					continue
				}
				for _, d := range defs {
					for _, e := range d.Environment {
						if secretName.MatchString(e.Name) {
							out = append(out, find(td, "container %s has secret-looking variable %s in plain environment", d.Name, e.Name))
						}
					}
				}
			}
			return out
		}},
}

func trustProblem(st statement) string {
	if st.Effect != "Allow" {
		return ""
	}
	principal, _ := st.Principal.(map[string]any)
	switch {
	case principal == nil:
		return "trusts any principal"
	case principal["Service"] != nil:
		if len(strs(principal["Service"])) != 1 {
			return "trusts more than one service"
		}
		if st.Condition["StringEquals"]["aws:SourceAccount"] == nil && st.Condition["StringEquals"]["aws:SourceArn"] == nil &&
			st.Condition["ArnLike"]["aws:SourceArn"] == nil {
			return "service trust without an aws:SourceAccount or aws:SourceArn condition (confused deputy)"
		}
	case principal["Federated"] != nil:
		hasAud, hasSub := false, false
		for _, kv := range st.Condition {
			for k := range kv {
				hasAud = hasAud || strings.HasSuffix(k, ":aud")
				hasSub = hasSub || strings.HasSuffix(k, ":sub")
			}
		}
		if !hasAud || !hasSub {
			return "OIDC trust without both aud and sub conditions"
		}
	default:
		return "trusts an AWS account or user rather than one service or the CI identity provider"
	}
	return ""
}
