// Package cost estimates a stack's monthly AWS bill from the resources the
// program registers: the same recording the offline plan and the guardrails
// read, so the estimate follows the code, not a hand-kept list.
package cost

import (
	"encoding/json"
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"

	"github.com/octabyte/octabyte/appmetrics"
	"github.com/octabyte/octabyte/plan"
)

// HoursPerMonth is AWS's billing month.
const HoursPerMonth = 730

// Assumptions are the usage figures the estimate cannot read from the code.
type Assumptions struct {
	RequestsPerMonth    int // HTTP requests through the ALB
	NATGBPerMonth       int // outbound traffic through NAT (besides image pulls)
	ImagePullGBPerMonth int // ECR image layers pulled by tasks (S3; free with the gateway endpoint)
	LogGBPerMonth       int // ingested into CloudWatch Logs, all groups together
	AccessLogGBPerMonth int // ALB access logs written to S3
	AppMetrics          int // custom metrics the app's EMF lines create
	// AwakeFraction and DatabaseAwakeFraction are the shares of the week a
	// sleeping stack's tasks and database instance run, and bill
	// (octabyte:sleepSchedule; the database starts before the tasks and
	// stops after them); 0 means always.
	AwakeFraction, DatabaseAwakeFraction float64
}

// DefaultAssumptions describe a small production service.
var DefaultAssumptions = Assumptions{RequestsPerMonth: 1_000_000, NATGBPerMonth: 5, ImagePullGBPerMonth: 5, LogGBPerMonth: 2, AccessLogGBPerMonth: 1, AppMetrics: len(appmetrics.Series())}

// Fixed modelling figures, stated so a reader can check the arithmetic.
const (
	bytesPerRequest        = 10_000 // ALB processed bytes per request, for LCUs
	backupChangePerDay     = 0.05   // fraction of the database that changes daily
	imageGB                = 0.02   // one app image (scratch + static binary)
	insightsClusterMetrics = 8      // Container Insights metrics per cluster
	insightsServiceMetrics = 11     // and per service
)

// Line is one priced item.
type Line struct {
	Group   string  `json:"group"`
	Item    string  `json:"item"`
	Monthly float64 `json:"monthly"`
	Detail  string  `json:"detail"`
}

// Estimate is a stack's monthly cost.
type Estimate struct {
	Stack       string      `json:"stack"`
	Region      string      `json:"region"`
	PricesAsOf  string      `json:"pricesAsOf"`
	Assumptions Assumptions `json:"assumptions"`
	Lines       []Line      `json:"lines"`
	Free        []string    `json:"free"`      // types known to cost nothing by themselves
	NotPriced   []string    `json:"notPriced"` // types the estimate cannot price
	Notes       []string    `json:"notes"`
	Total       float64     `json:"total"`
	// Levers are the savings the stack does not use yet, most first; the
	// plan command fills them in (each is a plan of its own).
	Levers []LeverEffect `json:"levers,omitempty"`
}

