// Package network builds the VPC the rest of the stack lives in: public
// subnets for the load balancer, private subnets for tasks and the database,
// NAT for outbound traffic, flow logs, and a locked default security group.
package network

import (
	"context"
	"fmt"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/cloudwatch"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/ec2"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/iam"
	awsx "github.com/pulumi/pulumi-awsx/sdk/v2/go/awsx/ec2"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/octabyte/octabyte/internal/policydoc"
)

// NATStrategy says how many NAT gateways carry the private subnets' traffic.
type NATStrategy string

const (
	// NATSingle is one NAT gateway for all AZs: cheapest; an AZ outage
	// cuts the other AZ's outbound traffic.
	NATSingle NATStrategy = "single"
	// NATOnePerAZ is one NAT gateway per AZ: no cross-AZ dependency.
	NATOnePerAZ NATStrategy = "onePerAz"
	// NATInstance is one small EC2 instance doing NAT: about a seventh of a
	// NAT gateway's price, with no managed availability (non-production).
	NATInstance NATStrategy = "instance"
)

// Subnet sizes: /24 public subnets only hold load balancer nodes and NAT
// gateways; /20 private subnets leave room for thousands of task ENIs.
const (
	PublicSubnetMask  = 24
	PrivateSubnetMask = 20
)

// NetworkArgs configures a Network. Zero values mean the documented default.
type NetworkArgs struct {
	CIDR                 string      // VPC CIDR block; default 10.0.0.0/16
	AZCount              int         // availability zones, each with one public and one private subnet; default 2
	NAT                  NATStrategy // default NATSingle; NATInstance for non-production stacks only
	FlowLogRetentionDays int         // VPC flow log retention; default 14
	S3GatewayEndpoint    bool        // free S3 gateway endpoint: ECR image layers skip the NAT's per-GB charge
	AccountID            string      // the deploying account, for trust-policy conditions
	Region               string      // the stack's region, for trust-policy conditions

	// InterfaceEndpoints are the AWS services (ecr.api, logs, ...) reached
	// through interface endpoints with private DNS in the private subnets;
	// their security group admits no one until a client adds its rule.
	InterfaceEndpoints []string
}

func (a NetworkArgs) withDefaults() NetworkArgs {
	if a.CIDR == "" {
		a.CIDR = "10.0.0.0/16"
	}
	if a.AZCount == 0 {
		a.AZCount = 2
	}
	if a.NAT == "" {
		a.NAT = NATSingle
	}
	if a.FlowLogRetentionDays == 0 {
		a.FlowLogRetentionDays = 14
	}
	return a
}

// Network is a VPC with one public and one private subnet in each AZ.
type Network struct {
	pulumi.ResourceState

	VpcID            pulumi.StringOutput
	CIDR             string
	PublicSubnetIDs  pulumi.StringArrayOutput
	PrivateSubnetIDs pulumi.StringArrayOutput
	FlowLogGroupName pulumi.StringOutput
	// NATGateways is how many NAT gateways carry outbound traffic, known at
	// plan time; NATGatewayIDs are their ids, read from awsx.
	NATGateways   int
	NATGatewayIDs pulumi.StringArrayOutput
	// NATInstanceID is the NAT instance when NAT is NATInstance, else empty.
	NATInstanceID pulumi.StringOutput
	// S3PrefixListID is the S3 gateway endpoint's prefix list, for egress
	// rules to S3 without 0.0.0.0/0; empty without the endpoint.
	S3PrefixListID pulumi.StringOutput
	// EndpointSecurityGroupID guards the interface endpoints; empty without
	// them. Clients add their own HTTPS ingress rule to it.
	EndpointSecurityGroupID pulumi.StringOutput
}

// natGatewayCount is how many NAT gateways a strategy creates over azs AZs.
func natGatewayCount(strategy NATStrategy, azs int) int {
	switch strategy {
	case NATOnePerAZ:
		return azs
	case NATInstance:
		return 0
	}
	return 1
}

