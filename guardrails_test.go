package main

import (
	"encoding/json"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/octabyte/octabyte/guardrails"
)

func stackFor(t *testing.T, name string) *guardrails.Stack {
	t.Helper()
	return guardrails.FromPlan(runStack(t, name))
}

func TestBothStacksHaveNoMandatoryViolations(t *testing.T) {
	for _, name := range stacks {
		t.Run(name, func(t *testing.T) {
			rep := guardrails.Evaluate(stackFor(t, name), guardrails.Rules())
			assert.NoError(t, rep.Err())
		})
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
	assert.ElementsMatch(t, []string{"NET-007 task-out-https", "IAM-003 execution"}, excused)
}

// AWS accepts only these characters in tag values; a suppression reason is one.
var tagValue = regexp.MustCompile(`^[\p{L}\p{Z}\p{N}_.:/=+\-@]{1,256}$`)

func TestSuppressionReasonsAreValidTagValues(t *testing.T) {
	for _, r := range stackFor(t, "prod").Resources {
		tags, _ := r.Inputs["tags"].(map[string]any)
		for k, v := range tags {
			if strings.HasPrefix(k, guardrails.SuppressTagPrefix) {
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

func editContainer(in map[string]any, change func(c map[string]any)) {
	var defs []map[string]any
	_ = json.Unmarshal([]byte(in["containerDefinitions"].(string)), &defs)
	change(defs[0])
	b, _ := json.Marshal(defs)
	in["containerDefinitions"] = string(b)
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
			var albSG string
			for _, r := range s.ByType("aws:lb/loadBalancer:LoadBalancer") {
				albSG = r.Inputs["securityGroups"].([]any)[0].(string)
			}
			mutate(s, sgIn, "db-in-task", func(in map[string]any) { in["referencedSecurityGroupId"] = albSG })
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
		"DATA-001": func(s *guardrails.Stack) {
			mutate(s, rds, "", func(in map[string]any) { in["storageEncrypted"] = false })
		},
		"DATA-002": func(s *guardrails.Stack) {
			mutate(s, rds, "", func(in map[string]any) { in["publiclyAccessible"] = true })
		},
		"DATA-003": func(s *guardrails.Stack) {
			var public []any
			for _, v := range s.ByType("awsx:ec2:Vpc") {
				public = v.Outputs["publicSubnetIds"].([]any)
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
		"OPS-001": func(s *guardrails.Stack) {
			mutate(s, "aws:cloudwatch/logGroup:LogGroup", "", func(in map[string]any) { delete(in, "retentionInDays") })
		},
		"OPS-002": func(s *guardrails.Stack) {
			add(s, guardrails.Resource{Type: "aws:cloudwatch/metricAlarm:MetricAlarm", Name: "silent", URN: "urn:silent", Inputs: map[string]any{"metricName": "CPUUtilization"}})
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
	for _, id := range ids {
		t.Run(id, func(t *testing.T) {
			bad, ok := cases[id]
			require.True(t, ok, "rule %s has no negative test", id)
			s := stackFor(t, "prod")
			bad(s)
			var fired []string
			for _, v := range guardrails.Evaluate(s, guardrails.Rules()).Violations {
				if v.Suppressed == "" {
					fired = append(fired, v.Rule.ID)
				}
			}
			assert.NotEmpty(t, fired)
			for _, f := range fired {
				assert.Equal(t, id, f, "only %s should fire", id)
			}
		})
	}
	assert.Len(t, cases, len(ids), "a negative case for a rule that does not exist")
}
