package permissions

import (
	"fmt"
	"io"
	"sort"
	"strings"
)

// Report is the verdict for one stack: whether each CI job may do what the
// plan asks, and every request AWS would deny.
type Report struct {
	Stack     string       `json:"stack"`
	OK        bool         `json:"ok"` // no job misses a permission
	Jobs      []JobResult  `json:"jobs"`
	Missing   []Missing    `json:"missing"`
	Managed   []ManagedRef `json:"managedPolicies"`
	Simulator Versions     `json:"simulator"`
}

// JobResult is one CI job's verdict.
type JobResult struct {
	Job       string `json:"job"`
	Role      string `json:"role,omitempty"` // IAM role name
	RoleARN   string `json:"roleArn,omitempty"`
	Operation string `json:"operation"`
	Verb      string `json:"verb"`
	Requests  int    `json:"requests"`
	Missing   int    `json:"missing"`
	Problem   string `json:"problem,omitempty"` // the job has no role
}

// Missing is a request AWS would deny, with what needs it and why.
type Missing struct {
	Job      string         `json:"job"`
	Role     string         `json:"role,omitempty"`
	Action   string         `json:"action"`
	Resource string         `json:"resource,omitempty"` // the ARN evaluated
	NeededBy []Need         `json:"neededBy"`
	Why      string         `json:"why"`
	Context  map[string]any `json:"context,omitempty"` // the condition keys that decide it
}

// ManagedRef names the recorded version of an AWS managed policy.
type ManagedRef struct {
	Name      string `json:"name"`
	Version   string `json:"version"`
	Created   string `json:"created"`
	Retrieved string `json:"retrieved"`
	Source    string `json:"source"`
}

func newReport(stack string, jobs []job, b *builder, out *simOutput) *Report {
	r := &Report{Stack: stack, OK: true, Missing: []Missing{}, Simulator: out.Versions}
	results := map[int]simResult{}
	for _, res := range out.Results {
		results[res.ID] = res
	}
	managed := map[string]bool{}
	for _, j := range jobs {
		jr := JobResult{Job: j.Name, Operation: j.Operation, Verb: j.Verb, Problem: j.Problem}
		if j.identity == nil {
			r.OK = false
			r.Jobs = append(r.Jobs, jr)
			continue
		}
		jr.Role, jr.RoleARN = j.identity.Name, j.identity.ARN
		for _, m := range j.identity.Managed {
			if !managed[m.Name] {
				managed[m.Name] = true
				r.Managed = append(r.Managed, ManagedRef{Name: m.Name, Version: m.VersionID, Created: m.VersionCreated[:10], Retrieved: m.Retrieved, Source: m.Source})
			}
		}
		for _, need := range b.unknown[j.Name] {
			r.Missing = append(r.Missing, Missing{Job: j.Name, Role: jr.Role, NeededBy: []Need{need},
				Why: "permissions/actions.yaml lists no IAM actions for " + need.Type + ": add its create, read, update and delete calls with their sources"})
			jr.Missing++
		}
		for _, req := range b.jobs[j.Name] {
			jr.Requests++
			res := results[req.ID]
			if res.Decision == "Allowed" {
				continue
			}
			why := res.Error
			if why == "" {
				why = explain(res.Denials)
			}
			r.Missing = append(r.Missing, Missing{Job: j.Name, Role: jr.Role, Action: req.Action, Resource: res.Resource,
				NeededBy: req.needs, Why: why, Context: deciding(req.Context)})
			jr.Missing++
		}
		if jr.Missing > 0 {
			r.OK = false
		}
		r.Jobs = append(r.Jobs, jr)
	}
	sort.Slice(r.Managed, func(i, k int) bool { return r.Managed[i].Name < r.Managed[k].Name })
	return r
}

