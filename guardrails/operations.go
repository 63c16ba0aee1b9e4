package guardrails

import (
	"encoding/json"
	"slices"
	"strings"
)

const (
	typeLogGroup    = "aws:cloudwatch/logGroup:LogGroup"
	typeAlarm       = "aws:cloudwatch/metricAlarm:MetricAlarm"
	typeTargetGroup = "aws:lb/targetGroup:TargetGroup"
)

// RequiredTags must be in every stack's aws:defaultTags.
var RequiredTags = []string{"Project", "Environment", "Owner"}

// NameLimits are AWS's name length limits for the types that commonly hit them.
var NameLimits = map[string]int{typeLB: 32, typeTargetGroup: 32, typeRole: 64, typeRDS: 63, typeBucket: 63}

var operationsRules = []Rule{
	{ID: "OPS-001", Severity: Mandatory, Rationale: "Logs expire; a group without retention keeps (and bills) data forever.", Fix: "Set retentionInDays.",
		Check: func(s *Stack) []Finding {
			var out []Finding
			for _, g := range s.ByType(typeLogGroup) {
				if d, _ := num(g.Get("retentionInDays")); d <= 0 {
					out = append(out, find(g, "no retention"))
				}
			}
			return out
		}},
	{ID: "OPS-002", Severity: Mandatory, Rationale: "An alarm that notifies nobody is noise.", Fix: "Set alarmActions (and okActions) to the alarm topic.",
		Check: func(s *Stack) []Finding {
			var out []Finding
			for _, a := range s.ByType(typeAlarm) {
				if len(strs(a.Get("alarmActions"))) == 0 {
					out = append(out, find(a, "no alarm action"))
				}
			}
			return out
		}},
	{ID: "OPS-003", Severity: Mandatory, Rationale: "A failing deployment rolls back by itself.", Fix: "Enable the deployment circuit breaker with rollback.",
		Check: func(s *Stack) []Finding {
			var out []Finding
			for _, svc := range s.ByType(typeService) {
				if svc.Get("deploymentCircuitBreaker.enable") != true || svc.Get("deploymentCircuitBreaker.rollback") != true {
					out = append(out, find(svc, "no circuit breaker with rollback"))
				}
			}
			return out
		}},
	{ID: "OPS-004", Severity: Mandatory, Rationale: "Containers run as a non-root user on a read-only root filesystem and report their health.", Fix: "Set user, readonlyRootFilesystem and healthCheck on every container.",
		Check: func(s *Stack) []Finding {
			var out []Finding
			for _, td := range s.ByType(typeTaskDef) {
				var defs []struct {
					Name                   string
					User                   string
					ReadonlyRootFilesystem bool
					HealthCheck            *struct{ Command []string }
				}
				if json.Unmarshal([]byte(td.str("containerDefinitions")), &defs) != nil {
					out = append(out, find(td, "container definitions are not valid JSON"))
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
				if lb.Get("dropInvalidHeaderFields") != true || lb.Get("accessLogs.enabled") != true {
					out = append(out, find(lb, "drop invalid headers %v, access logs %v", lb.Get("dropInvalidHeaderFields"), lb.Get("accessLogs.enabled")))
				}
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
					name := r.str("name")
					if typ == typeBucket {
						name = r.str("bucket")
					}
					if typ == typeRDS {
						name = r.str("identifier")
					}
					if len(name) > limit {
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
				if s.Production && v.str("natGateways.strategy") != "OnePerAz" {
					out = append(out, find(v, "NAT strategy %q in production", v.str("natGateways.strategy")))
				}
			}
			return out
		}},
	{ID: "ADV-002", Severity: Advisory, Rationale: "Production clusters record per-task metrics (Container Insights).", Fix: "Set octabyte:containerInsights true.",
		Check: func(s *Stack) []Finding {
			var out []Finding
			for _, c := range s.ByType("aws:ecs/cluster:Cluster") {
				list, _ := c.Get("settings").([]any)
				on := false
				for _, item := range list {
					m, _ := item.(map[string]any)
					on = on || (m["name"] == "containerInsights" && m["value"] != "disabled")
				}
				if s.Production && !on {
					out = append(out, find(c, "Container Insights off in production"))
				}
			}
			return out
		}},
}

// Rules is every rule, in report order.
func Rules() []Rule {
	return slices.Concat(networkRules, dataRules, identityRules, operationsRules, advisoryRules)
}
