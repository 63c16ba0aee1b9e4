package plan

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/ec2"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource/plugin"
	"github.com/pulumi/pulumi/sdk/v3/go/common/tokens"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi/internals"
	"golang.org/x/net/publicsuffix"
)

// AccountID is the AWS account the mock engine pretends to deploy into.
const AccountID = "123456789012"

// mockAZs is how many availability zones the mock region has.
const mockAZs = 3

// mocks answers the engine's calls with plausible AWS values and records
// every registration. Computed attributes are derived from the logical name,
// so two runs of the same program give the same plan.
type mocks struct {
	project  string
	stack    string
	region   string
	config   map[string]string
	mode     Mode
	deployed Deployed
	mu       sync.Mutex
	seen     []Resource
}

func newMocks(project, stack string, config map[string]string, mode Mode) *mocks {
	region := config["aws:region"]
	if region == "" {
		region = "us-east-1"
	}
	return &mocks{project: project, stack: stack, region: region, config: config, mode: mode}
}

func (m *mocks) recorded() []Resource {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]Resource(nil), m.seen...)
}

// Call answers provider functions (data sources).
func (m *mocks) Call(args pulumi.MockCallArgs) (resource.PropertyMap, error) {
	switch args.Token {
	case "aws:index/getCallerIdentity:getCallerIdentity":
		return resource.NewPropertyMapFromMap(map[string]any{
			"accountId": AccountID, "arn": "arn:aws:iam::" + AccountID + ":user/offline", "userId": "OFFLINE", "id": AccountID,
		}), nil
	case "aws:index/getRegion:getRegion":
		return resource.NewPropertyMapFromMap(map[string]any{"name": m.region, "region": m.region, "id": m.region}), nil
	case "aws:index/getPartition:getPartition":
		return resource.NewPropertyMapFromMap(map[string]any{"partition": "aws", "dnsSuffix": "amazonaws.com", "id": "aws"}), nil
	case "aws:ec2/getRouteTables:getRouteTables":
		var ids []any
		if f, ok := args.Args["filters"]; ok && f.IsArray() {
			for _, filter := range f.ArrayValue() {
				if v, ok := filter.ObjectValue()["values"]; ok && v.IsArray() {
					for _, subnet := range v.ArrayValue() {
						ids = append(ids, "rtb-for-"+subnet.StringValue())
					}
				}
			}
		}
		return resource.NewPropertyMapFromMap(map[string]any{"ids": ids, "id": m.region}), nil
	case "aws:ec2/getSubnet:getSubnet":
		id, _ := args.Args["id"].V.(string)
		cidr := "10.0.128.0/20"
		if strings.Contains(id, "private2") {
			cidr = "10.0.144.0/20"
		}
		return resource.NewPropertyMapFromMap(map[string]any{"id": id, "cidrBlock": cidr}), nil
	case "aws:ssm/getParameter:getParameter":
		name, _ := args.Args["name"].V.(string)
		ami := "ami-0" + suffix(name, 16)
		return resource.NewPropertyMapFromMap(map[string]any{"name": name, "value": ami, "insecureValue": ami, "type": "String", "id": name}), nil
	case "aws:rds/getInstances:getInstances":
		return resource.NewPropertyMapFromMap(map[string]any{"instanceIdentifiers": m.dbInstances(args.Args), "id": m.region}), nil
	case "aws:rds/getInstance:getInstance":
		id := args.Args["dbInstanceIdentifier"].StringValue()
		for _, db := range m.deployed.DBInstances {
			if db["dbInstanceIdentifier"] == id {
				return resource.NewPropertyMapFromMap(db), nil
			}
		}
		return nil, fmt.Errorf("DBInstanceNotFound: %s", id)
	case "aws:index/getAvailabilityZones:getAvailabilityZones":
		var names []any
		for i := range mockAZs {
			names = append(names, m.region+string(rune('a'+i)))
		}
		return resource.NewPropertyMapFromMap(map[string]any{"names": names}), nil
	case "aws:route53/getZone:getZone":
		return m.hostedZone(args.Args), nil
	}
	return nil, fmt.Errorf("offline plan: no mock for function %s", args.Token)
}

