package guardrails

import (
	"fmt"
	"slices"
	"strings"

	"github.com/octabyte/octabyte/plan"
)

const (
	typeLogGroup     = "aws:cloudwatch/logGroup:LogGroup"
	typeAlarm        = "aws:cloudwatch/metricAlarm:MetricAlarm"
	typeTargetGroup  = "aws:lb/targetGroup:TargetGroup"
	typeListener     = "aws:lb/listener:Listener"
	typeTopic        = "aws:sns/topic:Topic"
	typeSubscription = "aws:sns/topicSubscription:TopicSubscription"
	typeSlackChannel = "aws:chatbot/slackChannelConfiguration:SlackChannelConfiguration"
	typeTeamsChannel = "aws:chatbot/teamsChannelConfiguration:TeamsChannelConfiguration"
)

// alarmsReachSomebody finds alarms without actions, and topics that alarms
// notify but that deliver to nobody: no subscription, no chat channel.
// Alarm actions and destinations are traced to the stack's topics; an
// action that names a topic outside the stack is not judged.
func alarmsReachSomebody(s *Stack) []Finding {
	var out []Finding
	notified := map[string][]string{} // topic reference → names of the alarms that notify it
	for _, a := range s.ByType(typeAlarm) {
		if f := expect(a, "no alarm action", want{"alarmActions", nonEmpty}); len(f) > 0 {
			out = append(out, f...)
			continue
		}
		topics, traced := a.refs("alarmActions", typeTopic)
		if !traced {
			out = append(out, pending(a, []string{"alarmActions"}, "which topic the alarm notifies"))
			continue
		}
		for _, t := range topics {
			notified[t] = append(notified[t], a.Name)
		}
	}
	delivers := map[string]bool{}
	var untraced []string // destinations whose topic only apply can tell
	destinations := []struct{ typ, path string }{
		{typeSubscription, "topic"}, {typeSlackChannel, "snsTopicArns"}, {typeTeamsChannel, "snsTopicArns"},
	}
	for _, d := range destinations {
		for _, r := range s.ByType(d.typ) {
			topics, traced := r.refs(d.path, typeTopic)
			if !traced {
				untraced = append(untraced, r.Name+"."+d.path)
			}
			for _, t := range topics {
				delivers[t] = true
			}
		}
	}
	for _, topic := range s.ByType(typeTopic) {
		alarms := notified[topic.self("arn")]
		switch {
		case len(alarms) == 0 || delivers[topic.self("arn")]:
		case len(untraced) > 0:
			out = append(out, pending(topic, untraced, "whether the alarm topic has a subscription or chat channel"))
		default:
			slices.Sort(alarms)
			out = append(out, find(topic, "%d alarm(s) notify this topic, which has no subscription or chat channel: %s", len(alarms), strings.Join(alarms, ", ")))
		}
	}
	return out
}

// servesHTTPS finds load balancers without an HTTPS listener and, where
// one exists, HTTP listeners that serve rather than redirect to it.
func servesHTTPS(s *Stack) []Finding {
	var out []Finding
	listeners := s.ByType(typeListener)
	for _, lb := range s.ByType(typeLB) {
		https, plain, pendingOn := false, []Resource(nil), []string(nil)
		for _, l := range listeners {
			target, traced := l.refs("loadBalancerArn", typeLB)
			switch {
			case !traced:
				pendingOn = append(pendingOn, l.Name+".loadBalancerArn")
			case !slices.Contains(target, lb.self("arn")):
			case isUnknown(l.Get("protocol")) || isUnknown(l.Get("defaultActions")):
				pendingOn = append(pendingOn, l.Name+".protocol", l.Name+".defaultActions")
			case l.str("protocol") == "HTTPS":
				https = https || l.Get("certificateArn") != nil
			case l.str("protocol") == "HTTP" && !redirectsToHTTPS(l.Get("defaultActions")):
				plain = append(plain, l)
			}
		}
		switch {
		case https:
			for _, l := range plain {
				out = append(out, find(l, "HTTP listener on port %v serves traffic instead of redirecting it to HTTPS", l.Get("port")))
			}
		case len(pendingOn) > 0:
			out = append(out, pending(lb, pendingOn, "whether the load balancer serves HTTPS"))
		default:
			out = append(out, find(lb, "production load balancer serves plain HTTP: no HTTPS listener with a certificate"))
		}
	}
	return out
}

