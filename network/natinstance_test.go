package network_test

import (
	"encoding/json"
	"os/exec"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/octabyte/octabyte/network"
	"github.com/octabyte/octabyte/plan"
	"github.com/octabyte/octabyte/plan/plantest"
)

func natInstancePlan(t *testing.T) *plan.Plan {
	t.Helper()
	p, _ := build(t, network.NetworkArgs{NAT: network.NATInstance, AccountID: plan.AccountID, Region: "ap-south-1"})
	return p
}

func TestNATInstanceReplacesTheNATGateways(t *testing.T) {
	p := natInstancePlan(t)
	assert.Equal(t, "None", vpc(t, p).Input("natGateways.strategy"), "awsx creates no NAT gateway")
	instance := plantest.One(t, p, "aws:ec2/instance:Instance")
	assert.Equal(t, network.NATInstanceType, instance.Input("instanceType"), "the smallest Graviton size")
	assert.Equal(t, false, instance.Input("sourceDestCheck"), "a NAT forwards packets that are not its own")
	assert.Equal(t, vpc(t, p).Outputs["publicSubnetIds"].([]any)[0], instance.Input("subnetId"))
	eip := plantest.One(t, p, "aws:ec2/eip:Eip")
	assert.Equal(t, instance.Outputs["id"], eip.Input("instance"), "a stable public address for the traffic it forwards")
}

// The image is AWS's current Amazon Linux 2023 for arm64, read from AWS's
// public SSM parameter at plan time; a newer one never replaces the
// instance in the middle of a deploy.
func TestNATInstanceRunsAmazonLinuxFromItsPublicParameter(t *testing.T) {
	instance := plantest.One(t, natInstancePlan(t), "aws:ec2/instance:Instance")
	assert.Equal(t, "/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-arm64", network.NATInstanceAMI)
	assert.Regexp(t, `^ami-0[0-9a-f]+$`, instance.Input("ami"))
	assert.Equal(t, []string{"ami"}, instance.IgnoreChanges)
}

func TestNATInstanceIsHardened(t *testing.T) {
	instance := plantest.One(t, natInstancePlan(t), "aws:ec2/instance:Instance")
	assert.Equal(t, "required", instance.Input("metadataOptions.httpTokens"), "IMDSv2 only")
	assert.Equal(t, 1.0, instance.Input("metadataOptions.httpPutResponseHopLimit"))
	assert.Equal(t, "enabled", instance.Input("metadataOptions.httpEndpoint"), "the SSM agent reads the role's credentials from IMDS")
	assert.Equal(t, true, instance.Input("rootBlockDevice.encrypted"))
	assert.Equal(t, "gp3", instance.Input("rootBlockDevice.volumeType"), "what the estimate prices")
	assert.Nil(t, instance.Input("keyName"), "no SSH key: Session Manager only")
	assert.Equal(t, "default", instance.Input("maintenanceOptions.autoRecovery"), "EC2 recovers it from host failures")
}

func TestNATInstanceUserDataForwardsAndMasqueradesTheVPC(t *testing.T) {
	instance := plantest.One(t, natInstancePlan(t), "aws:ec2/instance:Instance")
	userData := instance.Input("userData").(string)
	assert.Contains(t, userData, "net.ipv4.ip_forward = 1")
	assert.Contains(t, userData, "-t nat -A POSTROUTING")
	assert.Contains(t, userData, "-s 10.0.0.0/16 -j MASQUERADE", "only the VPC's own traffic")

	bash := exec.Command("bash", "-n")
	bash.Stdin = strings.NewReader(userData)
	out, err := bash.CombinedOutput()
	require.NoError(t, err, "the script parses: %s", out)
	inOrder(t, userData,
		// no public address until the Elastic IP is associated: retried,
		// and the script stops if the package never arrived
		"for _ in $(seq 60); do dnf install -y iptables-services && break; sleep 10; done", "rpm -q iptables-services",
		"systemctl enable --now iptables",                                    // loads the saved rules at every boot
		"> /etc/sysctl.d/90-nat.conf", "sysctl -p /etc/sysctl.d/90-nat.conf", // forwarding now and after a reboot
		"-j MASQUERADE",
		"iptables -F FORWARD", // iptables-services' defaults reject forwarded packets
		"iptables -A FORWARD -s 10.0.0.0/16 -j ACCEPT",
		"iptables -A FORWARD -d 10.0.0.0/16 -m state --state ESTABLISHED,RELATED -j ACCEPT",
		"service iptables save", // after every rule: what a reboot or a recovery restores
	)
	assert.Equal(t, true, instance.Input("userDataReplaceOnChange"), "the script runs at first boot only: a new one needs a new instance")
}

