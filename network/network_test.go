package network_test

import (
	"encoding/json"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/octabyte/octabyte/network"
	"github.com/octabyte/octabyte/plan"
)

func build(t *testing.T, args network.NetworkArgs) (*plan.Plan, *network.Network) {
	t.Helper()
	var n *network.Network
	p, err := plan.Run(func(ctx *pulumi.Context) error {
		var err error
		n, err = network.NewNetwork(ctx, "network", &args)
		return err
	}, "test", map[string]string{"aws:region": "ap-south-1"})
	require.NoError(t, err)
	return p, n
}

func vpc(t *testing.T, p *plan.Plan) plan.Resource {
	v := p.ByType("awsx:ec2:Vpc")
	require.Len(t, v, 1)
	return v[0]
}

func TestDefaultsAreTwoAZsSingleNATAndDNSHostnames(t *testing.T) {
	p, _ := build(t, network.NetworkArgs{AccountID: plan.AccountID, Region: "ap-south-1"})
	v := vpc(t, p)
	assert.Equal(t, 2.0, v.Input("numberOfAvailabilityZones"), "awsx defaults to 3 AZs; the seed has 2")
	assert.Equal(t, "Single", v.Input("natGateways.strategy"))
	assert.Equal(t, true, v.Input("enableDnsHostnames"))
	assert.Equal(t, true, v.Input("enableDnsSupport"))
	assert.Equal(t, "10.0.0.0/16", v.Input("cidrBlock"))
}

func TestOneNATPerAZWhenAsked(t *testing.T) {
	p, _ := build(t, network.NetworkArgs{NAT: network.NATOnePerAZ})
	assert.Equal(t, "OnePerAz", vpc(t, p).Input("natGateways.strategy"))
}

func TestSubnetLayoutIsOnePublicAndOnePrivatePerAZ(t *testing.T) {
	p, _ := build(t, network.NetworkArgs{})
	specs, ok := vpc(t, p).Input("subnetSpecs").([]any)
	require.True(t, ok)
	require.Len(t, specs, 2, "exactly one public and one private subnet spec (per AZ)")
	byType := map[string]float64{}
	for _, s := range specs {
		m := s.(map[string]any)
		byType[m["type"].(string)] = m["cidrMask"].(float64)
	}
	assert.Equal(t, map[string]float64{"Public": 24, "Private": 20}, byType)
}

func TestOutputsExposeSubnetsPerAZ(t *testing.T) {
	_, n := build(t, network.NetworkArgs{})
	assert.Equal(t, "10.0.0.0/16", n.CIDR)
	got := make(chan []string, 2)
	n.PrivateSubnetIDs.ApplyT(func(ids []string) []string { got <- ids; return ids })
	n.PublicSubnetIDs.ApplyT(func(ids []string) []string { got <- ids; return ids })
	assert.Len(t, <-got, 2)
	assert.Len(t, <-got, 2)
}

func TestDefaultSecurityGroupHasNoRules(t *testing.T) {
	p, _ := build(t, network.NetworkArgs{})
	sgs := p.ByType("aws:ec2/defaultSecurityGroup:DefaultSecurityGroup")
	require.Len(t, sgs, 1)
	assert.Empty(t, sgs[0].Input("ingress"))
	assert.Empty(t, sgs[0].Input("egress"))
	assert.NotEmpty(t, sgs[0].Input("vpcId"))
}

func TestFlowLogsCaptureAllTrafficWithRetention(t *testing.T) {
	p, _ := build(t, network.NetworkArgs{FlowLogRetentionDays: 30, AccountID: plan.AccountID, Region: "ap-south-1"})
	logs := p.ByType("aws:ec2/flowLog:FlowLog")
	require.Len(t, logs, 1)
	assert.Equal(t, "ALL", logs[0].Input("trafficType"))
	group, ok := p.Find("aws:cloudwatch/logGroup:LogGroup", "flow-logs")
	require.True(t, ok)
	assert.Equal(t, 30.0, group.Input("retentionInDays"))
	assert.Equal(t, group.Outputs["arn"], logs[0].Input("logDestination"))
}

