package sleep_test

import (
	"encoding/json"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/octabyte/octabyte/plan"
	"github.com/octabyte/octabyte/sleep"
)

func TestParseWindow(t *testing.T) {
	cases := []struct {
		expr  string
		days  []string
		start int
		end   int
	}{
		{"mon-fri 08:00-20:00", []string{"MON", "TUE", "WED", "THU", "FRI"}, 8 * 60, 20 * 60},
		{"weekdays 09:30-18:15", []string{"MON", "TUE", "WED", "THU", "FRI"}, 9*60 + 30, 18*60 + 15},
		{"daily 07:00-23:00", []string{"MON", "TUE", "WED", "THU", "FRI", "SAT", "SUN"}, 7 * 60, 23 * 60},
		{"mon,wed,fri 10:00-16:00", []string{"MON", "WED", "FRI"}, 10 * 60, 16 * 60},
		{"sat-sun,wed 10:00-16:00", []string{"WED", "SAT", "SUN"}, 10 * 60, 16 * 60},
		{"Mon-Fri 08:00-20:00", []string{"MON", "TUE", "WED", "THU", "FRI"}, 8 * 60, 20 * 60},
		{"wed-wed 08:00-20:00", []string{"WED"}, 8 * 60, 20 * 60},
		// The edges: the database starts 20 minutes before and stops 10
		// minutes after, on the same day.
		{"daily 00:20-23:49", []string{"MON", "TUE", "WED", "THU", "FRI", "SAT", "SUN"}, 20, 23*60 + 49},
	}
	for _, tc := range cases {
		w, err := sleep.ParseWindow(tc.expr)
		require.NoError(t, err, tc.expr)
		assert.Equal(t, tc.days, w.Days, tc.expr)
		assert.Equal(t, tc.start, w.Start, tc.expr)
		assert.Equal(t, tc.end, w.End, tc.expr)
	}
}

func TestParseWindowRejects(t *testing.T) {
	for expr, want := range map[string]string{
		"":                      "<days> HH:MM-HH:MM",
		"weekdays":              "<days> HH:MM-HH:MM",
		"mon-fri 8:00-20:00":    "<days> HH:MM-HH:MM",
		"mon-fry 08:00-20:00":   `"mon-fry" is not a day`,
		"fri-mon 08:00-20:00":   "runs backwards",
		"tue-mon 08:00-20:00":   "runs backwards",
		"mon-fri 20:00-08:00":   "must end after it starts",
		"mon-fri 08:00-08:00":   "must end after it starts",
		"mon-fri 25:00-26:00":   "not a time of day",
		"mon-fri 00:10-08:00":   "00:20 or later",
		"mon-fri 08:00-23:55":   "must end by 23:49",
		"mon-fri 08:00-23:50":   "must end by 23:49",
		"mon-fri 00:19-08:00":   "00:20 or later",
		"cron(0 8 ? * MON-FRI)": "<days> HH:MM-HH:MM",
	} {
		_, err := sleep.ParseWindow(expr)
		require.Error(t, err, expr)
		assert.Contains(t, err.Error(), want, expr)
	}
}

func TestAwakeFraction(t *testing.T) {
	w, err := sleep.ParseWindow("mon-fri 08:00-20:00")
	require.NoError(t, err)
	assert.InDelta(t, 60.0/168, w.AwakeFraction(), 1e-9, "60 of a week's 168 hours")
	assert.InDelta(t, 5*(12*60+20+10)/(168*60.0), w.DatabaseAwakeFraction(), 1e-9, "the database also runs 20 minutes before and 10 after")
	w, err = sleep.ParseWindow("daily 00:20-23:40")
	require.NoError(t, err)
	assert.InDelta(t, (23*60+20)/1440.0, w.AwakeFraction(), 1e-9)
	assert.InDelta(t, (23*60+50)/1440.0, w.DatabaseAwakeFraction(), 1e-9)
}

var alarmNames = []string{"octabyte-test-ecs-cpu-high", "octabyte-test-db-cpu-high"}

func build(t *testing.T) *plan.Plan {
	t.Helper()
	w, err := sleep.ParseWindow("mon-fri 08:00-20:00")
	require.NoError(t, err)
	w.TimeZone = "Asia/Kolkata"
	p, err := plan.Run(func(ctx *pulumi.Context) error {
		_, err := sleep.NewSchedule(ctx, "sleep", &sleep.ScheduleArgs{
			Window: w, Region: "ap-south-1", AccountID: plan.AccountID,
			DBInstanceID: pulumi.String("octabyte-test"), ClusterName: pulumi.String("cluster-1"), ServiceName: pulumi.String("app-1"),
			AwakeTasks: 2, AlarmNames: alarmNames,
		})
		return err
	}, "test", map[string]string{"aws:region": "ap-south-1"})
	require.NoError(t, err)
	return p
}