// hostedZone answers a Route 53 zone lookup by id or name: a public zone
// named, unless the name was asked for, after the registered domain of the
// stack's octabyte:domainName (example.com for app.example.com).
func (m *mocks) hostedZone(query resource.PropertyMap) resource.PropertyMap {
	name, _ := publicsuffix.EffectiveTLDPlusOne(m.config[m.project+":domainName"])
	if v, ok := query["name"]; ok && v.IsString() {
		name = v.StringValue()
	}
	id := "Z" + strings.ToUpper(suffix(name, 20))
	if v, ok := query["zoneId"]; ok && v.IsString() {
		id = v.StringValue()
	}
	return resource.NewPropertyMapFromMap(map[string]any{
		"id": id, "zoneId": id, "name": name, "privateZone": false,
		"arn":         "arn:aws:route53:::hostedzone/" + id,
		"nameServers": []any{"ns-1.awsdns-01.org", "ns-2.awsdns-02.co.uk"},
	})
}

// The awsx VPC returns its NAT gateways as references to resources of its
// own; the SDK reads each one back from the engine by URN. Under mocks
// awsx's children are never registered, so readAwsxChildren reads the NAT
// gateways the mock's VPC refers to (as many as the region has AZs) before
// the program runs, which is where a real engine would find them.
const natGatewayType = "aws:ec2/natGateway:NatGateway"

func natGatewayName(i int) string { return fmt.Sprintf("vpc-nat-%d", i+1) }

func (m *mocks) natGatewayID(i int) string {
	return fmt.Sprintf("nat-%d%s", i+1, suffix(m.stack+"/nat", 15))
}

func (m *mocks) readAwsxChildren(ctx *pulumi.Context) error {
	for i := range mockAZs {
		gateway, err := ec2.GetNatGateway(ctx, natGatewayName(i), pulumi.ID(m.natGatewayID(i)), nil)
		if err != nil {
			return err
		}
		// The read is an RPC of its own: wait until the engine knows the
		// gateway, before anything can ask for it.
		if _, err := internals.UnsafeAwaitOutput(ctx.Context(), gateway.ID()); err != nil {
			return err
		}
	}
	return nil
}

// natGatewayRefs turns NAT gateway ids into the references awsx returns.
func (m *mocks) natGatewayRefs(ids []any) resource.PropertyValue {
	refs := make([]resource.PropertyValue, len(ids))
	for i, id := range ids {
		urn := resource.URN(m.urn("", natGatewayType, natGatewayName(i)))
		refs[i] = resource.MakeCustomResourceReference(urn, resource.ID(id.(string)), "")
	}
	return resource.NewArrayProperty(refs)
}

// dbInstances answers aws:rds/getInstances from the deployed instances:
// those matching every db-instance-id filter and every tag asked for.
func (m *mocks) dbInstances(args resource.PropertyMap) []any {
	ids := []any{}
	for _, db := range m.deployed.DBInstances {
		match := true
		if f, ok := args["filters"]; ok && f.IsArray() {
			for _, filter := range f.ArrayValue() {
				values, _ := filter.ObjectValue()["values"].Mappable().([]any)
				match = match && slices.Contains(values, db["dbInstanceIdentifier"])
			}
		}
		if t, ok := args["tags"]; ok && t.IsObject() {
			tags, _ := db["tags"].(map[string]any)
			for k, v := range t.ObjectValue().Mappable() {
				match = match && tags[k] == v
			}
		}
		if match {
			ids = append(ids, db["dbInstanceIdentifier"])
		}
	}
	return ids
}

