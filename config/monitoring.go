package config

import (
	"fmt"
	"net/mail"
	"regexp"
	"strings"

	"github.com/octabyte/octabyte/monitoring"
)

// readMonitoring reads the alarm settings. Log retention, the database
// class and Container Insights come from the keys that already set them.
func readMonitoring(r *reader, c *Config) monitoring.MonitoringArgs {
	m := monitoring.MonitoringArgs{
		Region:      c.Region,
		Environment: c.Stack,
		AlarmEmails: r.list("alarmEmails", "Email addresses notified when an alarm fires or recovers (each must confirm the subscription SNS sends)"),
		Slack: monitoring.SlackChannel{
			WorkspaceID: r.str("slackWorkspaceId", "", "Slack workspace id authorized in AWS Chatbot, e.g. T07EA123LEP; with octabyte:slackChannelId, alarms post to that channel"),
			ChannelID:   r.str("slackChannelId", "", "Slack channel id alarms post to through AWS Chatbot, e.g. C07EZ1ABC23 (not the channel's name)"),
		},
		LogRetentionDays:  c.LogRetentionDays,
		ContainerInsights: c.Compute.ContainerInsights,
		DBInstanceClass:   c.Database.InstanceClass,
		KeyDeletionDays:   30,
		Thresholds: monitoring.Thresholds{
			EcsCPUPercent:        r.integer("alarmEcsCpuPercent", 80, "Alarm when the service's average CPU stays above this percent for 5 minutes", 1, 100),
			EcsMemoryPercent:     r.integer("alarmEcsMemoryPercent", 80, "Alarm when a task's memory stays above this percent for 5 minutes", 1, 100),
			ALB5xxCount:          r.integer("alarmAlb5xxCount", 10, "Alarm when the load balancer itself returns more than this many 5XX responses in 5 minutes", 1, 1000000),
			Target5xxPercent:     r.integer("alarmTarget5xxPercent", 5, "Alarm when more than this percent of requests get a 5XX from the app over 5 minutes", 1, 100),
			Target5xxMinRequests: r.integer("alarmTarget5xxMinRequests", 10, "The 5XX rate alarm ignores 5-minute periods with fewer requests than this", 1, 1000000),
			LatencyP99Ms:         r.integer("alarmLatencyP99Ms", 2000, "Alarm when the p99 target response time stays above this many milliseconds for 10 minutes", 10, 60000),
			DBCPUPercent:         r.integer("alarmDbCpuPercent", 80, "Alarm when the database's average CPU stays above this percent for 15 minutes", 1, 100),
			DBConnectionsPercent: r.integer("alarmDbConnectionsPercent", 80, "Alarm when database connections exceed this percent of max_connections for 10 minutes", 10, 100),
			DBMaxConnections:     r.integer("alarmDbMaxConnections", 0, "max_connections of the database; 0 estimates RDS's default for octabyte:dbInstanceClass", 0, 262143),
			DBFreeStorageGB:      r.integer("alarmDbFreeStorageGb", 2, "Alarm when the database has less than this many GiB of storage left", 1, 65536),
			DBFreeMemoryPercent:  r.integer("alarmDbFreeMemoryPercent", 10, "Alarm when the database's freeable memory stays below this percent of its instance memory for 15 minutes", 1, 90),
		},
	}
	if c.Compute.ForceDelete { // disposable stacks: shortest waiting period
		m.KeyDeletionDays = 7
	}
	checkEmails(r, m.AlarmEmails)
	checkSlack(r, m.Slack)
	if storage := c.Database.AllocatedStorageGB; m.Thresholds.DBFreeStorageGB >= storage {
		r.fail("alarmDbFreeStorageGb", fmt.Sprint(m.Thresholds.DBFreeStorageGB), "must be less than octabyte:dbAllocatedStorageGb (%d)", storage)
	}
	if _, known := monitoring.InstanceMemoryMiB(m.DBInstanceClass); !known && instanceClassPattern.MatchString(m.DBInstanceClass) {
		r.fail("dbInstanceClass", m.DBInstanceClass, "the alarms size their memory and connection thresholds from the class memory and know db.t*, db.m* and db.r* classes only")
	}
	return m
}

// checkEmails accepts bare addresses (ops@example.com), each once.
func checkEmails(r *reader, emails []string) {
	seen := map[string]bool{}
	for _, e := range emails {
		addr, err := mail.ParseAddress(e)
		domain := e[strings.LastIndex(e, "@")+1:]
		if err != nil || addr.Address != e || !strings.Contains(domain, ".") || strings.HasSuffix(domain, ".") {
			r.fail("alarmEmails", e, "must be a list of bare email addresses such as ops@example.com")
			continue
		}
		if key := strings.ToLower(e); seen[key] {
			r.fail("alarmEmails", e, "is listed twice")
		} else {
			seen[key] = true
		}
	}
}

// Slack ids as AWS Chatbot's CreateSlackChannelConfiguration accepts them
// (SlackTeamId ^[0-9A-Z]{1,255}$, SlackChannelId ^[A-Za-z0-9]+$, AWS
// Chatbot API Reference), narrowed to Slack's own forms: a workspace (team)
// id starts with T, a channel id with C, or G for an older private channel.
// Chatbot does not check a channel id against Slack: a channel name would
// deploy and then deliver nothing.
var (
	slackWorkspacePattern = regexp.MustCompile(`^T[0-9A-Z]{2,254}$`)
	slackChannelPattern   = regexp.MustCompile(`^[CG][0-9A-Z]{2,254}$`)
)

// checkSlack accepts both Slack ids or neither, each in Slack's form.
func checkSlack(r *reader, s monitoring.SlackChannel) {
	switch {
	case s.WorkspaceID != "" && !slackWorkspacePattern.MatchString(s.WorkspaceID):
		r.fail("slackWorkspaceId", s.WorkspaceID, "must be a Slack workspace id: T and uppercase letters and digits, e.g. T07EA123LEP (the AWS Chatbot console shows it once the workspace is authorized)")
	case s.WorkspaceID == "" && s.ChannelID != "":
		r.fail("slackWorkspaceId", "", "must be set with octabyte:slackChannelId: the workspace authorized in the AWS Chatbot console")
	}
	switch {
	case s.ChannelID != "" && !slackChannelPattern.MatchString(s.ChannelID):
		r.fail("slackChannelId", s.ChannelID, "must be a Slack channel id: C (or G for an older private channel) and uppercase letters and digits, e.g. C07EZ1ABC23, not the channel's name")
	case s.ChannelID == "" && s.WorkspaceID != "":
		r.fail("slackChannelId", "", "must be set with octabyte:slackWorkspaceId: the channel alarms post to")
	}
}