// explain turns iam-simulate's denial reasons into a sentence.
func explain(denials []denial) string {
	var why []string
	for _, d := range denials {
		statement := d.StatementID
		if statement == "" {
			statement = fmt.Sprintf("#%d", d.StatementIndex)
		}
		switch {
		case d.DenialType == "Explicit" && d.PolicyType == "resource":
			why = append(why, fmt.Sprintf("explicit deny by statement %s of the resource's policy", statement))
		case d.DenialType == "Explicit":
			why = append(why, fmt.Sprintf("explicit deny by statement %s of %s", statement, d.PolicyIdentifier))
		case d.PolicyType == "pb":
			why = append(why, "the permissions boundary does not allow it")
		case d.PolicyType == "resource":
			why = append(why, "the resource's policy does not allow it")
		default:
			why = append(why, "implicit deny: no statement of the role's policies allows it")
		}
	}
	if len(why) == 0 {
		return "denied"
	}
	return strings.Join(dedupe(why), "; ")
}

// deciding keeps the condition keys worth showing next to a denial: those
// the CI policies test, not the ones every request carries.
func deciding(ctx map[string]any) map[string]any {
	out := map[string]any{}
	for k, v := range ctx {
		switch {
		case strings.HasPrefix(k, "iam:"), strings.HasPrefix(k, "kms:"),
			strings.HasSuffix(k, "/Environment"):
			out[k] = v
		}
	}
	return out
}

func dedupe(in []string) []string {
	var out []string
	seen := map[string]bool{}
	for _, s := range in {
		if !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	return out
}

// Err is non-nil when any job misses a permission.
func (r *Report) Err() error {
	if r.OK {
		return nil
	}
	return fmt.Errorf("deploy permissions: %d request(s) the CI roles may not make (see Deploy permissions)", len(r.Missing)+r.roleless())
}

func (r *Report) roleless() int {
	n := 0
	for _, j := range r.Jobs {
		if j.Problem != "" {
			n++
		}
	}
	return n
}

// Render writes each job's verdict, then every missing permission with the
// resource that needs it and why AWS would deny it.
func (r *Report) Render(w io.Writer) {
	fmt.Fprintf(w, "  simulated with @cloud-copilot/iam-simulate %s (AWS IAM data of %s) on the CI roles of bootstrap/Pulumi.bootstrap.yaml\n",
		r.Simulator.IAMSimulate, r.Simulator.IAMDataUpdated)
	for _, j := range r.Jobs {
		verdict := "yes"
		switch {
		case j.Problem != "":
			verdict = "NO: " + j.Problem
		case j.Missing > 0:
			verdict = fmt.Sprintf("NO, %d missing", j.Missing)
		}
		fmt.Fprintf(w, "  %-8s %-27s %-37s can %s this plan: %s (%d requests)\n", j.Job, orDash(j.Role), j.Operation, j.Verb, verdict, j.Requests)
	}
	for _, m := range r.Missing {
		fmt.Fprintf(w, "  missing for %s: %s on %s\n", m.Job, orDash(m.Action), orDash(m.Resource))
		var by []string
		for _, n := range m.NeededBy {
			by = append(by, fmt.Sprintf("%s %s (%s)", n.Type, n.Resource, n.Phase))
		}
		fmt.Fprintf(w, "      needed by %s\n", strings.Join(dedupe(by), ", "))
		fmt.Fprintf(w, "      why: %s\n", m.Why)
		if len(m.Context) > 0 {
			keys := make([]string, 0, len(m.Context))
			for k := range m.Context {
				keys = append(keys, k)
			}
			sort.Strings(keys)
			var kv []string
			for _, k := range keys {
				kv = append(kv, fmt.Sprintf("%s=%v", k, m.Context[k]))
			}
			fmt.Fprintf(w, "      request: %s\n", strings.Join(kv, " "))
		}
	}
	var managed []string
	for _, m := range r.Managed {
		managed = append(managed, fmt.Sprintf("%s %s (%s)", m.Name, m.Version, m.Created))
	}
	fmt.Fprintf(w, "  AWS managed policies as published: %s. Not simulated: SCPs and RCPs of an organization, other accounts' resource policies, service quotas.\n",
		strings.Join(managed, ", "))
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