// NewNetwork creates the VPC, its flow logs and the locked default security group.
func NewNetwork(ctx *pulumi.Context, name string, args *NetworkArgs, opts ...pulumi.ResourceOption) (*Network, error) {
	a := args.withDefaults()
	n := &Network{CIDR: a.CIDR, NATGateways: natGatewayCount(a.NAT, a.AZCount)}
	if err := ctx.RegisterComponentResource("octabyte:network:Network", name, n, opts...); err != nil {
		return nil, err
	}
	parent := pulumi.Parent(n)

	strategy := map[NATStrategy]awsx.NatGatewayStrategy{
		NATSingle: awsx.NatGatewayStrategySingle, NATOnePerAZ: awsx.NatGatewayStrategyOnePerAz, NATInstance: awsx.NatGatewayStrategyNone,
	}[a.NAT]
	subnetStrategy := awsx.SubnetAllocationStrategyAuto
	vpc, err := awsx.NewVpc(ctx, "vpc", &awsx.VpcArgs{
		CidrBlock:                 pulumi.StringRef(a.CIDR),
		NumberOfAvailabilityZones: pulumi.IntRef(a.AZCount), // awsx defaults to 3
		EnableDnsHostnames:        pulumi.Bool(true),        // needed for interface endpoints and RDS names
		EnableDnsSupport:          pulumi.Bool(true),
		SubnetStrategy:            &subnetStrategy,
		SubnetSpecs: []awsx.SubnetSpecArgs{
			{Type: awsx.SubnetTypePublic, Name: pulumi.StringRef("public"), CidrMask: pulumi.IntRef(PublicSubnetMask)},
			{Type: awsx.SubnetTypePrivate, Name: pulumi.StringRef("private"), CidrMask: pulumi.IntRef(PrivateSubnetMask)},
		},
		NatGateways: &awsx.NatGatewayConfigurationArgs{Strategy: strategy},
	}, parent, pulumi.Transforms([]pulumi.ResourceTransform{NoPublicIPOnLaunch}))
	if err != nil {
		return nil, err
	}
	n.VpcID = vpc.VpcId
	n.PublicSubnetIDs = vpc.PublicSubnetIds
	n.PrivateSubnetIDs = vpc.PrivateSubnetIds
	n.NATGatewayIDs = vpc.NatGateways.ApplyT(func(gateways []*ec2.NatGateway) pulumi.StringArrayOutput {
		ids := make(pulumi.StringArray, len(gateways))
		for i, g := range gateways {
			ids[i] = g.ID().ToStringOutput()
		}
		return ids.ToStringArrayOutput()
	}).(pulumi.StringArrayOutput)

	// Adopting the default security group with no rules removes AWS's
	// allow-all rules, so nothing can fall back on it by accident.
	if _, err := ec2.NewDefaultSecurityGroup(ctx, "default-sg", &ec2.DefaultSecurityGroupArgs{
		VpcId: vpc.VpcId,
	}, parent); err != nil {
		return nil, err
	}

	n.S3PrefixListID, n.EndpointSecurityGroupID = pulumi.String("").ToStringOutput(), pulumi.String("").ToStringOutput()
	if a.S3GatewayEndpoint {
		if n.S3PrefixListID, err = newS3Endpoint(ctx, a, vpc, parent); err != nil {
			return nil, err
		}
	}
	if len(a.InterfaceEndpoints) > 0 {
		if n.EndpointSecurityGroupID, err = newInterfaceEndpoints(ctx, a, vpc, parent); err != nil {
			return nil, err
		}
	}

	if a.NAT == NATInstance {
		if n.NATInstanceID, err = newNATInstance(ctx, a, vpc, parent); err != nil {
			return nil, err
		}
	}

	n.FlowLogGroupName, err = newFlowLogs(ctx, a, vpc.VpcId, parent)
	if err != nil {
		return nil, err
	}

	return n, ctx.RegisterResourceOutputs(n, pulumi.Map{
		"vpcId":            n.VpcID,
		"cidr":             pulumi.String(n.CIDR),
		"publicSubnetIds":  n.PublicSubnetIDs,
		"privateSubnetIds": n.PrivateSubnetIDs,
		"natGatewayIds":    n.NATGatewayIDs,
		"flowLogGroupName": n.FlowLogGroupName,
		"s3PrefixListId":   n.S3PrefixListID,
	})
}

// privateRouteTables finds the route tables awsx associates with the
// private subnets (it does not export them).
func privateRouteTables(ctx *pulumi.Context, vpc *awsx.Vpc) ec2.GetRouteTablesResultOutput {
	return ec2.GetRouteTablesOutput(ctx, ec2.GetRouteTablesOutputArgs{
		VpcId: vpc.VpcId,
		Filters: ec2.GetRouteTablesFilterArray{&ec2.GetRouteTablesFilterArgs{
			Name: pulumi.String("association.subnet-id"), Values: vpc.PrivateSubnetIds,
		}},
	}, pulumi.Parent(vpc))
}

// NoPublicIPOnLaunch is the transform that keeps awsx's public subnets from
// giving a public IPv4 address to everything launched in them (awsx v2.22.0
// sets mapPublicIpOnLaunch on its public subnets, vpc.ts): only the ALB and
// the NAT gateway live there, and they get their addresses on their own.
// awsx:ec2:Vpc is a remote component, so an SDK-side transformation never
// sees its subnets; a transform is run by the engine for every child,
// remote ones included (Pulumi docs, resource option "transformations":
// "Transforms support modifying child resources of packaged components").
func NoPublicIPOnLaunch(_ context.Context, args *pulumi.ResourceTransformArgs) *pulumi.ResourceTransformResult {
	if args.Type != "aws:ec2/subnet:Subnet" {
		return nil
	}
	props := pulumi.Map{}
	for k, v := range args.Props {
		props[k] = v
	}
	props["mapPublicIpOnLaunch"] = pulumi.Bool(false)
	return &pulumi.ResourceTransformResult{Props: props, Opts: args.Opts}
}

