package network_test

import (
	"context"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/octabyte/octabyte/network"
)

// awsxSubnet is a subnet as awsx v2.22.0 registers it (awsx/ec2/vpc.ts):
// mapPublicIpOnLaunch is true exactly for public subnets.
func awsxSubnet(public bool) *pulumi.ResourceTransformArgs {
	return &pulumi.ResourceTransformArgs{
		Custom: true, Type: "aws:ec2/subnet:Subnet", Name: "vpc-public-1",
		Props: pulumi.Map{
			"vpcId":               pulumi.String("vpc-1"),
			"availabilityZone":    pulumi.String("ap-south-1a"),
			"cidrBlock":           pulumi.String("10.0.0.0/24"),
			"mapPublicIpOnLaunch": pulumi.Bool(public),
		},
		Opts: pulumi.ResourceOptions{IgnoreChanges: []string{"tags"}},
	}
}

func TestTransformTurnsOffPublicIPsOnSubnetsOnly(t *testing.T) {
	for _, public := range []bool{true, false} {
		args := awsxSubnet(public)
		res := network.NoPublicIPOnLaunch(context.Background(), args)
		require.NotNil(t, res)
		assert.Equal(t, pulumi.Bool(false), res.Props["mapPublicIpOnLaunch"])
		assert.Equal(t, pulumi.String("10.0.0.0/24"), res.Props["cidrBlock"], "every other input is kept")
		assert.Equal(t, []string{"tags"}, res.Opts.IgnoreChanges, "options are kept")
		assert.Equal(t, pulumi.Bool(public), args.Props["mapPublicIpOnLaunch"], "the engine's props are not changed in place")
	}
	for _, typ := range []string{"aws:ec2/vpc:Vpc", "aws:ec2/natGateway:NatGateway", "aws:ec2/routeTable:RouteTable"} {
		assert.Nil(t, network.NoPublicIPOnLaunch(context.Background(), &pulumi.ResourceTransformArgs{Type: typ, Props: pulumi.Map{}}), typ)
	}
}

// The mock engine, like awsx under it, creates no subnets; what it can show
// is that the transform rides on the awsx VPC, where the real engine runs
// it for each subnet awsx registers.
func TestTheVpcCarriesTheTransformToAwsxSubnets(t *testing.T) {
	p, _ := build(t, network.NetworkArgs{})
	v := vpc(t, p)
	require.Len(t, v.Transforms, 1)
	res := v.Transforms[0](context.Background(), awsxSubnet(true))
	require.NotNil(t, res)
	assert.Equal(t, pulumi.Bool(false), res.Props["mapPublicIpOnLaunch"])
}

func TestInterfaceEndpointsWithPrivateDNSInThePrivateSubnets(t *testing.T) {
	services := []string{"ecr.api", "ecr.dkr", "logs", "secretsmanager"}
	p, n := build(t, network.NetworkArgs{Region: "ap-south-1", S3GatewayEndpoint: true, InterfaceEndpoints: services})
	sg, ok := p.Find("aws:ec2/securityGroup:SecurityGroup", "endpoints")
	require.True(t, ok)
	assert.Nil(t, sg.Input("ingress"), "no rule until a client adds its own")
	assert.Nil(t, sg.Input("egress"))
	private := vpc(t, p).Outputs["privateSubnetIds"]
	var got []string
	for _, e := range p.ByType("aws:ec2/vpcEndpoint:VpcEndpoint") {
		if e.Input("vpcEndpointType") != "Interface" {
			continue
		}
		got = append(got, e.Input("serviceName").(string))
		assert.Equal(t, true, e.Input("privateDnsEnabled"), e.Name)
		assert.Equal(t, private, e.Input("subnetIds"), e.Name)
		assert.Equal(t, []any{sg.Outputs["id"]}, e.Input("securityGroupIds"), e.Name)
	}
	assert.ElementsMatch(t, []string{"com.amazonaws.ap-south-1.ecr.api", "com.amazonaws.ap-south-1.ecr.dkr",
		"com.amazonaws.ap-south-1.logs", "com.amazonaws.ap-south-1.secretsmanager"}, got)

	sgID, listID := make(chan string, 1), make(chan string, 1)
	n.EndpointSecurityGroupID.ApplyT(func(id string) string { sgID <- id; return id })
	n.S3PrefixListID.ApplyT(func(id string) string { listID <- id; return id })
	assert.Equal(t, sg.Outputs["id"], <-sgID)
	s3, _ := p.Find("aws:ec2/vpcEndpoint:VpcEndpoint", "s3")
	assert.Equal(t, s3.Outputs["prefixListId"], <-listID)

	p, _ = build(t, network.NetworkArgs{Region: "ap-south-1"})
	_, ok = p.Find("aws:ec2/securityGroup:SecurityGroup", "endpoints")
	assert.False(t, ok, "no endpoints by default")
}