// NewResource records a registration and returns its computed state.
func (m *mocks) NewResource(args pulumi.MockResourceArgs) (string, resource.PropertyMap, error) {
	// Reads of resources that already exist (see readAwsxChildren) are not
	// part of the plan.
	if args.ReadRPC != nil {
		return args.ID, args.Inputs, nil
	}
	rpc := args.RegisterRPC
	r := Resource{
		Type:       args.TypeToken,
		Name:       args.Name,
		Custom:     args.Custom,
		Inputs:     plain(args.Inputs),
		Transforms: args.Transforms,
	}
	if rpc != nil {
		// The mock monitor drops unknown inputs; read them from the request
		// as the engine would receive them.
		inputs, err := plugin.UnmarshalProperties(rpc.GetObject(), plugin.MarshalOptions{KeepUnknowns: true, KeepSecrets: true, KeepResources: true})
		if err != nil {
			return "", nil, err
		}
		r.Inputs = plain(inputs)
		r.Parent = rpc.GetParent()
		r.Protect = rpc.GetProtect()
		r.IgnoreChanges = rpc.GetIgnoreChanges()
		r.DeleteBeforeReplace = rpc.GetDeleteBeforeReplace()
		deps := map[string]bool{}
		for _, d := range rpc.GetDependencies() {
			deps[d] = true
		}
		for key, pd := range rpc.GetPropertyDependencies() {
			for _, d := range pd.GetUrns() {
				deps[d] = true
				if r.PropertyDeps == nil {
					r.PropertyDeps = map[string][]string{}
				}
				r.PropertyDeps[key] = append(r.PropertyDeps[key], d)
			}
		}
		for d := range deps {
			r.DependsOn = append(r.DependsOn, d)
		}
	}
	r.URN = m.urn(r.Parent, r.Type, r.Name)
	state := map[string]any{}
	for k, v := range r.Inputs {
		state[k] = v
	}
	// A preview plans a create with its inputs as they are and no id:
	// every attribute the provider computes is in its outputs, unknown, as
	// the engine shows them to a stack policy (a remote component's too).
	id, computed := m.compute(r)
	if m.mode == Preview {
		id = ""
		for k := range computed {
			computed[k] = Unknown{}
		}
	}
	for k, v := range computed {
		if _, input := state[k]; !input || m.mode == Apply {
			state[k] = v
		}
	}
	r.Outputs = state

	m.mu.Lock()
	m.seen = append(m.seen, r)
	m.mu.Unlock()
	if !strings.HasPrefix(args.TypeToken, "awsx:") {
		if !args.Custom {
			return "", resource.PropertyMap{}, nil
		}
		return id, knownOnly(state), nil
	}
	// A remote component's outputs are its own, not its inputs echoed
	// (awsx's natGateways input is a strategy, its output the gateways).
	out := knownOnly(computed)
	if ids, ok := computed["natGateways"].([]any); ok {
		out["natGateways"] = m.natGatewayRefs(ids)
	}
	return id, out, nil
}

// knownOnly is the state to hand back to the program: unknown inputs are
// left out, which a dry run reads as unknown.
func knownOnly(state map[string]any) resource.PropertyMap {
	known := map[string]any{}
	for k, v := range state {
		if !IsUnknown(v) {
			known[k] = v
		}
	}
	return resource.NewPropertyMapFromMap(known)
}

// urn mirrors the mock monitor's URN scheme so Parent and dependency URNs match.
func (m *mocks) urn(parent, typ, name string) string {
	parentType := tokens.Type("")
	if p := resource.URN(parent); p != "" && p.QualifiedType() != resource.RootStackType {
		parentType = p.QualifiedType()
	}
	return string(resource.NewURN(tokens.QName(m.stack), tokens.PackageName(m.project), parentType, tokens.Type(typ), name))
}

// suffix is a short stable stand-in for the random part of auto-names.
func suffix(seed string, n int) string {
	sum := sha256.Sum256([]byte(seed))
	return hex.EncodeToString(sum[:])[:n]
}

