package workflows

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// When the preview finds changes, a second step sorts them: the steps that
// report, notify and fail read its outcome, so a database change RDS holds
// for the maintenance window (prod) is not reported as drift, and anything
// else still is. The classifier itself is tested in database/drift_test.go.
func TestDriftCheckToleratesPendingMaintenanceOnly(t *testing.T) {
	j := one(t, "drift.yml").job(t, "drift")
	classify := j.step(t, "Tell pending maintenance from drift")
	assert.Equal(t, "preview", classify.ID)
	assert.Equal(t, "steps.changes.outcome == 'failure'", classify.If, "runs only when the preview found changes")
	assert.Equal(t, true, classify.ContinueOnError)
	for _, want := range []string{
		`pulumi preview --refresh --json --non-interactive --stack "$STACK" > preview.json`,
		`aws rds describe-db-instances --db-instance-identifier "octabyte-$STACK" --output json > instances.json`,
		"go run . drift --preview preview.json --instances instances.json",
		"set -o pipefail", // the classifier's exit status is the step's
	} {
		assert.Contains(t, classify.Run, want)
	}
	var order []string
	for _, s := range j.Steps {
		order = append(order, s.Name)
	}
	i := indexOf(order, "Tell pending maintenance from drift")
	require.Positive(t, i)
	assert.Equal(t, "pulumi preview --refresh --expect-no-changes", order[i-1])
	for _, name := range []string{"Report", "Slack", "Email", "Fail on drift"} {
		assert.Greater(t, indexOf(order, name), i, name)
		assert.Contains(t, j.step(t, name).If, "steps.preview.outcome == 'failure'", name)
	}
}

func indexOf(names []string, name string) int {
	for i, n := range names {
		if n == name {
			return i
		}
	}
	return -1
}
