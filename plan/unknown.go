package plan

import (
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
)

// Unknown is a value only apply can tell: on a first `pulumi preview` every
// id, ARN, auto-assigned name and DNS name, and anything computed from one,
// is unknown (Pulumi's engine and the Terraform-bridged provider plan a
// create with those attributes as computed). In --json it is the object
// {"$unknown": "known after apply"}.
type Unknown struct{}

// KnownAfterApply is how the plan shows an Unknown.
const KnownAfterApply = "(known after apply)"

func (Unknown) String() string { return KnownAfterApply }

// MarshalJSON marks the value explicitly, so no reader mistakes it for data.
func (Unknown) MarshalJSON() ([]byte, error) {
	return []byte(`{"$unknown":"known after apply"}`), nil
}

// IsUnknown reports whether v is, or contains, a value unknown until apply.
func IsUnknown(v any) bool {
	switch x := v.(type) {
	case Unknown:
		return true
	case []any:
		for _, e := range x {
			if IsUnknown(e) {
				return true
			}
		}
	case map[string]any:
		for _, e := range x {
			if IsUnknown(e) {
				return true
			}
		}
	}
	return false
}

// Refs resolves a reference value (the id, name or ARN of other resources,
// one or a list). Known values are returned as they are. A value unknown
// until apply stands for the resource it is computed from, written as that
// resource's URN, when sources (the resources the input's value came from:
// its property dependencies) hold exactly as many resources of the given
// types as there are unknown values: AWS accepts only such a resource's
// identifier in these fields, so the dependency is the reference. ok is
// false when an unknown cannot be traced that way.
func Refs(v any, sources []string, types ...string) (refs []string, ok bool) {
	var unknowns int
	switch x := v.(type) {
	case nil:
		return nil, true
	case string:
		return []string{x}, true
	case Unknown:
		unknowns = 1
	case []any:
		for _, e := range x {
			if s, known := e.(string); known {
				refs = append(refs, s)
			} else {
				unknowns++
			}
		}
	default:
		return nil, false
	}
	if unknowns == 0 {
		return refs, true
	}
	var typed []string
	for _, urn := range sources {
		if typeOf(urn, types) {
			typed = append(typed, urn)
		}
	}
	// An unknown list (rather than a list of unknowns) may hold any number
	// of references, all from these sources.
	if _, whole := v.(Unknown); whole && len(typed) > 0 {
		return append(refs, typed...), true
	}
	if len(typed) != unknowns {
		return nil, false
	}
	return append(refs, typed...), true
}

// SelfRef is how references to a resource appear in Refs: the attribute
// they name (id, name, arn) when it is known, else the resource's URN.
func SelfRef(attr any, urn string) string {
	if s, ok := attr.(string); ok && s != "" {
		return s
	}
	return urn
}

func typeOf(urn string, types []string) bool {
	t := string(resource.URN(urn).Type())
	for _, want := range types {
		if t == want {
			return true
		}
	}
	return false
}