// Free are the types with no charge of their own (their cost, if any, is
// counted with the resource that drives it).
var Free = map[string]string{
	"aws:iam/role:Role": "", "aws:iam/rolePolicy:RolePolicy": "", "aws:iam/policy:Policy": "", "aws:iam/rolePolicyAttachment:RolePolicyAttachment": "",
	"aws:ec2/securityGroup:SecurityGroup": "", "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup": "",
	"aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule": "", "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule": "",
	"aws:ec2/flowLog:FlowLog":         "ingestion is counted with the log groups",
	"aws:ec2/vpcEndpoint:VpcEndpoint": "gateway endpoints are free",
	"aws:rds/subnetGroup:SubnetGroup": "", "aws:rds/parameterGroup:ParameterGroup": "",
	"aws:lb/listener:Listener": "", "aws:lb/targetGroup:TargetGroup": "",
	"aws:ecr/lifecyclePolicy:LifecyclePolicy": "", "aws:ecs/taskDefinition:TaskDefinition": "",
	"aws:ecs/clusterCapacityProviders:ClusterCapacityProviders": "",
	"aws:appautoscaling/target:Target":                          "", "aws:appautoscaling/policy:Policy": "",
	"aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock": "", "aws:s3/bucketOwnershipControls:BucketOwnershipControls": "",
	"aws:s3/bucketServerSideEncryptionConfigurationV2:BucketServerSideEncryptionConfigurationV2": "",
	"aws:s3/bucketPolicy:BucketPolicy": "", "aws:s3/bucketLifecycleConfigurationV2:BucketLifecycleConfigurationV2": "",
	"aws:cloudwatch/logResourcePolicy:LogResourcePolicy": "",
	"aws:cloudwatch/eventRule:EventRule":                 "AWS service events on the default bus are free",
	"aws:cloudwatch/eventTarget:EventTarget":             "",
	"aws:sns/topic:Topic":                                "first million publishes and 1,000 emails a month are free",
	"aws:sns/topicPolicy:TopicPolicy":                    "", "aws:sns/topicSubscription:TopicSubscription": "",
	"aws:kms/alias:Alias":                                 "",
	"aws:acm/certificate:Certificate":                     "public ACM certificates are free",
	"aws:acm/certificateValidation:CertificateValidation": "waits for ACM; nothing is created",
	// The hosted zone is the user's own ($0.50 a month, whoever deploys
	// into it); records cost nothing, alias queries to a load balancer are
	// free and the validation CNAME's queries are a few a day.
	"aws:route53/record:Record":                                       "records are free; alias queries to a load balancer are free",
	"aws:chatbot/slackChannelConfiguration:SlackChannelConfiguration": "AWS Chatbot has no charge of its own",
	"aws:ec2/route:Route":                                             "", "aws:iam/instanceProfile:InstanceProfile": "",
	"aws:budgets/budget:Budget":                 "budgets without actions are free",
	"aws:scheduler/scheduleGroup:ScheduleGroup": "", "aws:scheduler/schedule:Schedule": "the first 14 million invocations a month are free",
	"random:index/randomId:RandomId": "generated by Pulumi, not AWS",
}

type estimator struct {
	p         *plan.Plan
	prices    Prices
	a         Assumptions
	e         *Estimate
	notPriced map[string]bool // what the estimate cannot price: listed, never dropped
}

// New estimates the plan's monthly cost in its region.
func New(p *plan.Plan, a Assumptions) (*Estimate, error) {
	region := p.Config["aws:region"]
	prices, ok := PriceTable[region]
	if !ok {
		return nil, fmt.Errorf("no price table for region %q (known: ap-south-1, us-east-1)", region)
	}
	est := &estimator{p: p, prices: prices, a: a, e: &Estimate{Stack: p.Stack, Region: region, PricesAsOf: prices.AsOf, Assumptions: a}, notPriced: map[string]bool{}}
	free := map[string]bool{}
	logGroups := 0
	for _, r := range p.Resources {
		switch {
		case !r.Custom && strings.HasPrefix(r.Type, "octabyte:"):
		case r.Type == "awsx:ec2:Vpc":
			est.vpc(r)
		case r.Type == "aws:ec2/vpcEndpoint:VpcEndpoint" && r.Input("vpcEndpointType") == "Interface":
			est.interfaceEndpoint(r)
		case r.Type == "aws:lb/loadBalancer:LoadBalancer":
			est.alb(r)
		case r.Type == "aws:ecs/service:Service":
			est.service(r)
		case r.Type == "aws:ecs/cluster:Cluster":
			est.cluster(r)
		case r.Type == "aws:rds/instance:Instance":
			est.database(r)
		case r.Type == "aws:cloudwatch/dashboard:Dashboard":
			est.add(r, "dashboard "+r.Name, prices.DashboardMonth, "per dashboard (the account's first 3 are free)")
		case r.Type == "aws:cloudwatch/metricAlarm:MetricAlarm":
			n := alarmMetrics(r)
			est.add(r, "alarm "+r.Name, float64(n)*prices.AlarmMetricMonth, fmt.Sprintf("%d metric(s) × $%.2f", n, prices.AlarmMetricMonth))
		case r.Type == "aws:cloudwatch/logGroup:LogGroup":
			logGroups++
		case r.Type == "aws:s3/bucketV2:BucketV2":
			est.bucket(r)
		case r.Type == "aws:ecr/repository:Repository":
			est.repository(r)
		case r.Type == "aws:ec2/instance:Instance":
			est.instance(r)
		case r.Type == "aws:ec2/eip:Eip":
			est.add(r, "Elastic IP "+r.Name, HoursPerMonth*prices.PublicIPv4Hour, fmt.Sprintf("730 h × $%.3f public IPv4", prices.PublicIPv4Hour))
		case r.Type == "aws:kms/key:Key":
			est.add(r, "KMS key "+r.Name, prices.KMSKeyMonth, "per customer-managed key")
		default:
			if _, ok := Free[r.Type]; ok {
				free[r.Type] = true
			} else {
				est.notPriced[r.Type] = true
			}
		}
	}
	est.logs(logGroups)
	est.endpointData()
	// Registration order varies from run to run; the estimate does not.
	sort.SliceStable(est.e.Lines, func(i, j int) bool {
		a, b := est.e.Lines[i], est.e.Lines[j]
		return a.Group+"\x00"+a.Item < b.Group+"\x00"+b.Item
	})
	est.e.Free, est.e.NotPriced = keys(free), keys(est.notPriced)
	for _, l := range est.e.Lines {
		est.e.Total += l.Monthly
	}
	est.e.Total = round(est.e.Total)
	return est.e, nil
}

