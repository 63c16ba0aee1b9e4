package main

import (
	"encoding/json"
	"maps"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/octabyte/octabyte/guardrails"
	"github.com/octabyte/octabyte/internal/suppress"
	"github.com/octabyte/octabyte/plan"
)

func stackFor(t *testing.T, name string) *guardrails.Stack {
	t.Helper()
	return guardrails.FromPlan(runStack(t, name))
}

// stackIn is the stack as the offline plan (apply) or a first preview sees it.
func stackIn(t *testing.T, name string, mode plan.Mode) *guardrails.Stack {
	t.Helper()
	return guardrails.FromPlan(runStackIn(t, name, mode))
}

var modes = []plan.Mode{plan.Apply, plan.Preview}

// productionReady is prod as it should run: HTTPS on a domain of its own and
// alarms that reach somebody. On it no rule fires, so a negative case shows
// exactly the rule it breaks.
func productionReady(t *testing.T, mode plan.Mode, extra map[string]string) *guardrails.Stack {
	t.Helper()
	cfg, err := plan.LoadStackConfig(".", "prod")
	require.NoError(t, err)
	cfg["octabyte:domainName"] = "app.example.com"
	cfg["octabyte:alarmEmails"] = `["oncall@example.com"]`
	cfg["octabyte:appImage"] = deployedDigest
	maps.Copy(cfg, extra)
	p, err := plan.RunProject(plan.Project, mode, run, "prod", cfg)
	require.NoError(t, err)
	return guardrails.FromPlan(p)
}

func TestBothStacksHaveNoMandatoryViolations(t *testing.T) {
	for _, mode := range modes {
		for _, name := range stacks {
			t.Run(mode.String()+"/"+name, func(t *testing.T) {
				rep := guardrails.Evaluate(stackIn(t, name, mode), guardrails.Rules())
				assert.NoError(t, rep.Err())
			})
		}
	}
}

// At preview only checks that need a value AWS computes wait for apply:
// the subnets awsx assigns, and documents built from ARNs. Everything the
// rules can trace (security group references, bucket companions, the
// parameter group) is decided before anything exists.
func TestAFirstPreviewLeavesOnlyComputedValuesToApply(t *testing.T) {
	for _, name := range stacks {
		t.Run(name, func(t *testing.T) {
			waiting := map[string]bool{}
			for _, v := range guardrails.Evaluate(stackIn(t, name, plan.Preview), guardrails.Rules()).UnknownUntilApply() {
				waiting[v.Rule.ID] = true
				assert.NotEmpty(t, v.Finding.Unknown)
			}
			assert.Equal(t, []string{"DATA-003", "DATA-010", "IAM-001", "IAM-002", "IAM-004", "NET-004", "OPS-004"}, slices.Sorted(maps.Keys(waiting)))
			assert.Empty(t, guardrails.Evaluate(stackIn(t, name, plan.Apply), guardrails.Rules()).UnknownUntilApply(), "after apply every value is known")
		})
	}
}

// A staging stack on a NAT instance passes every mandatory rule, in both
// plan modes.
func TestNATInstanceStackPassesTheGuardrails(t *testing.T) {
	for _, mode := range modes {
		cfg, err := plan.LoadStackConfig(".", "staging")
		require.NoError(t, err)
		cfg["octabyte:natGateways"] = "instance"
		p, err := plan.RunProject(plan.Project, mode, run, "staging", cfg)
		require.NoError(t, err)
		require.Len(t, p.ByType("aws:ec2/instance:Instance"), 1)
		assert.NoError(t, guardrails.Evaluate(guardrails.FromPlan(p), guardrails.Rules()).Err(), mode)
	}
}

func TestSuppressionsAreListedWithTheirReason(t *testing.T) {
	rep := guardrails.Evaluate(stackFor(t, "staging"), guardrails.Rules())
	var excused []string
	for _, v := range rep.Violations {
		if v.Suppressed != "" {
			excused = append(excused, v.Rule.ID+" "+v.Finding.Resource.Name)
		}
	}
	assert.ElementsMatch(t, []string{"NET-007 task-out-https", "IAM-003 execution", "OPS-002 alarms"}, excused, "staging's alarms have no destination")
}