// Each step calls one API action at its time of day, on the awake days, in
// the configured time zone; the database wakes first and sleeps last.
func TestSchedulesStopAndStartEverythingInOrder(t *testing.T) {
	p := build(t)
	type want struct{ cron, target, input string }
	expect := map[string]want{
		"db-wake":      {"cron(40 7 ? * MON,TUE,WED,THU,FRI *)", "arn:aws:scheduler:::aws-sdk:rds:startDBInstance", `{"DbInstanceIdentifier":"octabyte-test"}`},
		"app-wake":     {"cron(0 8 ? * MON,TUE,WED,THU,FRI *)", "arn:aws:scheduler:::aws-sdk:ecs:updateService", `{"Cluster":"cluster-1","DesiredCount":2,"Service":"app-1"}`},
		"alarms-wake":  {"cron(15 8 ? * MON,TUE,WED,THU,FRI *)", "arn:aws:scheduler:::aws-sdk:cloudwatch:enableAlarmActions", `{"AlarmNames":["octabyte-test-ecs-cpu-high","octabyte-test-db-cpu-high"]}`},
		"alarms-sleep": {"cron(0 20 ? * MON,TUE,WED,THU,FRI *)", "arn:aws:scheduler:::aws-sdk:cloudwatch:disableAlarmActions", `{"AlarmNames":["octabyte-test-ecs-cpu-high","octabyte-test-db-cpu-high"]}`},
		"app-sleep":    {"cron(0 20 ? * MON,TUE,WED,THU,FRI *)", "arn:aws:scheduler:::aws-sdk:ecs:updateService", `{"Cluster":"cluster-1","DesiredCount":0,"Service":"app-1"}`},
		"db-sleep":     {"cron(10 20 ? * MON,TUE,WED,THU,FRI *)", "arn:aws:scheduler:::aws-sdk:rds:stopDBInstance", `{"DbInstanceIdentifier":"octabyte-test"}`},
	}
	schedules := p.ByType("aws:scheduler/schedule:Schedule")
	require.Len(t, schedules, len(expect))
	role, _ := p.Find("aws:iam/role:Role", "sleep")
	group, _ := p.Find("aws:scheduler/scheduleGroup:ScheduleGroup", "sleep")
	for _, s := range schedules {
		w, ok := expect[s.Name]
		require.True(t, ok, s.Name)
		assert.Equal(t, w.cron, s.Input("scheduleExpression"), s.Name)
		assert.Equal(t, "Asia/Kolkata", s.Input("scheduleExpressionTimezone"), s.Name)
		assert.Equal(t, w.target, s.Input("target.arn"), s.Name)
		assert.JSONEq(t, w.input, s.Input("target.input").(string), s.Name)
		assert.Equal(t, role.Outputs["arn"], s.Input("target.roleArn"), s.Name)
		assert.Equal(t, group.Outputs["name"], s.Input("groupName"), s.Name)
		assert.Equal(t, "OFF", s.Input("flexibleTimeWindow.mode"), s.Name)
		assert.Equal(t, 3600.0, s.Input("target.retryPolicy.maximumEventAgeInSeconds"), "a late retry must not undo the next step")
		assert.Equal(t, 5.0, s.Input("target.retryPolicy.maximumRetryAttempts"), "a few retries, not Scheduler's default 185")
	}
}

type statement struct {
	Sid       string
	Principal map[string]string
	Action    any
	Resource  any
	Condition map[string]map[string]string
}

func parse(t *testing.T, raw any) []statement {
	var doc struct{ Statement []statement }
	require.NoError(t, json.Unmarshal([]byte(raw.(string)), &doc))
	return doc.Statement
}

func TestSchedulerRoleIsTrustedByThisGroupOnlyAndActsOnThisStackOnly(t *testing.T) {
	p := build(t)
	role, ok := p.Find("aws:iam/role:Role", "sleep")
	require.True(t, ok)
	trust := parse(t, role.Input("assumeRolePolicy"))
	require.Len(t, trust, 1)
	assert.Equal(t, "scheduler.amazonaws.com", trust[0].Principal["Service"])
	assert.Equal(t, plan.AccountID, trust[0].Condition["StringEquals"]["aws:SourceAccount"])
	assert.Equal(t, "arn:aws:scheduler:ap-south-1:"+plan.AccountID+":schedule-group/octabyte-test-sleep", trust[0].Condition["StringEquals"]["aws:SourceArn"],
		"the Scheduler User Guide: aws:SourceArn must be the schedule group's ARN")

	policy, ok := p.Find("aws:iam/rolePolicy:RolePolicy", "sleep")
	require.True(t, ok)
	got := map[string]statement{}
	for _, s := range parse(t, policy.Input("policy")) {
		got[s.Sid] = s
	}
	assert.Equal(t, []any{"rds:StartDBInstance", "rds:StopDBInstance"}, got["StartStopTheDatabase"].Action)
	assert.Equal(t, "arn:aws:rds:ap-south-1:"+plan.AccountID+":db:octabyte-test", got["StartStopTheDatabase"].Resource)
	assert.Equal(t, "ecs:UpdateService", got["ScaleTheService"].Action)
	assert.Equal(t, "arn:aws:ecs:ap-south-1:"+plan.AccountID+":service/cluster-1/app-1", got["ScaleTheService"].Resource)
	assert.Equal(t, []any{"cloudwatch:DisableAlarmActions", "cloudwatch:EnableAlarmActions"}, got["QuietTheAlarms"].Action)
	assert.Equal(t, []any{"arn:aws:cloudwatch:ap-south-1:" + plan.AccountID + ":alarm:octabyte-test-ecs-cpu-high",
		"arn:aws:cloudwatch:ap-south-1:" + plan.AccountID + ":alarm:octabyte-test-db-cpu-high"}, got["QuietTheAlarms"].Resource)
	assert.Len(t, got, 3)
}