func (est *estimator) group(r plan.Resource) string {
	for parent, ok := est.p.ByURN(r.Parent); ok; parent, ok = est.p.ByURN(parent.Parent) {
		if strings.HasPrefix(parent.Type, "octabyte:") && parent.Parent == "" {
			return parent.Name
		}
	}
	return "stack"
}

func (est *estimator) add(r plan.Resource, item string, monthly float64, detail string) {
	est.e.Lines = append(est.e.Lines, Line{Group: est.group(r), Item: item, Monthly: round(monthly), Detail: detail})
}

func (est *estimator) note(format string, args ...any) {
	est.e.Notes = append(est.e.Notes, fmt.Sprintf(format, args...))
}

func (est *estimator) vpc(r plan.Resource) {
	azs := int(number(r.Input("numberOfAvailabilityZones"), 2))
	nats := 1
	switch r.Input("natGateways.strategy") {
	case "OnePerAz":
		nats = azs
	case "None":
		return // no NAT gateway: a NAT instance (priced as an instance) or none
	}
	pr := est.prices
	est.add(r, "NAT gateways", float64(nats)*HoursPerMonth*(pr.NATHour+pr.PublicIPv4Hour),
		fmt.Sprintf("%d × 730 h × ($%.3f + $%.3f public IPv4)", nats, pr.NATHour, pr.PublicIPv4Hour))
	gb := est.a.NATGBPerMonth
	detail := fmt.Sprintf("%d GB × $%.3f", gb, pr.NATPerGB)
	switch {
	case est.interfaceEndpoints() > 0:
		gb, detail = 0, "the tasks reach AWS through VPC endpoints and have no internet egress"
	case len(est.p.ByType("aws:ec2/vpcEndpoint:VpcEndpoint")) == 0:
		gb += est.a.ImagePullGBPerMonth
		detail = fmt.Sprintf("(%d GB + %d GB image pulls) × $%.3f", est.a.NATGBPerMonth, est.a.ImagePullGBPerMonth, pr.NATPerGB)
	default:
		detail += "; image pulls use the free S3 gateway endpoint"
	}
	est.add(r, "NAT data processing", float64(gb)*pr.NATPerGB, detail)
}

// awakeHours are the hours a month something that sleeps with the stack
// runs: all of them, or its share f of a sleeping stack's week.
func awakeHours(f float64) (float64, string) {
	if f > 0 && f < 1 {
		return HoursPerMonth * f, fmt.Sprintf("%.0f h awake (%.0f%% of 730 h)", HoursPerMonth*f, f*100)
	}
	return HoursPerMonth, "730 h"
}