// AWS accepts only these characters in tag values; a suppression reason is one.
var tagValue = regexp.MustCompile(`^[\p{L}\p{Z}\p{N}_.:/=+\-@]{1,256}$`)

func TestSuppressionReasonsAreValidTagValues(t *testing.T) {
	for _, r := range stackFor(t, "prod").Resources {
		tags, _ := r.Inputs["tags"].(map[string]any)
		for k, v := range tags {
			if strings.HasPrefix(k, suppress.TagPrefix) {
				assert.Regexp(t, tagValue, v, "%s %s", r.Type, r.Name)
			}
		}
	}
}

// mutate changes the first resource of a type (or with that name) in place.
func mutate(s *guardrails.Stack, typ, name string, change func(in map[string]any)) {
	for _, r := range s.Resources {
		if r.Type == typ && (name == "" || r.Name == name) {
			change(r.Inputs)
			change(r.Outputs) // the mock echoes inputs in its outputs
			return
		}
	}
	panic("no " + typ + " " + name)
}

func add(s *guardrails.Stack, r guardrails.Resource) { s.Resources = append(s.Resources, r) }

func policyJSON(statements ...map[string]any) string {
	b, _ := json.Marshal(map[string]any{"Version": "2012-10-17", "Statement": statements})
	return string(b)
}

// editContainer changes the first container definition. At preview the
// definitions are unknown; the edit then starts from a known, compliant
// one, so the broken value the rule must catch is known.
func editContainer(in map[string]any, change func(c map[string]any)) {
	var defs []map[string]any
	if raw, ok := in["containerDefinitions"].(string); ok {
		_ = json.Unmarshal([]byte(raw), &defs)
	} else {
		defs = []map[string]any{{"name": "app", "user": "65532:65532", "readonlyRootFilesystem": true,
			"healthCheck": map[string]any{"command": []any{"CMD", "/app", "healthcheck"}}, "environment": []any{}}}
	}
	change(defs[0])
	b, _ := json.Marshal(defs)
	in["containerDefinitions"] = string(b)
}

// instance is a compliant EC2 instance with the given inputs changed.
func instance(changes map[string]any) guardrails.Resource {
	in := map[string]any{
		"instanceType":    "t4g.nano",
		"metadataOptions": map[string]any{"httpTokens": "required"},
		"rootBlockDevice": map[string]any{"encrypted": true},
	}
	for k, v := range changes {
		in[k] = v
	}
	return guardrails.Resource{Type: "aws:ec2/instance:Instance", Name: "extra", URN: "urn:pulumi:prod::octabyte::aws:ec2/instance:Instance::extra", Inputs: in}
}

// reference points the input at path of the named resource at target: its
// id when known (apply), else an unknown value traced to target, as a
// preview records it.
func reference(s *guardrails.Stack, typ, name, path string, target guardrails.Resource) {
	for i, r := range s.Resources {
		if r.Type != typ || r.Name != name {
			continue
		}
		var id any = plan.Unknown{}
		if known, ok := target.Outputs["id"].(string); ok {
			id = known
		}
		r.Inputs[path] = id
		if r.Deps == nil {
			s.Resources[i].Deps = map[string][]string{}
		}
		s.Resources[i].Deps[path] = []string{target.URN}
		return
	}
	panic("no " + typ + " " + name)
}

func resourceNamed(s *guardrails.Stack, typ, name string) guardrails.Resource {
	for _, r := range s.Resources {
		if r.Type == typ && r.Name == name {
			return r
		}
	}
	panic("no " + typ + " " + name)
}

