// Package suppress is how a resource declares an exception to a guardrail
// rule: a tag naming the rule, whose value is the written reason. Components
// write the tag; the guardrails (which components never import) read it.
package suppress

// TagPrefix starts the tag key; the rule id follows ("octabyte:suppress:NET-007").
const TagPrefix = "octabyte:suppress:"

// Tag declares an exception to rule, with its reason, as resource tags.
func Tag(rule, reason string) map[string]string {
	return map[string]string{TagPrefix + rule: reason}
}