// compute returns the resource id and the attributes AWS would compute.
func (m *mocks) compute(r Resource) (string, map[string]any) {
	name, _ := r.Inputs["name"].(string)
	if name == "" {
		// Pulumi auto-naming: logical name plus a 7-character random suffix.
		name = r.Name + "-" + suffix(r.URN, 7)
		if prefix, ok := r.Inputs["namePrefix"].(string); ok && prefix != "" {
			name = prefix + suffix(r.URN, 26)
		}
	}
	acct, region := AccountID, m.region
	arn := func(service, rest string) string {
		return fmt.Sprintf("arn:aws:%s:%s:%s:%s", service, region, acct, rest)
	}
	id := name
	out := map[string]any{}
	switch r.Type {
	case "awsx:ec2:Vpc":
		azs := 2
		if n, ok := r.Inputs["numberOfAvailabilityZones"].(float64); ok {
			azs = int(n)
		}
		var public, private []any
		for i := 0; i < azs; i++ {
			public = append(public, fmt.Sprintf("subnet-public%d%s", i+1, suffix(r.URN, 8)))
			private = append(private, fmt.Sprintf("subnet-private%d%s", i+1, suffix(r.URN, 8)))
		}
		nats := 1
		switch s, _ := Lookup(r.Inputs, "natGateways.strategy").(string); s {
		case "OnePerAz":
			nats = azs
		case "None": // awsx creates no NAT gateway (the NAT instance's stacks)
			nats = 0
		}
		var natIDs []any
		for i := range nats {
			natIDs = append(natIDs, m.natGatewayID(i))
		}
		out["vpcId"] = "vpc-" + suffix(r.URN, 17)
		out["publicSubnetIds"] = public
		out["privateSubnetIds"] = private
		out["isolatedSubnetIds"] = []any{}
		out["natGateways"] = natIDs
		out["vpc"] = map[string]any{"cidrBlock": r.Inputs["cidrBlock"], "id": out["vpcId"]}
		id = out["vpcId"].(string)
	case "aws:lb/loadBalancer:LoadBalancer":
		suffixPart := "app/" + name + "/" + suffix(r.URN, 16)
		out["arn"] = arn("elasticloadbalancing", "loadbalancer/"+suffixPart)
		out["arnSuffix"] = suffixPart
		out["dnsName"] = fmt.Sprintf("%s-%s.%s.elb.amazonaws.com", name, suffix(r.URN, 10), region)
		out["zoneId"] = "ZP97RAFLXTNZK"
	case "aws:lb/targetGroup:TargetGroup":
		suffixPart := "targetgroup/" + name + "/" + suffix(r.URN, 16)
		out["arn"] = arn("elasticloadbalancing", suffixPart)
		out["arnSuffix"] = suffixPart
	case "aws:lb/listener:Listener":
		out["arn"] = arn("elasticloadbalancing", "listener/app/"+suffix(r.URN, 16))
	case "aws:ec2/instance:Instance":
		id = "i-" + suffix(r.URN, 17)
		out["arn"] = arn("ec2", "instance/"+id)
		out["primaryNetworkInterfaceId"] = "eni-" + suffix(r.URN+"eni", 17)
		out["privateIp"] = "10.0.0.10"
	case "aws:ec2/eip:Eip":
		id = "eipalloc-" + suffix(r.URN, 17)
		out["allocationId"] = id
		out["publicIp"] = "203.0.113.10"
	case "aws:iam/instanceProfile:InstanceProfile":
		out["arn"] = fmt.Sprintf("arn:aws:iam::%s:instance-profile%s%s", acct, iamPath(r), name)
	case "aws:ecr/repository:Repository":
		out["repositoryUrl"] = fmt.Sprintf("%s.dkr.ecr.%s.amazonaws.com/%s", acct, region, name)
		out["arn"] = arn("ecr", "repository/"+name)
		out["registryId"] = acct
	case "aws:ecs/cluster:Cluster":
		out["arn"] = arn("ecs", "cluster/"+name)
	case "aws:ecs/service:Service":
		cluster, _ := r.Inputs["cluster"].(string)
		out["arn"] = arn("ecs", "service/"+lastSegment(cluster)+"/"+name)
	case "aws:ecs/taskDefinition:TaskDefinition":
		family, _ := r.Inputs["family"].(string)
		out["arn"] = arn("ecs", "task-definition/"+family+":1")
		out["revision"] = 1
	case "aws:cloudwatch/logGroup:LogGroup":
		out["arn"] = arn("logs", "log-group:"+name)
	case "aws:iam/role:Role":
		out["arn"] = fmt.Sprintf("arn:aws:iam::%s:role%s%s", acct, iamPath(r), name)
		out["uniqueId"] = "AROA" + strings.ToUpper(suffix(r.URN, 17))
	case "aws:iam/policy:Policy":
		out["arn"] = fmt.Sprintf("arn:aws:iam::%s:policy%s%s", acct, iamPath(r), name)
	case "aws:iam/openIdConnectProvider:OpenIdConnectProvider":
		url, _ := r.Inputs["url"].(string)
		out["arn"] = fmt.Sprintf("arn:aws:iam::%s:oidc-provider/%s", acct, strings.TrimPrefix(url, "https://"))
	case "aws:s3/bucketV2:BucketV2", "aws:s3/bucket:Bucket":
		if b, _ := r.Inputs["bucket"].(string); b != "" {
			name = b
		} else if p, _ := r.Inputs["bucketPrefix"].(string); p != "" {
			name = p + suffix(r.URN, 26)
		} else {
			name = strings.ToLower(name)
		}
		id = name
		out["bucket"] = name
		out["arn"] = "arn:aws:s3:::" + name
		out["bucketRegionalDomainName"] = name + ".s3." + region + ".amazonaws.com"
	case "aws:sns/topic:Topic":
		out["arn"] = arn("sns", name)
	case "aws:kms/key:Key":
		id = uuid(r.URN)
		out["arn"] = arn("kms", "key/"+id)
		out["keyId"] = id
	case "aws:acm/certificate:Certificate":
		// A DNS-validated certificate names one CNAME per domain name.
		id = arn("acm", "certificate/"+uuid(r.URN))
		out["arn"] = id
		out["status"] = "PENDING_VALIDATION"
		var options []any
		for _, domain := range append([]any{r.Inputs["domainName"]}, list(r.Inputs["subjectAlternativeNames"])...) {
			d, _ := domain.(string)
			options = append(options, map[string]any{
				"domainName":          d,
				"resourceRecordName":  "_" + suffix(r.URN+d, 32) + "." + d + ".",
				"resourceRecordType":  "CNAME",
				"resourceRecordValue": "_" + suffix(r.URN+d+"v", 32) + "." + suffix(d, 10) + ".acm-validations.aws.",
			})
		}
		out["domainValidationOptions"] = options
	case "aws:acm/certificateValidation:CertificateValidation":
		id = "2026-11-01 00:00:00 +0000 UTC" // the certificate's IssuedAt
	case "aws:route53/record:Record":
		zone, _ := r.Inputs["zoneId"].(string)
		typ, _ := r.Inputs["type"].(string)
		out["fqdn"] = strings.TrimSuffix(name, ".")
		id = zone + "_" + strings.TrimSuffix(name, ".") + "_" + typ
	case "aws:chatbot/slackChannelConfiguration:SlackChannelConfiguration":
		configName, _ := r.Inputs["configurationName"].(string)
		id = fmt.Sprintf("arn:aws:chatbot::%s:chat-configuration/slack-channel/%s", acct, configName)
		out["chatConfigurationArn"] = id
		out["slackChannelName"] = "alerts"
		out["slackTeamName"] = "octabyte"
	case "aws:kms/alias:Alias":
		out["arn"] = arn("kms", name)
	case "aws:ec2/securityGroup:SecurityGroup", "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup":
		id = "sg-" + suffix(r.URN, 17)
		out["arn"] = arn("ec2", "security-group/"+id)
	case "aws:rds/instance:Instance":
		ident, _ := r.Inputs["identifier"].(string)
		if ident == "" {
			ident = name
		}
		id = ident
		port := 5432.0
		if p, ok := r.Inputs["port"].(float64); ok {
			port = p
		}
		host := fmt.Sprintf("%s.%s.%s.rds.amazonaws.com", ident, suffix(r.URN, 12), region)
		out["identifier"] = ident
		out["address"] = host
		out["port"] = port
		out["endpoint"] = fmt.Sprintf("%s:%d", host, int(port))
		out["arn"] = arn("rds", "db:"+ident)
		out["resourceId"] = "db-" + strings.ToUpper(suffix(r.URN, 26))
		if managed, _ := r.Inputs["manageMasterUserPassword"].(bool); managed {
			out["masterUserSecrets"] = []any{map[string]any{
				"secretArn":    arn("secretsmanager", "secret:rds!db-"+suffix(r.URN, 8)+"-"+suffix(r.URN+"s", 6)),
				"secretStatus": "active",
				"kmsKeyId":     arn("kms", "alias/aws/secretsmanager"),
			}}
		}
	case "aws:rds/subnetGroup:SubnetGroup", "aws:rds/parameterGroup:ParameterGroup":
		out["arn"] = arn("rds", "x:"+name)
	case "aws:cloudwatch/dashboard:Dashboard":
		dn, _ := r.Inputs["dashboardName"].(string)
		out["dashboardArn"] = fmt.Sprintf("arn:aws:cloudwatch::%s:dashboard/%s", acct, dn)
	case "aws:cloudwatch/metricAlarm:MetricAlarm":
		out["arn"] = arn("cloudwatch", "alarm:"+name)
	case "aws:cloudwatch/eventRule:EventRule":
		out["arn"] = arn("events", "rule/"+name)
	case "aws:ec2/vpcEndpoint:VpcEndpoint":
		id = "vpce-" + suffix(r.URN, 17)
		out["arn"] = arn("ec2", "vpc-endpoint/"+id)
		if r.Inputs["vpcEndpointType"] == "Gateway" {
			out["prefixListId"] = "pl-" + suffix(r.URN, 8)
		}
	case "random:index/randomId:RandomId":
		// Stable per resource and keepers, as state keeps a drawn value.
		keepers, _ := r.Inputs["keepers"].(map[string]any)
		id = suffix(r.URN+fmt.Sprint(keepers), 8)
		out["hex"] = id
	default:
		out["arn"] = arn(serviceOf(r.Type), name)
	}
	if _, ok := out["name"]; !ok && r.Custom {
		out["name"] = name
	}
	out["id"] = id
	return id, out
}

// uuid is a stable stand-in for an id AWS generates as a UUID.
func uuid(seed string) string {
	return suffix(seed, 8) + "-0000-4000-8000-" + suffix(seed, 12)
}

func list(v any) []any {
	l, _ := v.([]any)
	return l
}

// iamPath is a role's or policy's path, which IAM puts in its ARN between
// the resource type and the name ("/" by default).
func iamPath(r Resource) string {
	if p, _ := r.Inputs["path"].(string); p != "" {
		return p
	}
	return "/"
}

func lastSegment(s string) string {
	if i := strings.LastIndex(s, "/"); i >= 0 {
		return s[i+1:]
	}
	return s
}

// serviceOf maps aws:ec2/vpc:Vpc to ec2.
func serviceOf(typ string) string {
	parts := strings.Split(typ, ":")
	if len(parts) < 2 {
		return "unknown"
	}
	return strings.Split(parts[1], "/")[0]
}
