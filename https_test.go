package main

import (
	"bytes"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/octabyte/octabyte/internal/cli"
	"github.com/octabyte/octabyte/plan"
	"github.com/octabyte/octabyte/plan/plantest"
)

var onADomain = map[string]string{"octabyte:domainName": "app.example.com"}

// With a domain the plan holds the certificate, its validation record and
// the validation, the alias to the ALB, the HTTPS listener that waits for
// the validated certificate, and :80 redirecting to it.
func TestHTTPSOnADomainEndToEnd(t *testing.T) {
	for _, stack := range stacks {
		for _, mode := range modes {
			t.Run(stack+"/"+mode.String(), func(t *testing.T) {
				p := runWith(t, stack, mode, onADomain)
				plantest.One(t, p, "octabyte:dns:Domain")
				cert := plantest.One(t, p, "aws:acm/certificate:Certificate")
				validation := plantest.One(t, p, "aws:acm/certificateValidation:CertificateValidation")
				for _, r := range []plan.Resource{cert, validation} {
					_, ok := p.Ancestor(r, "octabyte:dns:Domain")
					assert.True(t, ok, "%s belongs to the domain", r.Type)
				}
				assert.Equal(t, "app.example.com", cert.Input("domainName"))
				records := map[string]plan.Resource{}
				for _, r := range p.ByType("aws:route53/record:Record") {
					records[r.Name] = r
				}
				require.Len(t, records, 2, "the validation CNAME and the alias")
				assert.True(t, validation.Refers("certificateArn", cert, "arn"))
				assert.Equal(t, []string{records["certificate-validation"].URN}, validation.PropertyDeps["validationRecordFqdns"])

				alias := records["alias"]
				alb := plantest.One(t, p, "aws:lb/loadBalancer:LoadBalancer")
				assert.Equal(t, "A", alias.Input("type"))
				assert.Equal(t, "app.example.com", alias.Input("name"))
				assert.Equal(t, records["certificate-validation"].Input("zoneId"), alias.Input("zoneId"), "both in the looked-up zone")
				assert.Regexp(t, `^Z[0-9A-Z]+$`, alias.Input("zoneId"), "looked up at preview already")
				assert.Contains(t, alias.PropertyDeps["aliases"], alb.URN)

				https, ok := p.Find("aws:lb/listener:Listener", "https")
				require.True(t, ok)
				assert.Equal(t, 443.0, https.Input("port"))
				assert.True(t, https.Refers("certificateArn", validation, "certificateArn"))
				assert.Equal(t, []string{validation.URN}, https.PropertyDeps["certificateArn"], "the listener waits for the validation, not just the request")
				http, _ := p.Find("aws:lb/listener:Listener", "http")
				assert.Equal(t, "redirect", plan.Lookup(http.Input("defaultActions").([]any)[0].(map[string]any), "type"))
				var open []any
				for _, r := range p.ByType("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule") {
					if r.Input("cidrIpv4") == "0.0.0.0/0" {
						open = append(open, r.Input("fromPort"))
					}
				}
				assert.ElementsMatch(t, []any{80.0, 443.0}, open)

				if mode == plan.Apply {
					assert.Equal(t, "https://app.example.com", p.Outputs["url"])
					assert.Equal(t, "https://app.example.com", p.Outputs["albUrl"])
					assert.Equal(t, alb.Outputs["dnsName"], p.Outputs["albDnsName"])
				} else {
					assert.Equal(t, "https://app.example.com", p.Outputs["url"], "the domain is config: known at preview")
				}
				for _, r := range p.Resources {
					if r.Parent == "" {
						assert.False(t, r.Custom, "%s %s sits at the stack root", r.Type, r.Name)
					}
				}
			})
		}
	}
}

func TestNoDomainNoCertificate(t *testing.T) {
	p := runStack(t, "staging")
	assert.Empty(t, p.ByType("octabyte:dns:Domain"))
	assert.Empty(t, p.ByType("aws:acm/certificate:Certificate"))
	assert.Empty(t, p.ByType("aws:route53/record:Record"))
	assert.Equal(t, p.Outputs["albUrl"], p.Outputs["url"])
}

// With Slack ids the plan holds the channel configuration, subscribed to the
// alarm topic; the channel's role is under the stack's path and boundary.
func TestSlackChannelInThePlan(t *testing.T) {
	slack := map[string]string{"octabyte:slackWorkspaceId": "T07EA123LEP", "octabyte:slackChannelId": "C07EZ1ABC23"}
	for _, mode := range modes {
		p := runWith(t, "prod", mode, slack)
		channel := plantest.One(t, p, "aws:chatbot/slackChannelConfiguration:SlackChannelConfiguration")
		topic := plantest.One(t, p, "aws:sns/topic:Topic")
		assert.True(t, channel.Refers("snsTopicArns", topic, "arn"), mode.String())
		role, ok := p.Find("aws:iam/role:Role", "chatbot")
		require.True(t, ok)
		assert.Equal(t, "/octabyte/prod/", role.Input("path"))
		assert.NotEmpty(t, role.Input("permissionsBoundary"))
		assert.Nil(t, topic.Input("tags"), "a destination: no declared exception")
	}
}

// A production `pulumi up` without an alarm destination is refused
// (config.DeployError, tested there); the offline plan and a preview, which
// run under the mock engine or as a dry run, go ahead and warn.
func TestProdPlanAndPreviewGoAheadWithoutAlarmDestination(t *testing.T) {
	for _, args := range [][]string{{"--stack", "prod"}, {"--stack", "prod", "--preview"}} {
		var out, errOut bytes.Buffer
		require.Equal(t, 0, cli.Plan(args, run, &out, &errOut), errOut.String())
		assert.Contains(t, out.String(), "alarms reach nobody: set octabyte:alarmEmails")
		assert.Contains(t, out.String(), "prod serves plain HTTP: set octabyte:domainName")
		assert.Contains(t, out.String(), "excused OPS-002")
		assert.Contains(t, out.String(), "advisory ADV-003")
	}
}
