package database_test

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/octabyte/octabyte/database"
)

// classify reads testdata/preview-<preview>.json and
// testdata/instances-<instances>.json: a `pulumi preview --refresh --json`
// of prod and `aws rds describe-db-instances` for its instance.
func classify(t *testing.T, preview, instances string) database.DriftReport {
	t.Helper()
	p, err := os.ReadFile(filepath.Join("testdata", "preview-"+preview+".json"))
	require.NoError(t, err)
	i, err := os.ReadFile(filepath.Join("testdata", "instances-"+instances+".json"))
	require.NoError(t, err)
	rep, err := database.ClassifyDrift(bytes.NewReader(p), bytes.NewReader(i))
	require.NoError(t, err)
	return rep
}

func TestAChangeRDSQueuedForTheWindowIsPendingMaintenance(t *testing.T) {
	rep := classify(t, "pending", "pending")
	assert.False(t, rep.Drifted())
	assert.Equal(t, []string{"octabyte-prod: allocatedStorage 20 → 30, instanceClass db.t3.micro → db.t3.small (maintenance window sun:20:30-sun:21:30 UTC)"}, rep.Pending)
	var out strings.Builder
	rep.Render(&out)
	assert.Equal(t, "pending maintenance: "+rep.Pending[0]+"\n", out.String())
}

func TestLogExportsQueuedForTheWindowArePendingMaintenance(t *testing.T) {
	rep := classify(t, "logs", "logs")
	assert.False(t, rep.Drifted())
	require.Len(t, rep.Pending, 1)
	assert.Contains(t, rep.Pending[0], "enabledCloudwatchLogsExports")
}

// The same diff with nothing queued in RDS is drift: someone changed the
// instance back, or the change was never sent.
func TestTheSameDiffWithNothingPendingIsDrift(t *testing.T) {
	rep := classify(t, "pending", "none")
	assert.True(t, rep.Drifted())
	assert.Equal(t, []string{"update aws:rds/instance:Instance db: allocatedStorage, instanceClass"}, rep.Drift)
	assert.Empty(t, rep.Pending)
}

// RDS holds a different change than the program asks for (queued from the
// console): drift.
func TestAPendingValueOtherThanTheProgramsIsDrift(t *testing.T) {
	rep := classify(t, "pending", "other")
	assert.True(t, rep.Drifted())
}

func TestOtherChangesAreDriftNextToPendingMaintenance(t *testing.T) {
	rep := classify(t, "drift", "pending")
	assert.True(t, rep.Drifted())
	assert.Len(t, rep.Pending, 1)
	assert.Equal(t, []string{"update aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule db-in-task: description"}, rep.Drift)
}

// A database diff with one input RDS applies at once (deletion protection)
// is drift as a whole; so is a resource to create again.
func TestAnInstanceDiffBeyondThePendingFieldsIsDrift(t *testing.T) {
	rep := classify(t, "mixed", "pending")
	assert.Empty(t, rep.Pending)
	assert.Equal(t, []string{
		"update aws:rds/instance:Instance db: allocatedStorage, deletionProtection, instanceClass",
		"create aws:cloudwatch/metricAlarm:MetricAlarm db-cpu",
	}, rep.Drift)
}

func TestInputsThatAreNotThePreviewAndDescribeOutputsAreErrors(t *testing.T) {
	_, err := database.ClassifyDrift(strings.NewReader("Previewing update (prod)"), strings.NewReader(`{"DBInstances":[]}`))
	assert.ErrorContains(t, err, "pulumi preview --json")
	_, err = database.ClassifyDrift(strings.NewReader(`{"steps":[]}`), strings.NewReader("An error occurred (AccessDenied)"))
	assert.ErrorContains(t, err, "describe-db-instances")
}
