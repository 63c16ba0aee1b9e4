package workflows

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
)

// prod queues database changes for its maintenance window
// (dbApplyImmediately false), and every preview shows them until RDS applies
// them. The drift check runs the project's own classifier on the preview
// and on RDS's PendingModifiedValues: such a change is not drift, and
// nobody is paged for it. The classifier is tested in database/drift_test.go.
func TestScenarioDriftCheckToleratesPendingMaintenance(t *testing.T) {
	h := driftHarness(t)
	h.change(func(w *world) { w.PendingMaintenance = true })
	h.run("drift.yml")
	assert.Equal(t, map[string]string{"drift": "success"}, h.Results, h.Log.String())
	assert.Empty(t, h.Notifications, "a change waiting for the maintenance window pages nobody")
	assert.Contains(t, h.Log.String(), "maintenance window")
	assert.Contains(t, strings.Join(h.worldNow().Calls, "\n"), "aws rds describe-db-instances --db-instance-identifier octabyte-prod --output json")
}

// When the pending changes cannot be read, the preview's changes are
// neither drift nor maintenance: the check says it could not tell.
func TestScenarioDriftCheckThatCannotReadRDSIsNotDrift(t *testing.T) {
	h := driftHarness(t)
	h.change(func(w *world) { w.PendingMaintenance, w.RDSDescribeFails = true, true })
	h.run("drift.yml")
	assert.Equal(t, map[string]string{"drift": "failure"}, h.Results)
	assert.NotEmpty(t, h.Notifications)
	for _, n := range h.Notifications {
		assert.Contains(t, n, "could not tell pending maintenance from drift")
		assert.NotContains(t, n, "drift found")
	}
}