func redirectsToHTTPS(actions any) bool {
	list, _ := actions.([]any)
	for _, a := range list {
		m, _ := a.(map[string]any)
		if m["type"] != "redirect" || plan.Lookup(m, "redirect.protocol") != "HTTPS" {
			return false
		}
	}
	return len(list) > 0
}

// RequiredTags must be in every stack's aws:defaultTags.
var RequiredTags = []string{"Project", "Environment", "Owner"}

// NameLimits are AWS's name length limits for the types that commonly hit them.
var NameLimits = map[string]int{typeLB: 32, typeTargetGroup: 32, typeRole: 64, typeRDS: 63, typeBucket: 63}

var operationsRules = []Rule{
	{ID: "OPS-001", Severity: Mandatory, Rationale: "Logs expire; a group without retention keeps (and bills) data forever.", Fix: "Set retentionInDays.",
		Check: func(s *Stack) []Finding {
			var out []Finding
			for _, g := range s.ByType(typeLogGroup) {
				out = append(out, expect(g, "no retention", want{"retentionInDays", func(v any) bool { d, _ := num(v); return d > 0 }})...)
			}
			return out
		}},
	{ID: "OPS-002", Severity: Mandatory, Rationale: "An alarm that notifies nobody is noise.",
		Fix:   "Set alarmActions (and okActions) to the alarm topic, and give the topic a subscription or chat channel (octabyte:alarmEmails, or octabyte:slackWorkspaceId with octabyte:slackChannelId).",
		Check: alarmsReachSomebody},
	{ID: "OPS-003", Severity: Mandatory, Rationale: "A failing deployment rolls back by itself.", Fix: "Enable the deployment circuit breaker with rollback.",
		Check: func(s *Stack) []Finding {
			var out []Finding
			for _, svc := range s.ByType(typeService) {
				out = append(out, expect(svc, "no circuit breaker with rollback",
					is("deploymentCircuitBreaker.enable", true), is("deploymentCircuitBreaker.rollback", true))...)
			}
			return out
		}},
	{ID: "OPS-004", Severity: Mandatory, Rationale: "Containers run as a non-root user on a read-only root filesystem and report their health.", Fix: "Set user, readonlyRootFilesystem and healthCheck on every container.",
		Check: func(s *Stack) []Finding {
			var out []Finding
			for _, td := range s.ByType(typeTaskDef) {
				defs, problem := containers[struct {
					Name                   string
					User                   string
					ReadonlyRootFilesystem bool
					HealthCheck            *struct{ Command []string }
				}](td)
				if problem != nil {
					out = append(out, *problem)
					continue
				}
				for _, d := range defs {
					root := d.User == "" || d.User == "0" || d.User == "root" || strings.HasPrefix(d.User, "0:") || strings.HasPrefix(d.User, "root:")
					if root || !d.ReadonlyRootFilesystem || d.HealthCheck == nil || len(d.HealthCheck.Command) == 0 {
						out = append(out, find(td, "container %s: user %q, read-only root %v, health check %v", d.Name, d.User, d.ReadonlyRootFilesystem, d.HealthCheck != nil))
					}
				}
			}
			return out
		}},
	{ID: "OPS-005", Severity: Mandatory, Rationale: "The ALB drops malformed headers (request smuggling) and keeps access logs.", Fix: "Set dropInvalidHeaderFields and enable accessLogs.",
		Check: func(s *Stack) []Finding {
			var out []Finding
			for _, lb := range s.ByType(typeLB) {
				out = append(out, expect(lb, fmt.Sprintf("drop invalid headers %v, access logs %v", lb.Get("dropInvalidHeaderFields"), lb.Get("accessLogs.enabled")),
					is("dropInvalidHeaderFields", true), is("accessLogs.enabled", true))...)
			}
			return out
		}},
	{ID: "OPS-006", Severity: Mandatory, Rationale: "Every taggable resource says which project, environment and owner it belongs to.", Fix: "Set aws:defaultTags with Project, Environment and Owner in the stack file.",
		Check: func(s *Stack) []Finding {
			if s.DefaultTags == nil {
				return nil // the engine cannot see provider config (policy pack); the offline plan checks it
			}
			var missing []string
			for _, k := range RequiredTags {
				if s.DefaultTags[k] == "" {
					missing = append(missing, k)
				}
			}
			if len(missing) == 0 {
				return nil
			}
			return []Finding{{Resource: Resource{Type: "pulumi:providers:aws", Name: "default"}, Message: "aws:defaultTags lacks " + strings.Join(missing, ", ")}}
		}},
	{ID: "OPS-007", Severity: Mandatory, Rationale: "Names within AWS's limits, or the create fails mid-deploy.", Fix: "Shorten the name or let Pulumi auto-name the resource.",
		Check: func(s *Stack) []Finding {
			var out []Finding
			for typ, limit := range NameLimits {
				for _, r := range s.ByType(typ) {
					path := "name"
					if typ == typeBucket {
						path = "bucket"
					}
					if typ == typeRDS {
						path = "identifier"
					}
					// An absent name is auto-assigned within the limit; a
					// computed one is only known after apply.
					switch name := r.str(path); {
					case plan.IsUnknown(r.Inputs[path]):
						out = append(out, pending(r, []string{path}, "length of the name"))
					case len(name) > limit:
						out = append(out, find(r, "name %q is %d characters; the limit is %d", name, len(name), limit))
					}
				}
			}
			return out
		}},
}

