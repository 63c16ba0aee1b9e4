// Package plantest holds what the components' tests share about a plan.
package plantest

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/octabyte/octabyte/plan"
)

// One returns the plan's only resource of a type, and fails t unless there
// is exactly one.
func One(t testing.TB, p *plan.Plan, typ string) plan.Resource {
	t.Helper()
	rs := p.ByType(typ)
	require.Len(t, rs, 1, typ)
	return rs[0]
}
