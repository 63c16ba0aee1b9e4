// Package policydoc builds IAM policy documents from typed Go values, so a
// policy is checked by the compiler and tests can unmarshal and inspect it.
package policydoc

import (
	"encoding/json"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// Document is an IAM policy document.
type Document struct {
	Version   string      `json:"Version"`
	Statement []Statement `json:"Statement"`
}

// Statement is one IAM policy statement. Principal, Action, NotAction and
// Resource are left as any so both the string and the list forms can be
// written (and read: List).
type Statement struct {
	Sid       string                    `json:"Sid,omitempty"`
	Effect    string                    `json:"Effect"`
	Principal any                       `json:"Principal,omitempty"`
	Action    any                       `json:"Action,omitempty"`
	NotAction any                       `json:"NotAction,omitempty"`
	Resource  any                       `json:"Resource,omitempty"`
	Condition map[string]map[string]any `json:"Condition,omitempty"`
}

// New returns a 2012-10-17 document with the given statements.
func New(statements ...Statement) Document {
	return Document{Version: "2012-10-17", Statement: statements}
}

// JSON renders the document.
func (d Document) JSON() string {
	b, err := json.Marshal(d)
	if err != nil {
		panic(err) // only plain values are ever marshalled
	}
	return string(b)
}

// Parse reads a policy document as JSON, for checks and tests to inspect.
func Parse(raw string) (Document, error) {
	var d Document
	err := json.Unmarshal([]byte(raw), &d)
	return d, err
}

// List returns a statement field read by Parse, which IAM lets a policy
// write as one string or a list of strings, as a list.
func List(v any) []string {
	switch x := v.(type) {
	case string:
		return []string{x}
	case []any:
		out := make([]string, 0, len(x))
		for _, e := range x {
			if s, ok := e.(string); ok {
				out = append(out, s)
			}
		}
		return out
	case []string: // a document built here, not parsed
		return x
	}
	return nil
}

// Output renders a document whose values come from other resources: build
// calls build once all the inputs are known.
func Output(inputs pulumi.StringArrayInput, build func(values []string) Document) pulumi.StringOutput {
	return inputs.ToStringArrayOutput().ApplyT(func(values []string) string {
		return build(values).JSON()
	}).(pulumi.StringOutput)
}

// ServiceTrust is a trust policy for one AWS service principal, limited to
// callers acting for the given account (the confused-deputy guard).
func ServiceTrust(service, accountID string, extra map[string]map[string]any) Document {
	cond := map[string]map[string]any{"StringEquals": {"aws:SourceAccount": accountID}}
	for op, kv := range extra {
		if cond[op] == nil {
			cond[op] = map[string]any{}
		}
		for k, v := range kv {
			cond[op][k] = v
		}
	}
	return New(Statement{
		Effect:    "Allow",
		Principal: map[string]any{"Service": service},
		Action:    "sts:AssumeRole",
		Condition: cond,
	})
}