// hourly looks up the hourly price of the size a resource names at path;
// a size the table lacks is listed as not priced.
func (est *estimator) hourly(r plan.Resource, path string, table map[string]float64) (string, float64, bool) {
	size, _ := r.Input(path).(string)
	price, ok := table[size]
	if !ok {
		est.notPriced[r.Type+" ("+size+" not in the price table)"] = true
	}
	return size, price, ok
}

// instance prices an EC2 instance and its root volume; it forwards the
// NAT traffic with no per-GB charge of its own.
func (est *estimator) instance(r plan.Resource) {
	pr := est.prices
	typ, hourly, ok := est.hourly(r, "instanceType", pr.EC2Hour)
	if !ok {
		return
	}
	est.add(r, "EC2 instance "+r.Name, HoursPerMonth*hourly, fmt.Sprintf("%s × 730 h × $%.4f", typ, hourly))
	gb := number(r.Input("rootBlockDevice.volumeSize"), 8)
	est.add(r, "EBS volume "+r.Name, gb*pr.EBSGP3GBMonth, fmt.Sprintf("%v GB gp3 × $%.4f", gb, pr.EBSGP3GBMonth))
}

// azsOf counts the subnets a resource sits in; when they are unknown (a
// first preview), the VPC's AZs, one subnet each.
func (est *estimator) azsOf(r plan.Resource, path string) int {
	if !plan.IsUnknown(r.Input(path)) {
		return len(list(r.Input(path)))
	}
	azs := 0
	for _, vpc := range est.p.ByType("awsx:ec2:Vpc") {
		azs = int(number(vpc.Input("numberOfAvailabilityZones"), 2))
	}
	return azs
}

func (est *estimator) interfaceEndpoints() int {
	n := 0
	for _, e := range est.p.ByType("aws:ec2/vpcEndpoint:VpcEndpoint") {
		if e.Input("vpcEndpointType") == "Interface" {
			n++
		}
	}
	return n
}

// interfaceEndpoint is billed per AZ it has a network interface in.
func (est *estimator) interfaceEndpoint(r plan.Resource) {
	azs, hourly := est.azsOf(r, "subnetIds"), est.prices.InterfaceEndpointHour
	service, _ := r.Input("serviceName").(string)
	est.add(r, "VPC endpoint "+strings.TrimPrefix(service, "com.amazonaws."+est.e.Region+"."), float64(azs)*HoursPerMonth*hourly,
		fmt.Sprintf("%d AZ(s) × 730 h × $%.3f", azs, hourly))
}

// endpointData prices what the interface endpoints carry: the tasks' log
// lines (image layers go through the free S3 gateway endpoint; ECR
// manifests and secrets are a few KB).
func (est *estimator) endpointData() {
	if est.interfaceEndpoints() == 0 {
		return
	}
	gb := est.a.LogGBPerMonth
	est.e.Lines = append(est.e.Lines, Line{Group: "network", Item: "VPC endpoint data processed",
		Monthly: round(float64(gb) * est.prices.InterfaceEndpointGB),
		Detail:  fmt.Sprintf("%d GB of logs × $%.3f (an upper bound: the log assumption counts every group)", gb, est.prices.InterfaceEndpointGB)})
}

func (est *estimator) alb(r plan.Resource) {
	pr := est.prices
	subnets := est.azsOf(r, "subnets")
	rps := float64(est.a.RequestsPerMonth) / (HoursPerMonth * 3600)
	gbPerHour := rps * 3600 * bytesPerRequest / 1e9
	lcu := math.Max(rps/25, gbPerHour) // new connections or processed bytes, whichever is larger
	est.add(r, "load balancer hours", HoursPerMonth*(pr.ALBHour+float64(subnets)*pr.PublicIPv4Hour),
		fmt.Sprintf("730 h × ($%.4f + %d public IPv4 × $%.3f)", pr.ALBHour, subnets, pr.PublicIPv4Hour))
	est.add(r, "load balancer LCUs", lcu*HoursPerMonth*pr.LCUHour, fmt.Sprintf("%.4f LCU average × 730 h × $%.3f", lcu, pr.LCUHour))
}

