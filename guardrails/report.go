package guardrails

import (
	"fmt"
	"io"
	"strings"
)

// Render writes the verdict table, then every finding: violations with
// their fix, declared exceptions with their reason, and the checks that wait
// for values only apply can tell, with those inputs.
func (r Report) Render(w io.Writer) {
	type tally struct{ open, excused, pending int }
	count := map[string]tally{}
	for _, v := range r.Violations {
		c := count[v.Rule.ID]
		switch {
		case v.Suppressed != "":
			c.excused++
		case len(v.Finding.Unknown) > 0:
			c.pending++
		default:
			c.open++
		}
		count[v.Rule.ID] = c
	}
	fmt.Fprintf(w, "%-9s %-9s %-12s %s\n", "RULE", "SEVERITY", "VERDICT", "RATIONALE")
	for _, rule := range r.Rules {
		c := count[rule.ID]
		verdict := "pass"
		switch {
		case c.open > 0 && rule.Severity == Mandatory:
			verdict = fmt.Sprintf("FAIL (%d)", c.open)
		case c.open > 0:
			verdict = fmt.Sprintf("warn (%d)", c.open)
		case c.pending > 0:
			verdict = fmt.Sprintf("unknown (%d)", c.pending)
		case c.excused > 0:
			verdict = fmt.Sprintf("excused(%d)", c.excused)
		}
		fmt.Fprintf(w, "%-9s %-9s %-12s %s\n", rule.ID, rule.Severity, verdict, rule.Rationale)
	}
	for _, v := range r.Violations {
		res := v.Finding.Resource
		switch {
		case v.Suppressed != "":
			fmt.Fprintf(w, "  excused %s on %s %s: %s\n          reason: %s\n", v.Rule.ID, res.Type, res.Name, v.Finding.Message, v.Suppressed)
		case len(v.Finding.Unknown) > 0:
			fmt.Fprintf(w, "  unknown until apply %s on %s %s: %s\n          depends on: %s\n", v.Rule.ID, res.Type, res.Name, v.Finding.Message, strings.Join(v.Finding.Unknown, ", "))
		default:
			fmt.Fprintf(w, "  %s %s on %s %s: %s\n          fix: %s\n", v.Rule.Severity, v.Rule.ID, res.Type, res.Name, v.Finding.Message, v.Rule.Fix)
		}
	}
}
