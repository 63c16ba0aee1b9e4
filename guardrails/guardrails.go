// Package guardrails checks every resource a stack registers against
// security and reliability rules, like cdk-nag for CDK or Checkov for
// Terraform. The same rules run in the unit tests, in the offline plan and,
// where the Pulumi CLI exists, as a policy pack (policy/pack).
package guardrails

import (
	"fmt"
	"sort"
	"strings"

	"github.com/octabyte/octabyte/internal/suppress"
	"github.com/octabyte/octabyte/plan"
)

// Severity says whether a violation blocks a deployment.
type Severity string

const (
	Mandatory Severity = "mandatory"
	Advisory  Severity = "advisory"
)

// Resource is one registered resource, as any engine can describe it.
type Resource struct {
	Type    string
	Name    string // logical name
	URN     string
	Parent  string
	Inputs  map[string]any // plan.Unknown where only apply can tell (preview)
	Outputs map[string]any // computed values when known (offline plan); may be empty
	// Deps are, per top-level input, the resources its value came from.
	Deps map[string][]string
}

// Get returns the value at a dotted path of the inputs, else the outputs.
func (r Resource) Get(path string) any {
	if v := plan.Lookup(r.Inputs, path); v != nil {
		return v
	}
	return plan.Lookup(r.Outputs, path)
}

func (r Resource) str(path string) string {
	s, _ := r.Get(path).(string)
	return s
}

// unknown reports whether the value at path is, or holds, a value unknown
// until apply.
func (r Resource) unknown(path string) bool { return plan.IsUnknown(r.Get(path)) }

// isUnknown reports whether v as a whole is unknown until apply.
func isUnknown(v any) bool { _, ok := v.(plan.Unknown); return ok }

// refs resolves a reference input (ids, names or ARNs of resources of the
// given types), tracing values unknown at preview to their source resource.
func (r Resource) refs(path string, types ...string) ([]string, bool) {
	top, _, _ := strings.Cut(path, ".")
	return plan.Refs(r.Get(path), r.Deps[top], types...)
}

// self is how references to r look: its attribute (id, name) when known,
// else its URN (see plan.Refs).
func (r Resource) self(attr string) string { return plan.SelfRef(r.Get(attr), r.URN) }

// Stack is everything the rules may look at.
type Stack struct {
	Production  bool              // stricter data-protection rules
	DefaultTags map[string]string // aws:defaultTags; nil when the engine cannot tell
	Resources   []Resource
}

// ByType returns the resources of one type.
func (s *Stack) ByType(types ...string) []Resource {
	var out []Resource
	for _, r := range s.Resources {
		for _, t := range types {
			if r.Type == t {
				out = append(out, r)
			}
		}
	}
	return out
}

// Rule is one check with what a reader needs to act on its findings.
type Rule struct {
	ID        string
	Severity  Severity
	Rationale string
	Fix       string
	// Check returns, per offending resource, a one-line finding.
	Check func(s *Stack) []Finding
}

// Finding is one resource breaking one rule, or one whose verdict waits for
// values only apply can tell.
type Finding struct {
	Resource Resource
	Message  string
	// Unknown names the inputs, unknown until apply, the verdict depends
	// on. A finding with Unknown is not a violation: it never blocks, and
	// the rule runs again on the next preview or plan with known values.
	Unknown []string
}

// Violation is a finding with its rule and, if declared, its suppression.
type Violation struct {
	Rule       Rule
	Finding    Finding
	Suppressed string // the declared reason; empty when not suppressed
}

// Open reports whether v is a known, unexcused violation.
func (v Violation) Open() bool { return v.Suppressed == "" && len(v.Finding.Unknown) == 0 }

// Report is the verdict over a stack.
type Report struct {
	Rules      []Rule
	Violations []Violation
}

// Evaluate runs every rule over the stack.
func Evaluate(s *Stack, rules []Rule) Report {
	rep := Report{Rules: rules}
	for _, rule := range rules {
		for _, f := range rule.Check(s) {
			v := Violation{Rule: rule, Finding: f}
			if tags, ok := f.Resource.Get("tags").(map[string]any); ok {
				if reason, ok := tags[suppress.TagPrefix+rule.ID].(string); ok && strings.TrimSpace(reason) != "" {
					v.Suppressed = reason
				}
			}
			rep.Violations = append(rep.Violations, v)
		}
	}
	sort.SliceStable(rep.Violations, func(i, j int) bool {
		a, b := rep.Violations[i], rep.Violations[j]
		if a.Rule.ID != b.Rule.ID {
			return a.Rule.ID < b.Rule.ID
		}
		return a.Finding.Resource.URN+a.Finding.Message < b.Finding.Resource.URN+b.Finding.Message
	})
	return rep
}

// Blocking returns the known, unsuppressed violations of mandatory rules.
func (r Report) Blocking() []Violation {
	var out []Violation
	for _, v := range r.Violations {
		if v.Rule.Severity == Mandatory && v.Open() {
			out = append(out, v)
		}
	}
	return out
}

// UnknownUntilApply returns the findings whose verdict waits for apply.
func (r Report) UnknownUntilApply() []Violation {
	var out []Violation
	for _, v := range r.Violations {
		if len(v.Finding.Unknown) > 0 && v.Suppressed == "" {
			out = append(out, v)
		}
	}
	return out
}

// Err is non-nil when a mandatory rule is broken without a declared reason.
func (r Report) Err() error {
	b := r.Blocking()
	if len(b) == 0 {
		return nil
	}
	lines := make([]string, len(b))
	for i, v := range b {
		lines[i] = fmt.Sprintf("%s %s %s: %s (fix: %s)", v.Rule.ID, v.Finding.Resource.Type, v.Finding.Resource.Name, v.Finding.Message, v.Rule.Fix)
	}
	return fmt.Errorf("%d mandatory guardrail violation(s):\n  %s", len(b), strings.Join(lines, "\n  "))
}

// strs reads a string or a list of strings.
func strs(v any) []string {
	switch x := v.(type) {
	case string:
		return []string{x}
	case []string:
		return x
	case []any:
		var out []string
		for _, e := range x {
			if s, ok := e.(string); ok {
				out = append(out, s)
			}
		}
		return out
	}
	return nil
}

func num(v any) (float64, bool) {
	f, ok := v.(float64)
	return f, ok
}

func find(r Resource, format string, args ...any) Finding {
	return Finding{Resource: r, Message: fmt.Sprintf(format, args...)}
}

// pending is a finding that only apply can settle: the named inputs of r
// are unknown at preview.
func pending(r Resource, inputs []string, format string, args ...any) Finding {
	return Finding{Resource: r, Message: fmt.Sprintf(format, args...), Unknown: inputs}
}

// unknowns lists the paths of r whose values are unknown until apply.
func unknowns(r Resource, paths ...string) []string {
	var out []string
	for _, p := range paths {
		if r.unknown(p) {
			out = append(out, p)
		}
	}
	return out
}
