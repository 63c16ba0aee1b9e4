package plan

import (
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strings"
)

// highlights are the inputs worth a reader's attention, per resource type.
// Types not listed show their short scalar inputs.
var highlights = map[string][]string{
	"awsx:ec2:Vpc": {"cidrBlock", "numberOfAvailabilityZones", "natGateways.strategy", "enableDnsHostnames", "subnetSpecs"},
	"aws:ec2/defaultSecurityGroup:DefaultSecurityGroup":               {"ingress", "egress"},
	"aws:ec2/flowLog:FlowLog":                                         {"trafficType", "logDestinationType", "maxAggregationInterval"},
	"aws:cloudwatch/logGroup:LogGroup":                                {"name", "namePrefix", "retentionInDays", "kmsKeyId"},
	"aws:iam/role:Role":                                               {"description"},
	"aws:iam/rolePolicy:RolePolicy":                                   {"policy"},
	"aws:ec2/securityGroup:SecurityGroup":                             {"description"},
	"aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule":       {"ipProtocol", "fromPort", "toPort", "cidrIpv4", "cidrIpv6", "referencedSecurityGroupId"},
	"aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule":         {"ipProtocol", "fromPort", "toPort", "cidrIpv4", "referencedSecurityGroupId", "prefixListId"},
	"aws:lb/loadBalancer:LoadBalancer":                                {"loadBalancerType", "internal", "subnets", "dropInvalidHeaderFields", "enableDeletionProtection", "accessLogs.enabled", "idleTimeout"},
	"aws:lb/targetGroup:TargetGroup":                                  {"port", "protocol", "targetType", "deregistrationDelay", "healthCheck.path", "healthCheck.interval", "healthCheck.healthyThreshold", "healthCheck.unhealthyThreshold"},
	"aws:lb/listener:Listener":                                        {"port", "protocol", "sslPolicy", "defaultActions"},
	"aws:ecs/service:Service":                                         {"desiredCount", "launchType", "networkConfiguration.assignPublicIp", "networkConfiguration.subnets", "deploymentCircuitBreaker", "deploymentMinimumHealthyPercent", "deploymentMaximumPercent", "healthCheckGracePeriodSeconds", "waitForSteadyState", "enableExecuteCommand", "capacityProviderStrategies", "forceNewDeployment"},
	"aws:ecs/taskDefinition:TaskDefinition":                           {"family", "cpu", "memory", "networkMode", "runtimePlatform.cpuArchitecture"},
	"aws:ecs/cluster:Cluster":                                         {"settings"},
	"aws:ecr/repository:Repository":                                   {"imageTagMutability", "imageScanningConfiguration.scanOnPush", "encryptionConfigurations", "forceDelete"},
	"aws:rds/instance:Instance":                                       {"engine", "engineVersion", "instanceClass", "allocatedStorage", "maxAllocatedStorage", "storageType", "storageEncrypted", "multiAz", "publiclyAccessible", "manageMasterUserPassword", "backupRetentionPeriod", "deletionProtection", "skipFinalSnapshot", "performanceInsightsEnabled", "monitoringInterval"},
	"aws:rds/parameterGroup:ParameterGroup":                           {"family", "parameters"},
	"aws:cloudwatch/metricAlarm:MetricAlarm":                          {"name", "namespace", "metricName", "dimensions", "statistic", "extendedStatistic", "comparisonOperator", "threshold", "evaluationPeriods", "datapointsToAlarm", "treatMissingData", "actionsEnabled"},
	"aws:cloudwatch/dashboard:Dashboard":                              {"dashboardName"},
	"aws:s3/bucketV2:BucketV2":                                        {"bucketPrefix", "forceDestroy"},
	"aws:sns/topicSubscription:TopicSubscription":                     {"protocol", "endpoint"},
	"aws:sns/topic:Topic":                                             {"name", "kmsMasterKeyId"},
	"aws:kms/key:Key":                                                 {"description", "enableKeyRotation", "deletionWindowInDays"},
	"aws:cloudwatch/eventRule:EventRule":                              {"name", "eventPattern"},
	"aws:acm/certificate:Certificate":                                 {"domainName", "validationMethod"},
	"aws:acm/certificateValidation:CertificateValidation":             {"certificateArn", "validationRecordFqdns"},
	"aws:route53/record:Record":                                       {"zoneId", "name", "type", "records", "aliases"},
	"aws:chatbot/slackChannelConfiguration:SlackChannelConfiguration": {"configurationName", "slackTeamId", "slackChannelId", "snsTopicArns", "guardrailPolicyArns", "loggingLevel"},
	"aws:budgets/budget:Budget":                                       {"name", "limitAmount", "limitUnit", "timeUnit", "costFilters", "notifications"},
	"aws:scheduler/schedule:Schedule":                                 {"scheduleExpression", "scheduleExpressionTimezone", "target.arn", "target.input"},
	"aws:ec2/instance:Instance":                                       {"ami", "instanceType", "subnetId", "sourceDestCheck", "metadataOptions.httpTokens", "rootBlockDevice.encrypted", "maintenanceOptions.autoRecovery", "keyName"},
}

