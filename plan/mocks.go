package plan

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource/plugin"
	"github.com/pulumi/pulumi/sdk/v3/go/common/tokens"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// AccountID is the AWS account the mock engine pretends to deploy into.
const AccountID = "123456789012"

// mocks answers the engine's calls with plausible AWS values and records
// every registration. Computed attributes are derived from the logical name,
// so two runs of the same program give the same plan.
type mocks struct {
	project  string
	stack    string
	region   string
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
	return &mocks{project: project, stack: stack, region: region, mode: mode}
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
		return resource.NewPropertyMapFromMap(map[string]any{"names": []any{m.region + "a", m.region + "b", m.region + "c"}}), nil
	}
	return nil, fmt.Errorf("offline plan: no mock for function %s", args.Token)
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
	// every attribute the provider computes stays unknown.
	id := ""
	if m.mode == Apply {
		var computed map[string]any
		id, computed = m.compute(r)
		for k, v := range computed {
			state[k] = v
		}
	}
	r.Outputs = state

	m.mu.Lock()
	m.seen = append(m.seen, r)
	m.mu.Unlock()
	if !args.Custom && !strings.HasPrefix(args.TypeToken, "awsx:") {
		return "", resource.PropertyMap{}, nil
	}
	return id, knownOnly(state), nil
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
		if s, _ := Lookup(r.Inputs, "natGateways.strategy").(string); s == "OnePerAz" {
			nats = azs
		}
		var natIDs []any
		for i := 0; i < nats; i++ {
			natIDs = append(natIDs, map[string]any{"id": fmt.Sprintf("nat-%d%s", i+1, suffix(r.URN, 12))})
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
		id = suffix(r.URN, 8) + "-0000-4000-8000-" + suffix(r.URN, 12)
		out["arn"] = arn("kms", "key/"+id)
		out["keyId"] = id
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