func (est *estimator) service(r plan.Resource) {
	pr := est.prices
	tasks := number(r.Input("desiredCount"), 0)
	for _, t := range est.p.ByType("aws:appautoscaling/target:Target") {
		tasks = number(t.Input("minCapacity"), tasks)
		est.note("autoscaling: priced at the minimum of %v task(s); up to %v", tasks, t.Input("maxCapacity"))
	}
	td, ok := est.taskDefinition(r)
	if !ok {
		est.notPriced[r.Type+" (task definition not found)"] = true
		return
	}
	cpu, _ := strconv.ParseFloat(fmt.Sprint(td.Input("cpu")), 64)
	mem, _ := strconv.ParseFloat(fmt.Sprint(td.Input("memory")), 64)
	arch, _ := td.Input("runtimePlatform.cpuArchitecture").(string)
	if arch == "" {
		arch = "X86_64"
	}
	hourly := cpu/1024*pr.FargateVCPUHour[arch] + mem/1024*pr.FargateGBHour[arch]
	hours, awake := awakeHours(est.a.AwakeFraction)
	detail := fmt.Sprintf("%v task(s) × %s × (%.2f vCPU × $%.5f + %.2f GB × $%.5f) %s", tasks, awake, cpu/1024, pr.FargateVCPUHour[arch], mem/1024, pr.FargateGBHour[arch], arch)
	if strings.Contains(fmt.Sprint(r.Input("capacityProviderStrategies")), "FARGATE_SPOT") {
		hourly *= 1 - pr.FargateSpotDiscount
		detail += fmt.Sprintf(", Fargate Spot (-%.0f%%)", pr.FargateSpotDiscount*100)
	}
	est.add(r, "Fargate tasks", tasks*hours*hourly, detail)
	est.add(r, "app custom metrics (EMF)", float64(est.a.AppMetrics)*pr.CustomMetricMonth,
		fmt.Sprintf("%d metrics × $%.2f", est.a.AppMetrics, pr.CustomMetricMonth))
	// CloudWatch bills a custom metric per hour it is published, so the
	// per-route error counts cost nothing while no route fails: an upper bound.
	est.note("app custom metrics priced as if published every hour: %s", strings.Join(appmetrics.Series(), ", "))
}

func (est *estimator) taskDefinition(svc plan.Resource) (plan.Resource, bool) {
	for _, td := range est.p.ByType("aws:ecs/taskDefinition:TaskDefinition") {
		if svc.Refers("taskDefinition", td, "arn") {
			return td, true
		}
	}
	return plan.Resource{}, false
}

func (est *estimator) cluster(r plan.Resource) {
	if !strings.Contains(fmt.Sprint(r.Input("settings")), "enabled") {
		return
	}
	services := len(est.p.ByType("aws:ecs/service:Service"))
	metrics := insightsClusterMetrics + insightsServiceMetrics*services
	est.add(r, "Container Insights", float64(metrics)*est.prices.CustomMetricMonth,
		fmt.Sprintf("about %d metrics × $%.2f", metrics, est.prices.CustomMetricMonth))
}

func (est *estimator) database(r plan.Resource) {
	pr := est.prices
	class, hourly, ok := est.hourly(r, "instanceClass", pr.RDSHour)
	if !ok {
		return
	}
	copies, az := 1.0, "single-AZ"
	if r.Input("multiAz") == true {
		copies, az = 2, "Multi-AZ"
	}
	storage := number(r.Input("allocatedStorage"), 20)
	retention := number(r.Input("backupRetentionPeriod"), 0)
	hours, awake := awakeHours(est.a.DatabaseAwakeFraction)
	est.add(r, "RDS instance", copies*hours*hourly, fmt.Sprintf("%s %s × %s × $%.3f", class, az, awake, hourly))
	est.add(r, "RDS gp3 storage", copies*storage*pr.RDSStorageGBMonth, fmt.Sprintf("%v GB × %v × $%.3f", storage, copies, pr.RDSStorageGBMonth))
	backup := storage * backupChangePerDay * math.Max(retention-1, 0) // beyond the free 100% of provisioned storage
	est.add(r, "RDS backups beyond the free amount", backup*pr.RDSBackupGBMonth,
		fmt.Sprintf("%v days × %.0f%% daily change of %v GB × $%.3f", retention, backupChangePerDay*100, storage, pr.RDSBackupGBMonth))
	if r.Input("manageMasterUserPassword") == true {
		est.add(r, "Secrets Manager secret (RDS-managed)", pr.SecretMonth, "per secret")
	}
	if number(r.Input("monitoringInterval"), 0) > 0 {
		est.note("enhanced monitoring adds a little CloudWatch Logs ingestion (RDSOSMetrics), counted in the log assumption")
	}
}