var advisoryRules = []Rule{
	{ID: "ADV-001", Severity: Advisory, Rationale: "Production survives an AZ outage: one NAT gateway per AZ.", Fix: "Set octabyte:natGateways onePerAz.",
		Check: func(s *Stack) []Finding {
			var out []Finding
			for _, v := range s.ByType(typeAwsxVpc) {
				if s.Production {
					out = append(out, expect(v, fmt.Sprintf("NAT strategy %v in production", v.Get("natGateways.strategy")), is("natGateways.strategy", "OnePerAz"))...)
				}
			}
			return out
		}},
	{ID: "ADV-002", Severity: Advisory, Rationale: "Production clusters record per-task metrics (Container Insights).", Fix: "Set octabyte:containerInsights true.",
		Check: func(s *Stack) []Finding {
			var out []Finding
			for _, c := range s.ByType("aws:ecs/cluster:Cluster") {
				if s.Production {
					out = append(out, expect(c, "Container Insights off in production", want{"settings", func(v any) bool {
						list, _ := v.([]any)
						for _, item := range list {
							m, _ := item.(map[string]any)
							if m["name"] == "containerInsights" && (m["value"] == "enabled" || m["value"] == "enhanced") {
								return true
							}
						}
						return false
					}})...)
				}
			}
			return out
		}},
	{ID: "ADV-003", Severity: Advisory, Rationale: "Production serves HTTPS, and HTTP only redirects to it.",
		Fix: "Set octabyte:domainName (the stack issues and validates the certificate) or octabyte:certificateArn.",
		Check: func(s *Stack) []Finding {
			if !s.Production {
				return nil
			}
			return servesHTTPS(s)
		}},
}

// Rules is every rule, in report order.
func Rules() []Rule {
	return slices.Concat(networkRules, dataRules, identityRules, ec2Rules, operationsRules, advisoryRules)
}