// Render writes the plan as a tree of components and resources with the
// settings that matter, then the stack outputs.
func Render(w io.Writer, p *Plan) {
	fmt.Fprintf(w, "Stack %s: %d resources (%d components)\n", p.Stack, len(p.Resources), countComponents(p))
	if p.Mode == Preview {
		fmt.Fprintf(w, "As a first `pulumi preview` sees it: what AWS computes shows as %s.\n", KnownAfterApply)
	}
	fmt.Fprintln(w)
	var walk func(parent, indent string)
	walk = func(parent, indent string) {
		kids := p.Children(parent)
		for i, r := range kids {
			branch, next := "├─ ", "│  "
			if i == len(kids)-1 {
				branch, next = "└─ ", "   "
			}
			fmt.Fprintf(w, "%s%s%s  %s\n", indent, branch, r.Name, shortType(r.Type))
			for _, line := range summary(r) {
				fmt.Fprintf(w, "%s%s    %s\n", indent, next, line)
			}
			walk(r.URN, indent+next)
		}
	}
	walk("", "")

	if p.Mode == Preview {
		fmt.Fprintln(w, "\nOutputs:")
	} else {
		fmt.Fprintf(w, "\nOutputs (names, ids and ARNs that AWS assigns are mock placeholders in account %s):\n", AccountID)
	}
	keys := make([]string, 0, len(p.Outputs))
	for k := range p.Outputs {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		fmt.Fprintf(w, "  %-28s %s\n", k, compact(p.Outputs[k]))
	}
}

func countComponents(p *Plan) int {
	n := 0
	for _, r := range p.Resources {
		if !r.Custom {
			n++
		}
	}
	return n
}

// shortType turns aws:ec2/securityGroup:SecurityGroup into aws:ec2:SecurityGroup.
func shortType(t string) string {
	parts := strings.Split(t, ":")
	if len(parts) == 3 {
		return parts[0] + ":" + strings.Split(parts[1], "/")[0] + ":" + parts[2]
	}
	return t
}

func summary(r Resource) []string {
	var lines []string
	if keys, ok := highlights[r.Type]; ok {
		for _, k := range keys {
			if v := r.Input(k); v != nil {
				lines = append(lines, fmt.Sprintf("%s: %s", k, compact(v)))
			}
		}
		return lines
	}
	keys := make([]string, 0, len(r.Inputs))
	for k := range r.Inputs {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		switch v := r.Inputs[k].(type) {
		case string, float64, bool, Unknown:
			if s := compact(v); len(s) <= 80 {
				lines = append(lines, fmt.Sprintf("%s: %s", k, s))
			}
		}
	}
	return lines
}

// compact renders a value on one line, cut to a readable length.
func compact(v any) string {
	var s string
	switch x := v.(type) {
	case string:
		s = x
	case Unknown:
		s = KnownAfterApply
	default:
		b, _ := json.Marshal(shown(x))
		s = string(b)
	}
	if len(s) > 160 {
		s = s[:157] + "..."
	}
	return s
}

// shown replaces unknowns inside a value with the words the tree uses.
func shown(v any) any {
	switch x := v.(type) {
	case Unknown:
		return KnownAfterApply
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = shown(e)
		}
		return out
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			out[k] = shown(e)
		}
		return out
	}
	return v
}