// Each deliberately bad change makes exactly its rule fire.
func TestEveryRuleCatchesItsViolation(t *testing.T) {
	const (
		sgIn  = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"
		sgOut = "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule"
		rds   = "aws:rds/instance:Instance"
	)
	cases := map[string]func(s *guardrails.Stack){
		"NET-001": func(s *guardrails.Stack) {
			mutate(s, sgIn, "db-in-task", func(in map[string]any) { delete(in, "referencedSecurityGroupId"); in["cidrIpv4"] = "0.0.0.0/0" })
			mutate(s, sgIn, "db-in-task", func(in map[string]any) { in["securityGroupId"] = "sg-unrelated" })
		},
		"NET-002": func(s *guardrails.Stack) {
			mutate(s, sgIn, "task-in-alb", func(in map[string]any) { in["fromPort"], in["toPort"] = 0.0, 65535.0 })
		},
		"NET-003": func(s *guardrails.Stack) {
			reference(s, sgIn, "db-in-task", "referencedSecurityGroupId", resourceNamed(s, "aws:ec2/securityGroup:SecurityGroup", "alb"))
		},
		"NET-004": func(s *guardrails.Stack) {
			mutate(s, "aws:ecs/service:Service", "", func(in map[string]any) {
				in["networkConfiguration"].(map[string]any)["assignPublicIp"] = true
			})
		},
		"NET-005": func(s *guardrails.Stack) {
			mutate(s, "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup", "", func(in map[string]any) {
				in["ingress"] = []any{map[string]any{"protocol": "-1", "self": true}}
			})
		},
		"NET-006": func(s *guardrails.Stack) {
			mutate(s, "aws:ec2/flowLog:FlowLog", "", func(in map[string]any) { in["trafficType"] = "REJECT" })
		},
		"NET-007": func(s *guardrails.Stack) {
			mutate(s, sgOut, "task-out-db", func(in map[string]any) { delete(in, "referencedSecurityGroupId"); in["cidrIpv4"] = "0.0.0.0/0" })
		},
		"NET-008": func(s *guardrails.Stack) {
			add(s, guardrails.Resource{Type: "aws:ec2/subnet:Subnet", Name: "vpc-public-1", URN: "urn:subnet",
				Inputs: map[string]any{"cidrBlock": "10.0.0.0/24", "mapPublicIpOnLaunch": true}})
		},
		"NET-009": func(s *guardrails.Stack) {
			// An endpoint behind the load balancer's group, open to the internet on 80.
			alb := resourceNamed(s, "aws:ec2/securityGroup:SecurityGroup", "alb")
			add(s, guardrails.Resource{Type: "aws:ec2/vpcEndpoint:VpcEndpoint", Name: "logs", URN: "urn:logs",
				Inputs: map[string]any{"vpcEndpointType": "Interface", "serviceName": "com.amazonaws.ap-south-1.logs"}, Outputs: map[string]any{}})
			reference(s, "aws:ec2/vpcEndpoint:VpcEndpoint", "logs", "securityGroupIds", alb)
			mutate(s, "aws:ec2/vpcEndpoint:VpcEndpoint", "logs", func(in map[string]any) { in["securityGroupIds"] = []any{in["securityGroupIds"]} })
		},
		"DATA-001": func(s *guardrails.Stack) {
			mutate(s, rds, "", func(in map[string]any) { in["storageEncrypted"] = false })
		},
		"DATA-002": func(s *guardrails.Stack) {
			mutate(s, rds, "", func(in map[string]any) { in["publiclyAccessible"] = true })
		},
		"DATA-003": func(s *guardrails.Stack) {
			var public any = plan.Unknown{} // at preview: as unknown as the private ones
			for _, v := range s.ByType("awsx:ec2:Vpc") {
				if ids, ok := v.Outputs["publicSubnetIds"].([]any); ok {
					public = ids
				}
			}
			mutate(s, "aws:rds/subnetGroup:SubnetGroup", "", func(in map[string]any) { in["subnetIds"] = public })
		},
		"DATA-004": func(s *guardrails.Stack) {
			mutate(s, rds, "", func(in map[string]any) { in["manageMasterUserPassword"] = false; in["password"] = "hunter2hunter2" })
		},
		"DATA-005": func(s *guardrails.Stack) {
			mutate(s, "aws:rds/parameterGroup:ParameterGroup", "", func(in map[string]any) {
				in["parameters"] = []any{map[string]any{"name": "rds.force_ssl", "value": "0"}}
			})
		},
		"DATA-006": func(s *guardrails.Stack) {
			mutate(s, rds, "", func(in map[string]any) { in["backupRetentionPeriod"] = 3.0 })
		},
		"DATA-007": func(s *guardrails.Stack) {
			mutate(s, rds, "", func(in map[string]any) { in["skipFinalSnapshot"] = true })
		},
		"DATA-008": func(s *guardrails.Stack) {
			mutate(s, "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock", "", func(in map[string]any) { in["blockPublicPolicy"] = false })
		},
		"DATA-009": func(s *guardrails.Stack) {
			mutate(s, "aws:s3/bucketServerSideEncryptionConfigurationV2:BucketServerSideEncryptionConfigurationV2", "", func(in map[string]any) { in["bucket"] = "elsewhere" })
		},
		"DATA-010": func(s *guardrails.Stack) {
			mutate(s, "aws:s3/bucketPolicy:BucketPolicy", "", func(in map[string]any) {
				in["policy"] = policyJSON(map[string]any{"Effect": "Allow", "Principal": map[string]any{"AWS": "arn:aws:iam::718504428378:root"}, "Action": "s3:PutObject", "Resource": "arn:aws:s3:::x/*"})
			})
		},
		"DATA-011": func(s *guardrails.Stack) {
			mutate(s, "aws:s3/bucketLifecycleConfigurationV2:BucketLifecycleConfigurationV2", "", func(in map[string]any) { in["rules"] = []any{} })
		},
		"DATA-012": func(s *guardrails.Stack) {
			mutate(s, "aws:ecr/repository:Repository", "", func(in map[string]any) { in["imageTagMutability"] = "MUTABLE" })
		},
		"IAM-001": func(s *guardrails.Stack) {
			mutate(s, "aws:iam/rolePolicy:RolePolicy", "execution", func(in map[string]any) {
				in["policy"] = policyJSON(map[string]any{"Effect": "Allow", "Action": "*", "Resource": "arn:aws:s3:::x"})
			})
		},
		"IAM-002": func(s *guardrails.Stack) {
			mutate(s, "aws:iam/rolePolicy:RolePolicy", "execution", func(in map[string]any) {
				in["policy"] = policyJSON(map[string]any{"Effect": "Allow", "Action": "secretsmanager:GetSecretValue", "Resource": "*"},
					map[string]any{"Effect": "Allow", "Action": "s3:PutObject", "Resource": "*"})
			})
		},
		"IAM-003": func(s *guardrails.Stack) {
			mutate(s, "aws:iam/role:Role", "task", func(in map[string]any) {
				in["assumeRolePolicy"] = policyJSON(map[string]any{"Effect": "Allow", "Principal": map[string]any{"Service": "ecs-tasks.amazonaws.com"}, "Action": "sts:AssumeRole"})
			})
		},
		"IAM-004": func(s *guardrails.Stack) {
			mutate(s, "aws:ecs/taskDefinition:TaskDefinition", "", func(in map[string]any) {
				editContainer(in, func(c map[string]any) {
					c["environment"] = append(c["environment"].([]any), map[string]any{"name": "DB_PASSWORD", "value": "x"})
				})
			})
		},
		"EC2-001": func(s *guardrails.Stack) {
			add(s, instance(map[string]any{"metadataOptions": map[string]any{"httpTokens": "optional"}}))
		},
		"EC2-002": func(s *guardrails.Stack) {
			add(s, instance(map[string]any{"rootBlockDevice": map[string]any{"encrypted": false}}))
		},
		"EC2-003": func(s *guardrails.Stack) {
			add(s, instance(map[string]any{"keyName": "ops"}))
		},
		"OPS-001": func(s *guardrails.Stack) {
			mutate(s, "aws:cloudwatch/logGroup:LogGroup", "", func(in map[string]any) { delete(in, "retentionInDays") })
		},
		"OPS-002": func(s *guardrails.Stack) {
			add(s, guardrails.Resource{Type: "aws:cloudwatch/metricAlarm:MetricAlarm", Name: "silent", URN: "urn:silent", Inputs: map[string]any{"metricName": "CPUUtilization"}})
		},
		"ADV-003": func(s *guardrails.Stack) {
			mutate(s, "aws:lb/listener:Listener", "http", func(in map[string]any) {
				in["defaultActions"] = []any{map[string]any{"type": "forward", "targetGroupArn": plan.Unknown{}}}
			})
		},
		"OPS-003": func(s *guardrails.Stack) {
			mutate(s, "aws:ecs/service:Service", "", func(in map[string]any) {
				in["deploymentCircuitBreaker"] = map[string]any{"enable": true, "rollback": false}
			})
		},
		"OPS-004": func(s *guardrails.Stack) {
			mutate(s, "aws:ecs/taskDefinition:TaskDefinition", "", func(in map[string]any) {
				editContainer(in, func(c map[string]any) { c["user"] = "0:0" })
			})
		},
		"OPS-005": func(s *guardrails.Stack) {
			mutate(s, "aws:lb/loadBalancer:LoadBalancer", "", func(in map[string]any) { in["dropInvalidHeaderFields"] = false })
		},
		"OPS-006": func(s *guardrails.Stack) { delete(s.DefaultTags, "Owner") },
		"ADV-001": func(s *guardrails.Stack) {
			mutate(s, "awsx:ec2:Vpc", "", func(in map[string]any) { in["natGateways"] = map[string]any{"strategy": "Single"} })
		},
		"ADV-002": func(s *guardrails.Stack) {
			mutate(s, "aws:ecs/cluster:Cluster", "", func(in map[string]any) {
				in["settings"] = []any{map[string]any{"name": "containerInsights", "value": "disabled"}}
			})
		},
		"OPS-007": func(s *guardrails.Stack) {
			mutate(s, "aws:lb/targetGroup:TargetGroup", "", func(in map[string]any) { in["name"] = "octabyte-production-application-tg" })
		},
	}
	var ids []string
	for _, r := range guardrails.Rules() {
		ids = append(ids, r.ID)
	}
	// Only the subnets' ids are unknown in every preview: a subnet group
	// built from the public subnets cannot be told from one built from the
	// private ones before apply, so the rule waits rather than passes.
	waitsAtPreview := map[string]bool{"DATA-003": true}
	for _, mode := range modes {
		for _, id := range ids {
			t.Run(mode.String()+"/"+id, func(t *testing.T) {
				bad, ok := cases[id]
				require.True(t, ok, "rule %s has no negative test", id)
				s := productionReady(t, mode, nil)
				for _, v := range guardrails.Evaluate(s, guardrails.Rules()).Violations {
					require.False(t, v.Open(), "before the change: %s %s %s", v.Rule.ID, v.Finding.Resource.Name, v.Finding.Message)
				}
				bad(s)
				rep := guardrails.Evaluate(s, guardrails.Rules())
				var fired []string
				for _, v := range rep.Violations {
					if v.Open() {
						fired = append(fired, v.Rule.ID)
					}
				}
				if mode == plan.Preview && waitsAtPreview[id] {
					assert.Empty(t, fired)
					assert.NotEmpty(t, openOrPending(rep, id), "%s must wait for apply, not pass", id)
					return
				}
				assert.NotEmpty(t, fired)
				for _, f := range fired {
					assert.Equal(t, id, f, "only %s should fire", id)
				}
			})
		}
	}
	assert.Len(t, cases, len(ids), "a negative case for a rule that does not exist")
}