func (est *estimator) logs(groups int) {
	if groups == 0 {
		return
	}
	pr := est.prices
	var stored float64
	per := float64(est.a.LogGBPerMonth) / float64(groups)
	for _, g := range est.p.ByType("aws:cloudwatch/logGroup:LogGroup") {
		stored += per * number(g.Input("retentionInDays"), 3653) / 30
	}
	est.e.Lines = append(est.e.Lines, Line{Group: "logs", Item: fmt.Sprintf("CloudWatch Logs (%d groups)", groups),
		Monthly: round(float64(est.a.LogGBPerMonth)*pr.LogIngestGB + stored*pr.LogStorageGBMonth),
		Detail:  fmt.Sprintf("%d GB ingested × $%.2f + %.1f GB stored at retention × $%.3f", est.a.LogGBPerMonth, pr.LogIngestGB, stored, pr.LogStorageGBMonth)})
}

func (est *estimator) bucket(r plan.Resource) {
	pr := est.prices
	monthly := float64(est.a.AccessLogGBPerMonth)
	standardDays, iaDays := 365.0, 0.0
	for _, lc := range est.p.ByType("aws:s3/bucketLifecycleConfigurationV2:BucketLifecycleConfigurationV2") {
		if !lc.Refers("bucket", r, "id") {
			continue
		}
		for _, rule := range list(lc.Input("rules")) {
			m, _ := rule.(map[string]any)
			transitions := list(m["transitions"])
			expiry := number(plan.Lookup(m, "expiration.days"), 0)
			if len(transitions) > 0 && expiry > 0 {
				t := number(transitions[0].(map[string]any)["days"], 30)
				standardDays, iaDays = t, expiry-t
			}
		}
	}
	cost := monthly*standardDays/30*pr.S3StandardGBMonth + monthly*iaDays/30*pr.S3IAGBMonth
	est.add(r, "S3 "+r.Name, cost, fmt.Sprintf("%v GB/month kept %v days in Standard and %v in Standard-IA", monthly, standardDays, iaDays))
}

func (est *estimator) repository(r plan.Resource) {
	keep := 20.0
	for _, lc := range est.p.ByType("aws:ecr/lifecyclePolicy:LifecyclePolicy") {
		var doc struct {
			Rules []struct {
				Selection struct {
					CountType   string
					CountNumber float64
				}
			}
		}
		if json.Unmarshal([]byte(fmt.Sprint(lc.Input("policy"))), &doc) == nil {
			for _, rule := range doc.Rules {
				if rule.Selection.CountType == "imageCountMoreThan" {
					keep = rule.Selection.CountNumber
				}
			}
		}
	}
	est.add(r, "ECR storage", keep*imageGB*est.prices.ECRStorageGBMonth, fmt.Sprintf("%v images × %.2f GB × $%.2f", keep, imageGB, est.prices.ECRStorageGBMonth))
}

func alarmMetrics(r plan.Resource) int {
	queries := list(r.Input("metricQueries"))
	if len(queries) == 0 {
		return 1
	}
	n := 0
	for _, q := range queries {
		if m, _ := q.(map[string]any); m["metric"] != nil {
			n++
		}
	}
	return n
}

func number(v any, def float64) float64 {
	if f, ok := v.(float64); ok {
		return f
	}
	return def
}

func list(v any) []any {
	l, _ := v.([]any)
	return l
}

func keys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func round(v float64) float64 { return math.Round(v*100) / 100 }
