package database_test

import (
	"bytes"
	"encoding/json"
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

// rdsStep is a preview of one update of the instance octabyte-prod: key
// from current to want; pending is what RDS reports queued for it.
func rdsStep(t *testing.T, op, key string, current, want, pending any) database.DriftReport {
	t.Helper()
	step := map[string]any{
		"op": op, "urn": "urn:pulumi:prod::octabyte::octabyte:database:Database$aws:rds/instance:Instance::db",
		"diffReasons": []string{},
		"oldState":    map[string]any{"type": "aws:rds/instance:Instance", "outputs": map[string]any{"identifier": "octabyte-prod", key: current}},
		"newState":    map[string]any{"type": "aws:rds/instance:Instance", "inputs": map[string]any{key: want}},
	}
	if key != "" {
		step["diffReasons"] = []string{key}
	}
	db := map[string]any{"DBInstanceIdentifier": "octabyte-prod", "PreferredMaintenanceWindow": "sun:20:30-sun:21:30", "PendingModifiedValues": map[string]any{}}
	if pending != nil {
		db["PendingModifiedValues"] = pending
	}
	preview, err := json.Marshal(map[string]any{"steps": []any{step}})
	require.NoError(t, err)
	instances, err := json.Marshal(map[string]any{"DBInstances": []any{db}})
	require.NoError(t, err)
	rep, err := database.ClassifyDrift(bytes.NewReader(preview), bytes.NewReader(instances))
	require.NoError(t, err)
	return rep
}

// What RDS reports pending must be what the program asks for, field by
// field as RDS spells it; anything else, or any other operation, is drift.
// Steps that change nothing are neither.
func TestPendingMeansRDSQueuedExactlyTheProgramsValue(t *testing.T) {
	exports := []string{"postgresql", "upgrade"}
	disable := map[string]any{"PendingCloudwatchLogsExports": map[string]any{"LogTypesToDisable": []string{"upgrade"}}}
	enable := map[string]any{"PendingCloudwatchLogsExports": map[string]any{"LogTypesToEnable": []string{"iam-db-auth-error"}}}
	for name, tc := range map[string]struct {
		rep  database.DriftReport
		want string // pending, drift or nothing
	}{
		"a major version queued as its first minor": {rdsStep(t, "update", "engineVersion", "16.4", "17", map[string]any{"EngineVersion": "17.2"}), "pending"},
		"another major that starts alike":           {rdsStep(t, "update", "engineVersion", "16.4", "17", map[string]any{"EngineVersion": "170.1"}), "drift"},
		"the log export RDS will disable":           {rdsStep(t, "update", "enabledCloudwatchLogsExports", exports, []string{"postgresql"}, disable), "pending"},
		"a log export change the other way":         {rdsStep(t, "update", "enabledCloudwatchLogsExports", exports, []string{"postgresql"}, enable), "drift"},
		"a replacement, whatever RDS has queued":    {rdsStep(t, "replace", "allocatedStorage", 20, 30, map[string]any{"AllocatedStorage": 30}), "drift"},
		"an update that names no input":             {rdsStep(t, "update", "", nil, nil, nil), "drift"},
		"a read":                                    {rdsStep(t, "read", "allocatedStorage", 20, 30, nil), "nothing"},
		"a refresh":                                 {rdsStep(t, "refresh", "allocatedStorage", 20, 30, nil), "nothing"},
		"a discarded read":                          {rdsStep(t, "discard", "allocatedStorage", 20, 30, nil), "nothing"},
	} {
		assert.Len(t, tc.rep.Pending, map[string]int{"pending": 1}[tc.want], name)
		assert.Len(t, tc.rep.Drift, map[string]int{"drift": 1}[tc.want], name)
	}
}