// openOrPending lists the rule's findings that are not excused.
func openOrPending(rep guardrails.Report, id string) []guardrails.Violation {
	var out []guardrails.Violation
	for _, v := range rep.Violations {
		if v.Rule.ID == id && v.Suppressed == "" {
			out = append(out, v)
		}
	}
	return out
}

// remove drops every resource of a type from the stack.
func remove(s *guardrails.Stack, typ string) {
	s.Resources = slices.DeleteFunc(s.Resources, func(r guardrails.Resource) bool { return r.Type == typ })
}

// findings lists the rule's findings as "verdict resource", verdict being
// open, pending or excused.
func findings(s *guardrails.Stack, id string) []string {
	var out []string
	for _, v := range guardrails.Evaluate(s, guardrails.Rules()).Violations {
		if v.Rule.ID != id {
			continue
		}
		verdict := "open"
		switch {
		case v.Suppressed != "":
			verdict = "excused"
		case len(v.Finding.Unknown) > 0:
			verdict = "pending"
		}
		out = append(out, verdict+" "+v.Finding.Resource.Name)
	}
	return out
}

// OPS-002: the topic the alarms notify must deliver to somebody, an email
// subscription or a chat channel, traced to the topic as AWS would.
func TestAlarmsReachSomebody(t *testing.T) {
	const subscription = "aws:sns/topicSubscription:TopicSubscription"
	slack := map[string]string{"octabyte:alarmEmails": "[]", "octabyte:slackWorkspaceId": "T07EA123LEP", "octabyte:slackChannelId": "C07EZ1ABC23"}
	for _, mode := range modes {
		t.Run(mode.String(), func(t *testing.T) {
			assert.Empty(t, findings(productionReady(t, mode, nil), "OPS-002"), "an email subscription")
			assert.Empty(t, findings(productionReady(t, mode, slack), "OPS-002"), "a Slack channel")
			s := productionReady(t, mode, slack)
			for i, r := range s.Resources {
				if r.Type == "aws:chatbot/slackChannelConfiguration:SlackChannelConfiguration" {
					s.Resources[i].Type = "aws:chatbot/teamsChannelConfiguration:TeamsChannelConfiguration" // same snsTopicArns input
				}
			}
			assert.Empty(t, findings(s, "OPS-002"), "a Microsoft Teams channel")
			s = productionReady(t, mode, nil)
			add(s, guardrails.Resource{Type: "aws:sns/topic:Topic", Name: "quiet", URN: "urn:quiet", Inputs: map[string]any{}, Outputs: map[string]any{}})
			assert.Empty(t, findings(s, "OPS-002"), "a topic no alarm notifies needs no destination")

			s = productionReady(t, mode, nil)
			remove(s, subscription)
			assert.Equal(t, []string{"open alarms"}, findings(s, "OPS-002"), "a topic nobody reads")

			s = productionReady(t, mode, nil)
			mutate(s, subscription, "", func(in map[string]any) { in["topic"] = plan.Unknown{} })
			for i := range s.Resources {
				delete(s.Resources[i].Deps, "topic")
			}
			assert.Equal(t, []string{"pending alarms"}, findings(s, "OPS-002"), "a subscription whose topic only apply can tell")

			// The stack files set no destination: the topic declares why,
			// the plan warns, and a production deploy is refused.
			for _, stack := range stacks {
				assert.Equal(t, []string{"excused alarms"}, findings(stackIn(t, stack, mode), "OPS-002"), stack)
			}
		})
	}
}

