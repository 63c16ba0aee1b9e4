package main

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/octabyte/octabyte/plan"
	"github.com/octabyte/octabyte/plan/plantest"
)

func sleepingStaging(t *testing.T) *plan.Plan {
	t.Helper()
	cfg, err := plan.LoadStackConfig(".", "staging")
	require.NoError(t, err)
	cfg["octabyte:sleepSchedule"] = "mon-fri 08:00-20:00"
	cfg["octabyte:sleepTimeZone"] = "Asia/Kolkata"
	cfg["octabyte:appImage"] = "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
	p, err := plan.Run(run, "staging", cfg)
	require.NoError(t, err)
	return p
}

func scheduleInput(t *testing.T, p *plan.Plan, name string) map[string]any {
	t.Helper()
	s, ok := p.Find("aws:scheduler/schedule:Schedule", name)
	require.True(t, ok, name)
	var in map[string]any
	require.NoError(t, json.Unmarshal([]byte(s.Input("target.input").(string)), &in))
	return in
}

// The schedules act on this stack's own database, service and alarms, and
// wake the service to its configured size.
func TestSleepScheduleTargetsThisStack(t *testing.T) {
	p := sleepingStaging(t)
	db := plantest.One(t, p, "aws:rds/instance:Instance")
	assert.Equal(t, db.Input("identifier"), scheduleInput(t, p, "db-sleep")["DbInstanceIdentifier"])
	assert.Equal(t, db.Input("identifier"), scheduleInput(t, p, "db-wake")["DbInstanceIdentifier"])

	svc := plantest.One(t, p, "aws:ecs/service:Service")
	cluster := plantest.One(t, p, "aws:ecs/cluster:Cluster")
	wake := scheduleInput(t, p, "app-wake")
	assert.Equal(t, cluster.Outputs["name"], wake["Cluster"])
	assert.Equal(t, svc.Outputs["name"], wake["Service"])
	assert.Equal(t, svc.Input("desiredCount"), wake["DesiredCount"], "woken to the configured count")
	assert.Equal(t, 0.0, scheduleInput(t, p, "app-sleep")["DesiredCount"])
	assert.Equal(t, svc.Input("desiredCount"), p.Outputs["awakeDesiredCount"], "what the deploy's wake step scales to")

	assert.ElementsMatch(t, activeAlarms(p), scheduleInput(t, p, "alarms-sleep")["AlarmNames"], "no alarm pages while staging sleeps")
	assert.ElementsMatch(t, activeAlarms(p), scheduleInput(t, p, "alarms-wake")["AlarmNames"])
	assert.Len(t, activeAlarms(p), len(p.ByType("aws:cloudwatch/metricAlarm:MetricAlarm")), "with an image every alarm notifies")
}

// activeAlarms are the names of the alarms whose actions are on.
func activeAlarms(p *plan.Plan) []any {
	var names []any
	for _, a := range p.ByType("aws:cloudwatch/metricAlarm:MetricAlarm") {
		if a.Input("actionsEnabled") == true {
			names = append(names, a.Input("name"))
		}
	}
	return names
}

// Before the first image the no-healthy-targets alarm stays off (the
// service runs no task): waking staging must not switch it on.
func TestWakingDoesNotEnableAnAlarmThatWaitsForTheFirstImage(t *testing.T) {
	cfg, err := plan.LoadStackConfig(".", "staging")
	require.NoError(t, err)
	cfg["octabyte:sleepSchedule"] = "mon-fri 08:00-20:00"
	delete(cfg, "octabyte:appImage")
	p, err := plan.Run(run, "staging", cfg)
	require.NoError(t, err)
	active := activeAlarms(p)
	assert.Less(t, len(active), len(p.ByType("aws:cloudwatch/metricAlarm:MetricAlarm")), "an alarm waits for the first image")
	assert.ElementsMatch(t, active, scheduleInput(t, p, "alarms-wake")["AlarmNames"])
}

// What the schedules change, later updates leave alone: no perpetual diff
// on the desired count or the alarm actions, no deploy re-enabling alarms
// at night.
func TestTheScheduleOwnsWhatItChanges(t *testing.T) {
	p := sleepingStaging(t)
	assert.Contains(t, plantest.One(t, p, "aws:ecs/service:Service").IgnoreChanges, "desiredCount")
	for _, a := range p.ByType("aws:cloudwatch/metricAlarm:MetricAlarm") {
		assert.Contains(t, a.IgnoreChanges, "actionsEnabled", a.Name)
	}

	cfg, err := plan.LoadStackConfig(".", "staging")
	require.NoError(t, err)
	cfg["octabyte:sleepSchedule"] = "mon-fri 08:00-20:00"
	bringUp, err := plan.Run(run, "staging", cfg)
	require.NoError(t, err)
	_, ok := bringUp.Find("aws:scheduler/schedule:Schedule", "app-wake")
	assert.False(t, ok, "before the first image there is no service to wake")
	_, ok = bringUp.Find("aws:scheduler/schedule:Schedule", "db-wake")
	assert.True(t, ok, "the database sleeps from the first deploy")

	awake := runStack(t, "staging")
	assert.NotContains(t, plantest.One(t, awake, "aws:ecs/service:Service").IgnoreChanges, "desiredCount")
	assert.Empty(t, awake.ByType("aws:scheduler/schedule:Schedule"))
}