// inOrder asserts that each part occurs in s after the previous one.
func inOrder(t *testing.T, s string, parts ...string) {
	t.Helper()
	at := 0
	for _, part := range parts {
		i := strings.Index(s[at:], part)
		if !assert.GreaterOrEqual(t, i, 0, "%q missing after position %d", part, at) {
			return
		}
		at += i + len(part)
	}
}

// The only way in is HTTPS from each private subnet (the tasks' only
// internet egress); the only way out is HTTPS.
func TestNATInstanceSecurityGroupAcceptsOnlyThePrivateSubnets(t *testing.T) {
	p := natInstancePlan(t)
	sg, ok := p.Find("aws:ec2/securityGroup:SecurityGroup", "nat")
	require.True(t, ok)
	var sources []any
	for _, r := range p.ByType("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule") {
		if r.Input("securityGroupId") == sg.Outputs["id"] {
			assert.Equal(t, 443.0, r.Input("fromPort"))
			assert.Equal(t, 443.0, r.Input("toPort"))
			assert.Equal(t, "tcp", r.Input("ipProtocol"))
			sources = append(sources, r.Input("cidrIpv4"))
		}
	}
	assert.ElementsMatch(t, []any{"10.0.128.0/20", "10.0.144.0/20"}, sources, "the two private subnets' CIDRs (the mock's getSubnet answers)")
	for _, r := range p.ByType("aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule") {
		if r.Input("securityGroupId") == sg.Outputs["id"] {
			assert.Equal(t, 443.0, r.Input("fromPort"))
			assert.Equal(t, 443.0, r.Input("toPort"))
		}
	}
	instance := plantest.One(t, p, "aws:ec2/instance:Instance")
	assert.Equal(t, []any{sg.Outputs["id"]}, instance.Input("vpcSecurityGroupIds"))
}

func TestEachPrivateRouteTableRoutesToTheNATInstance(t *testing.T) {
	p := natInstancePlan(t)
	instance := plantest.One(t, p, "aws:ec2/instance:Instance")
	routes := p.ByType("aws:ec2/route:Route")
	var tables []any
	for _, r := range routes {
		assert.Equal(t, "0.0.0.0/0", r.Input("destinationCidrBlock"))
		assert.Equal(t, instance.Outputs["primaryNetworkInterfaceId"], r.Input("networkInterfaceId"))
		tables = append(tables, r.Input("routeTableId"))
	}
	var want []any
	for _, subnet := range vpc(t, p).Outputs["privateSubnetIds"].([]any) {
		want = append(want, "rtb-for-"+subnet.(string))
	}
	assert.ElementsMatch(t, want, tables, "one default route per private subnet's table")
}

func TestNATInstanceRoleAllowsSessionManagerOnly(t *testing.T) {
	p := natInstancePlan(t)
	role, ok := p.Find("aws:iam/role:Role", "nat")
	require.True(t, ok)
	service, account := serviceTrust(t, role)
	assert.Equal(t, "ec2.amazonaws.com", service)
	assert.Equal(t, plan.AccountID, account)

	policy, ok := p.Find("aws:iam/rolePolicy:RolePolicy", "nat")
	require.True(t, ok)
	var doc struct {
		Statement []struct {
			Action   any
			Resource any
		}
	}
	require.NoError(t, json.Unmarshal([]byte(policy.Input("policy").(string)), &doc))
	var actions []any
	for _, s := range doc.Statement {
		switch a := s.Action.(type) {
		case string:
			actions = append(actions, a)
			assert.Equal(t, "arn:aws:ec2:ap-south-1:"+plan.AccountID+":instance/*", s.Resource, "the agent's heartbeat names instances only")
		case []any:
			actions = append(actions, a...)
		}
	}
	assert.ElementsMatch(t, []any{"ssm:UpdateInstanceInformation", "ssmmessages:CreateControlChannel", "ssmmessages:CreateDataChannel",
		"ssmmessages:OpenControlChannel", "ssmmessages:OpenDataChannel"}, actions)
	profile := plantest.One(t, p, "aws:iam/instanceProfile:InstanceProfile")
	assert.Equal(t, role.Outputs["name"], profile.Input("role"))
	assert.Equal(t, profile.Outputs["name"], plantest.One(t, p, "aws:ec2/instance:Instance").Input("iamInstanceProfile"))
}

func TestNATGatewayStacksHaveNoInstance(t *testing.T) {
	for _, nat := range []network.NATStrategy{network.NATSingle, network.NATOnePerAZ} {
		p, _ := build(t, network.NetworkArgs{NAT: nat})
		assert.Empty(t, p.ByType("aws:ec2/instance:Instance"))
		assert.Empty(t, p.ByType("aws:ec2/route:Route"))
	}
}
