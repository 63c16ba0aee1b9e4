package guardrails

import (
	"fmt"
	"io"
)

// Render writes the verdict table, then every finding and every declared
// exception with its reason.
func (r Report) Render(w io.Writer) {
	count := map[string][2]int{} // rule → [open, suppressed]
	for _, v := range r.Violations {
		c := count[v.Rule.ID]
		if v.Suppressed != "" {
			c[1]++
		} else {
			c[0]++
		}
		count[v.Rule.ID] = c
	}
	fmt.Fprintf(w, "%-9s %-9s %-10s %s\n", "RULE", "SEVERITY", "VERDICT", "RATIONALE")
	for _, rule := range r.Rules {
		c := count[rule.ID]
		verdict := "pass"
		switch {
		case c[0] > 0 && rule.Severity == Mandatory:
			verdict = fmt.Sprintf("FAIL (%d)", c[0])
		case c[0] > 0:
			verdict = fmt.Sprintf("warn (%d)", c[0])
		case c[1] > 0:
			verdict = fmt.Sprintf("excused(%d)", c[1])
		}
		fmt.Fprintf(w, "%-9s %-9s %-10s %s\n", rule.ID, rule.Severity, verdict, rule.Rationale)
	}
	for _, v := range r.Violations {
		res := v.Finding.Resource
		if v.Suppressed != "" {
			fmt.Fprintf(w, "  excused %s on %s %s: %s\n          reason: %s\n", v.Rule.ID, res.Type, res.Name, v.Finding.Message, v.Suppressed)
		} else {
			fmt.Fprintf(w, "  %s %s on %s %s: %s\n          fix: %s\n", v.Rule.Severity, v.Rule.ID, res.Type, res.Name, v.Finding.Message, v.Rule.Fix)
		}
	}
}