// ADV-003: production serves HTTPS, and :80 only redirects to it.
func TestProductionServesHTTPS(t *testing.T) {
	bringYourOwn := map[string]string{"octabyte:domainName": "", "octabyte:certificateArn": "arn:aws:acm:ap-south-1:123456789012:certificate/00000000-0000-4000-8000-000000000000"}
	for _, mode := range modes {
		t.Run(mode.String(), func(t *testing.T) {
			assert.Empty(t, findings(productionReady(t, mode, nil), "ADV-003"), "a domain with its certificate")
			assert.Empty(t, findings(productionReady(t, mode, bringYourOwn), "ADV-003"), "a certificate the user brings")
			assert.Equal(t, []string{"open alb"}, findings(stackIn(t, "prod", mode), "ADV-003"), "prod as committed serves plain HTTP")
			assert.Empty(t, findings(stackIn(t, "staging", mode), "ADV-003"), "only production")

			s := productionReady(t, mode, nil)
			s.Resources = slices.DeleteFunc(s.Resources, func(r guardrails.Resource) bool { return r.Name == "https" })
			assert.Equal(t, []string{"open alb"}, findings(s, "ADV-003"), "no HTTPS listener")
		})
	}
}

// Where each rule draws its line: a change to a compliant prod stack and
// the rule's verdicts after it, in both plan modes ("open db", "pending
// db", none when it passes); atPreview when a first preview cannot tell.
func TestRuleEdges(t *testing.T) {
	const (
		sgIn  = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"
		sgOut = "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule"
	)
	internetTo := func(name string, port float64) func(s *guardrails.Stack) {
		return func(s *guardrails.Stack) {
			mutate(s, sgIn, name, func(in map[string]any) {
				delete(in, "referencedSecurityGroupId")
				in["cidrIpv4"], in["fromPort"], in["toPort"] = "0.0.0.0/0", port, port
			})
		}
	}
	set := func(typ, name, path string, v any) func(s *guardrails.Stack) {
		return func(s *guardrails.Stack) { mutate(s, typ, name, func(in map[string]any) { in[path] = v }) }
	}
	cases := []struct {
		name, rule string
		change     func(s *guardrails.Stack)
		want       []string
		atPreview  []string
	}{
		{"a high port range is not every port", "NET-002", func(s *guardrails.Stack) {
			mutate(s, sgIn, "task-in-alb", func(in map[string]any) { in["fromPort"], in["toPort"] = 1024.0, 65535.0 })
		}, nil, nil},
		{"protocol -1 is every port whatever the port fields say", "NET-002", func(s *guardrails.Stack) {
			mutate(s, sgIn, "task-in-alb", func(in map[string]any) { in["ipProtocol"] = "-1"; delete(in, "fromPort"); delete(in, "toPort") })
		}, []string{"open task-in-alb"}, nil},
		{"ingress ports unknown until apply wait", "NET-002", set(sgIn, "task-in-alb", "fromPort", plan.Unknown{}), []string{"pending task-in-alb"}, nil},
		{"an inline rule of a group is a rule too", "NET-001", set("aws:ec2/securityGroup:SecurityGroup", "task", "ingress",
			[]any{map[string]any{"protocol": "tcp", "fromPort": 22.0, "toPort": 22.0, "cidrBlocks": []any{"0.0.0.0/0"}}}), []string{"open task"}, nil},
		{"UDP on 443 is not the web", "NET-001", set(sgIn, "alb-in-https", "ipProtocol", "udp"), []string{"open alb-in-https"}, nil},
		{"HTTPS from the internet to a group other than the load balancer's", "NET-001", internetTo("task-in-alb", 443), []string{"open task-in-alb"}, nil},
		{"an ingress source unknown until apply waits", "NET-001", set(sgIn, "alb-in-http", "cidrIpv4", plan.Unknown{}), []string{"pending alb-in-http"}, nil},
		{"the web ports wait while the load balancer's groups cannot be traced", "NET-001", func(s *guardrails.Stack) {
			mutate(s, "aws:lb/loadBalancer:LoadBalancer", "", func(in map[string]any) { in["securityGroups"] = plan.Unknown{} })
			for i := range s.Resources {
				delete(s.Resources[i].Deps, "securityGroups")
			}
		}, []string{"pending alb-in-https", "pending alb-in-http"}, nil},
		{"with no port set the database listens on 5432", "NET-003", func(s *guardrails.Stack) {
			mutate(s, "aws:rds/instance:Instance", "", func(in map[string]any) { delete(in, "port") })
		}, nil, nil},
		{"a port range beyond the database's port", "NET-003", set(sgIn, "db-in-task", "toPort", 5433.0), []string{"open db-in-task"}, nil},
		{"UDP from the tasks on the database's port", "NET-003", set(sgIn, "db-in-task", "ipProtocol", "udp"), []string{"open db-in-task"}, nil},
		{"database ingress from a prefix list, not the tasks", "NET-003", func(s *guardrails.Stack) {
			mutate(s, sgIn, "db-in-task", func(in map[string]any) {
				delete(in, "referencedSecurityGroupId")
				in["prefixListId"] = "pl-0123456789abcdef0"
			})
		}, []string{"open db-in-task"}, nil},
		{"a VPC without its default group adopted", "NET-005", func(s *guardrails.Stack) {
			remove(s, "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup")
		}, []string{"open vpc"}, nil},
		{"a flow log of another VPC", "NET-006", set("aws:ec2/flowLog:FlowLog", "", "vpcId", "vpc-0123456789abcdef0"), []string{"open vpc"}, nil},
		{"egress to the IPv6 internet", "NET-007", func(s *guardrails.Stack) {
			mutate(s, sgOut, "task-out-db", func(in map[string]any) { delete(in, "referencedSecurityGroupId"); in["cidrIpv6"] = "::/0" })
		}, []string{"open task-out-db", "excused task-out-https"}, nil},
		{"an egress destination unknown until apply waits", "NET-007", set(sgOut, "task-out-db", "cidrIpv4", plan.Unknown{}),
			[]string{"pending task-out-db", "excused task-out-https"}, nil},
		{"a subnet with public IPs off", "NET-008", func(s *guardrails.Stack) {
			add(s, guardrails.Resource{Type: "aws:ec2/subnet:Subnet", Name: "vpc-public-1", URN: "urn:subnet",
				Inputs: map[string]any{"cidrBlock": "10.0.0.0/24", "mapPublicIpOnLaunch": false}})
		}, nil, nil},
		// pulumi-aws ec2.Subnet mapPublicIpOnLaunch: "Default is false."
		{"a subnet that leaves public IPs unset gets none", "NET-008", func(s *guardrails.Stack) {
			add(s, guardrails.Resource{Type: "aws:ec2/subnet:Subnet", Name: "vpc-private-9", URN: "urn:subnet",
				Inputs: map[string]any{"cidrBlock": "10.0.9.0/24"}})
		}, nil, nil},
		{"an interface endpoint without a security group", "NET-009", func(s *guardrails.Stack) {
			add(s, guardrails.Resource{Type: "aws:ec2/vpcEndpoint:VpcEndpoint", Name: "logs", URN: "urn:logs",
				Inputs: map[string]any{"vpcEndpointType": "Interface", "securityGroupIds": []any{}}})
		}, []string{"open logs"}, nil},
		{"an extra EBS volume that does not say encrypted", "EC2-002", func(s *guardrails.Stack) {
			add(s, instance(map[string]any{"ebsBlockDevices": []any{
				map[string]any{"deviceName": "/dev/sdf", "encrypted": true}, map[string]any{"deviceName": "/dev/sdg", "volumeSize": 8.0},
			}}))
		}, []string{"open extra"}, nil},
		{"extra EBS volumes, each encrypted", "EC2-002", func(s *guardrails.Stack) {
			add(s, instance(map[string]any{"ebsBlockDevices": []any{map[string]any{"deviceName": "/dev/sdf", "encrypted": true}}}))
		}, nil, nil},
		// A literal id is known at preview, the VPC's subnets are not.
		{"a subnet from outside the VPC", "DATA-003", set("aws:rds/subnetGroup:SubnetGroup", "", "subnetIds", []any{"subnet-0123456789abcdef0"}),
			[]string{"open db"}, []string{"pending db"}},
	}
	for _, mode := range modes {
		for _, tc := range cases {
			t.Run(mode.String()+"/"+tc.rule+" "+tc.name, func(t *testing.T) {
				s := productionReady(t, mode, nil)
				tc.change(s)
				want := tc.want
				if mode == plan.Preview && tc.atPreview != nil {
					want = tc.atPreview
				}
				assert.Equal(t, want, findings(s, tc.rule))
			})
		}
	}
}