// newS3Endpoint routes the private subnets' S3 traffic (ECR stores image
// layers in S3) through a gateway endpoint, which has no hourly or per-GB
// charge. It returns the endpoint's prefix list, S3's addresses.
func newS3Endpoint(ctx *pulumi.Context, a NetworkArgs, vpc *awsx.Vpc, parent pulumi.ResourceOption) (pulumi.StringOutput, error) {
	s3, err := ec2.NewVpcEndpoint(ctx, "s3", &ec2.VpcEndpointArgs{
		VpcId:           vpc.VpcId,
		ServiceName:     pulumi.String("com.amazonaws." + a.Region + ".s3"),
		VpcEndpointType: pulumi.String("Gateway"),
		RouteTableIds:   privateRouteTables(ctx, vpc).Ids(),
	}, parent)
	if err != nil {
		return pulumi.StringOutput{}, err
	}
	return s3.PrefixListId, nil
}

// newInterfaceEndpoints puts an interface endpoint of each service in the
// private subnets with private DNS on, so the service's usual hostname
// resolves to it inside the VPC and clients need no change. It returns the
// endpoints' security group, which has no rules of its own.
func newInterfaceEndpoints(ctx *pulumi.Context, a NetworkArgs, vpc *awsx.Vpc, parent pulumi.ResourceOption) (pulumi.StringOutput, error) {
	sg, err := ec2.NewSecurityGroup(ctx, "endpoints", &ec2.SecurityGroupArgs{
		Description:         pulumi.String("octabyte " + ctx.Stack() + " interface endpoints: HTTPS from their clients only"),
		VpcId:               vpc.VpcId,
		RevokeRulesOnDelete: pulumi.Bool(true),
	}, parent)
	if err != nil {
		return pulumi.StringOutput{}, err
	}
	for _, service := range a.InterfaceEndpoints {
		if _, err := ec2.NewVpcEndpoint(ctx, service, &ec2.VpcEndpointArgs{
			VpcId:             vpc.VpcId,
			ServiceName:       pulumi.String("com.amazonaws." + a.Region + "." + service),
			VpcEndpointType:   pulumi.String("Interface"),
			SubnetIds:         vpc.PrivateSubnetIds,
			SecurityGroupIds:  pulumi.StringArray{sg.ID()},
			PrivateDnsEnabled: pulumi.Bool(true),
		}, parent); err != nil {
			return pulumi.StringOutput{}, err
		}
	}
	return sg.ID().ToStringOutput(), nil
}

// FlowLogsPrincipal is the service that assumes the flow-log role.
const FlowLogsPrincipal = "vpc-flow-logs.amazonaws.com"

// newFlowLogs sends all VPC traffic records to a log group through a role
// that may write only there.
func newFlowLogs(ctx *pulumi.Context, a NetworkArgs, vpcID pulumi.StringOutput, parent pulumi.ResourceOption) (pulumi.StringOutput, error) {
	group, err := cloudwatch.NewLogGroup(ctx, "flow-logs", &cloudwatch.LogGroupArgs{
		NamePrefix:      pulumi.String("/octabyte/" + ctx.Stack() + "/vpc-flow-logs-"),
		RetentionInDays: pulumi.Int(a.FlowLogRetentionDays),
	}, parent)
	if err != nil {
		return pulumi.StringOutput{}, err
	}
	// The trust, with aws:SourceAccount and aws:SourceArn on the flow logs
	// of this account and region, is the one AWS documents ("IAM role for
	// publishing flow logs to CloudWatch Logs", Amazon VPC User Guide); its
	// principal is also the iam:PassedToService of ec2:CreateFlowLogs.
	trust := policydoc.ServiceTrust(FlowLogsPrincipal, a.AccountID, map[string]map[string]any{
		"ArnLike": {"aws:SourceArn": fmt.Sprintf("arn:aws:ec2:%s:%s:vpc-flow-log/*", a.Region, a.AccountID)},
	})
	role, err := iam.NewRole(ctx, "flow-logs", &iam.RoleArgs{
		Description:      pulumi.String("VPC flow logs delivery to CloudWatch Logs"),
		AssumeRolePolicy: pulumi.String(trust.JSON()),
	}, parent)
	if err != nil {
		return pulumi.StringOutput{}, err
	}
	write := policydoc.Output(pulumi.StringArray{group.Arn}, func(v []string) policydoc.Document {
		return policydoc.New(policydoc.Statement{
			Effect:   "Allow",
			Action:   []string{"logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams"},
			Resource: []string{v[0], v[0] + ":*"},
		})
	})
	if _, err := iam.NewRolePolicy(ctx, "flow-logs", &iam.RolePolicyArgs{
		Role:   role.ID(),
		Policy: write,
	}, parent); err != nil {
		return pulumi.StringOutput{}, err
	}
	if _, err := ec2.NewFlowLog(ctx, "vpc", &ec2.FlowLogArgs{
		VpcId:                  vpcID,
		TrafficType:            pulumi.String("ALL"),
		LogDestinationType:     pulumi.String("cloud-watch-logs"),
		LogDestination:         group.Arn,
		IamRoleArn:             role.Arn,
		MaxAggregationInterval: pulumi.Int(60),
	}, parent); err != nil {
		return pulumi.StringOutput{}, err
	}
	return group.Name, nil
}