func TestFlowLogRoleIsLeastPrivilege(t *testing.T) {
	p, _ := build(t, network.NetworkArgs{AccountID: plan.AccountID, Region: "ap-south-1"})
	role, ok := p.Find("aws:iam/role:Role", "flow-logs")
	require.True(t, ok)
	service, account := serviceTrust(t, role)
	assert.Equal(t, "vpc-flow-logs.amazonaws.com", service)
	assert.Equal(t, plan.AccountID, account)

	policy, ok := p.Find("aws:iam/rolePolicy:RolePolicy", "flow-logs")
	require.True(t, ok)
	var doc struct {
		Statement []struct {
			Action   []string
			Resource []string
		}
	}
	require.NoError(t, json.Unmarshal([]byte(policy.Input("policy").(string)), &doc))
	group, _ := p.Find("aws:cloudwatch/logGroup:LogGroup", "flow-logs")
	arn := group.Outputs["arn"].(string)
	require.Len(t, doc.Statement, 1)
	assert.ElementsMatch(t, []string{arn, arn + ":*"}, doc.Statement[0].Resource, "writes only to its own log group")
	assert.ElementsMatch(t, []string{"logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams"}, doc.Statement[0].Action)
}

func TestEveryChildIsParentedToTheComponent(t *testing.T) {
	p, _ := build(t, network.NetworkArgs{})
	comp, ok := p.Find("octabyte:network:Network", "network")
	require.True(t, ok)
	for _, r := range p.Resources {
		if r.URN != comp.URN {
			assert.Equal(t, comp.URN, r.Parent, "%s %s", r.Type, r.Name)
		}
	}
}

func TestS3GatewayEndpointOnThePrivateRouteTables(t *testing.T) {
	p, _ := build(t, network.NetworkArgs{Region: "ap-south-1", S3GatewayEndpoint: true})
	eps := p.ByType("aws:ec2/vpcEndpoint:VpcEndpoint")
	require.Len(t, eps, 1)
	assert.Equal(t, "com.amazonaws.ap-south-1.s3", eps[0].Input("serviceName"))
	assert.Equal(t, "Gateway", eps[0].Input("vpcEndpointType"))
	private := vpc(t, p).Outputs["privateSubnetIds"].([]any)
	tables := eps[0].Input("routeTableIds").([]any)
	require.Len(t, tables, len(private))
	for i, subnet := range private {
		assert.Equal(t, "rtb-for-"+subnet.(string), tables[i], "the route table of each private subnet")
	}

	p, _ = build(t, network.NetworkArgs{Region: "ap-south-1"})
	assert.Empty(t, p.ByType("aws:ec2/vpcEndpoint:VpcEndpoint"))
}

// The NAT gateway ids are awsx's own (its natGateways output), one per
// gateway the strategy creates, so dashboards and alarms name real gateways.
func TestNATGatewayIDsComeFromAwsx(t *testing.T) {
	for _, tc := range []struct {
		strategy network.NATStrategy
		azs      int
	}{{network.NATSingle, 2}, {network.NATOnePerAZ, 2}, {network.NATOnePerAZ, 3}, {network.NATInstance, 2}} {
		p, n := build(t, network.NetworkArgs{NAT: tc.strategy, AZCount: tc.azs})
		want := map[network.NATStrategy]int{network.NATSingle: 1, network.NATOnePerAZ: tc.azs, network.NATInstance: 0}[tc.strategy]
		assert.Equal(t, want, n.NATGateways, "%s over %d AZs", tc.strategy, tc.azs)
		got := make(chan []string, 1)
		n.NATGatewayIDs.ApplyT(func(ids []string) []string { got <- ids; return ids })
		ids := <-got
		require.Len(t, ids, want)
		awsx := vpc(t, p).Outputs["natGateways"].([]any)
		for i, id := range ids {
			assert.Equal(t, awsx[i], id)
			assert.Regexp(t, `^nat-[0-9a-f]+$`, id)
		}
	}
}

// serviceTrust reads a role's one trust statement: the service it trusts
// and the account its aws:SourceAccount condition names.
func serviceTrust(t *testing.T, role plan.Resource) (service, account string) {
	t.Helper()
	var trust struct {
		Statement []struct {
			Principal map[string]string
			Condition map[string]map[string]string
		}
	}
	require.NoError(t, json.Unmarshal([]byte(role.Input("assumeRolePolicy").(string)), &trust))
	require.Len(t, trust.Statement, 1)
	return trust.Statement[0].Principal["Service"], trust.Statement[0].Condition["StringEquals"]["aws:SourceAccount"]
}
