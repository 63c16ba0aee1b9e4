package network

import (
	"fmt"
	"strings"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/ec2"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/iam"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/ssm"
	vpcrules "github.com/pulumi/pulumi-aws/sdk/v6/go/aws/vpc"
	awsx "github.com/pulumi/pulumi-awsx/sdk/v2/go/awsx/ec2"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/octabyte/octabyte/internal/policydoc"
	"github.com/octabyte/octabyte/internal/suppress"
)

// NAT instance settings: the smallest Graviton size, on the current Amazon
// Linux 2023 image AWS publishes through a public SSM parameter (the
// standard image carries the SSM agent; the minimal one does not).
const (
	NATInstanceType   = "t4g.nano"
	NATInstanceAMI    = "/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-arm64"
	NATRootVolumeGB   = 8 // the AL2023 image's own size
	natInstancePort   = 443
	natInstanceSGDesc = "NAT instance: HTTPS from the private subnets only"
)

// NATInstancePrincipal is the service that assumes the NAT instance's role
// ("IAM roles for Amazon EC2", Amazon EC2 User Guide).
const NATInstancePrincipal = "ec2.amazonaws.com"

// SessionChannelActions and ssm:UpdateInstanceInformation are what the SSM
// agent needs for Session Manager (AWS Systems Manager User Guide, "Verify
// or add instance permissions for Session Manager"): the agent's heartbeat
// and the session channels. No Run Command (ec2messages), no S3 or KMS.
var SessionChannelActions = []string{
	"ssmmessages:CreateControlChannel", "ssmmessages:CreateDataChannel",
	"ssmmessages:OpenControlChannel", "ssmmessages:OpenDataChannel",
}

// natUserData turns Amazon Linux 2023 into a NAT router, as the VPC User
// Guide's "NAT instances" chapter does for AL2023: IP forwarding, and
// masquerading of the VPC's traffic out of the default interface, kept
// across reboots by iptables-services. It reads no instance metadata.
//
// The public subnets assign no public IPv4 address (NoPublicIPOnLaunch), so
// the instance reaches the package repositories only once its Elastic IP is
// associated, which Pulumi does after the instance is running: the install
// is retried for up to ten minutes, and the script stops if it never worked.
func natUserData(vpcCIDR string) string {
	return strings.Join([]string{
		"#!/bin/bash",
		"set -euxo pipefail",
		"for _ in $(seq 60); do dnf install -y iptables-services && break; sleep 10; done",
		"rpm -q iptables-services",
		"systemctl enable --now iptables",
		"echo 'net.ipv4.ip_forward = 1' > /etc/sysctl.d/90-nat.conf",
		"sysctl -p /etc/sysctl.d/90-nat.conf",
		`out="$(ip route show default | awk '{print $5; exit}')"`,
		"iptables -t nat -A POSTROUTING -o \"$out\" -s " + vpcCIDR + " -j MASQUERADE",
		"iptables -F FORWARD",
		"iptables -A FORWARD -s " + vpcCIDR + " -j ACCEPT",
		"iptables -A FORWARD -d " + vpcCIDR + " -m state --state ESTABLISHED,RELATED -j ACCEPT",
		"service iptables save",
		"",
	}, "\n")
}

// natInstance is one instance in the first public subnet that does NAT for
// the private subnets: cheaper than a NAT gateway, with none of its managed
// availability. EC2's automatic recovery restarts it on a host failure with
// the same ENI and addresses, so the routes stay valid; monitoring alarms
// on its status checks and reboots it on an instance failure.
func newNATInstance(ctx *pulumi.Context, a NetworkArgs, vpc *awsx.Vpc, parent pulumi.ResourceOption) (pulumi.StringOutput, error) {
	sg, err := ec2.NewSecurityGroup(ctx, "nat", &ec2.SecurityGroupArgs{
		VpcId:       vpc.VpcId,
		Description: pulumi.String(natInstanceSGDesc),
	}, parent)
	if err != nil {
		return pulumi.StringOutput{}, err
	}
	// The tasks' only internet egress is HTTPS; the NAT accepts exactly that,
	// from each private subnet, and may send anything out.
	for i := 0; i < a.AZCount; i++ {
		subnet := ec2.LookupSubnetOutput(ctx, ec2.LookupSubnetOutputArgs{Id: vpc.PrivateSubnetIds.Index(pulumi.Int(i))}, pulumi.Parent(vpc))
		if _, err := vpcrules.NewSecurityGroupIngressRule(ctx, fmt.Sprintf("nat-in-private-%d", i+1), &vpcrules.SecurityGroupIngressRuleArgs{
			SecurityGroupId: sg.ID(),
			IpProtocol:      pulumi.String("tcp"),
			FromPort:        pulumi.Int(natInstancePort),
			ToPort:          pulumi.Int(natInstancePort),
			CidrIpv4:        subnet.CidrBlock(),
			Description:     pulumi.String(fmt.Sprintf("HTTPS from private subnet %d", i+1)),
		}, parent); err != nil {
			return pulumi.StringOutput{}, err
		}
	}
	if _, err := vpcrules.NewSecurityGroupEgressRule(ctx, "nat-out", &vpcrules.SecurityGroupEgressRuleArgs{
		SecurityGroupId: sg.ID(),
		IpProtocol:      pulumi.String("tcp"),
		FromPort:        pulumi.Int(natInstancePort),
		ToPort:          pulumi.Int(natInstancePort),
		CidrIpv4:        pulumi.String("0.0.0.0/0"),
		Description:     pulumi.String("HTTPS to the internet on behalf of the private subnets"),
		Tags:            pulumi.ToStringMap(suppress.Tag("NET-007", "The NAT instance forwards the private subnets HTTPS traffic to the internet - that is its purpose")),
	}, parent); err != nil {
		return pulumi.StringOutput{}, err
	}

	role, err := iam.NewRole(ctx, "nat", &iam.RoleArgs{
		Description:      pulumi.String("NAT instance: Session Manager access only"),
		AssumeRolePolicy: pulumi.String(policydoc.ServiceTrust(NATInstancePrincipal, a.AccountID, nil).JSON()),
	}, parent)
	if err != nil {
		return pulumi.StringOutput{}, err
	}
	// Service Authorization Reference: UpdateInstanceInformation acts on the
	// EC2 instance resource type; the ssmmessages channels have no resource
	// types at all.
	ssmOnly := policydoc.New(
		policydoc.Statement{Sid: "AgentHeartbeat", Effect: "Allow", Action: "ssm:UpdateInstanceInformation",
			Resource: fmt.Sprintf("arn:aws:ec2:%s:%s:instance/*", a.Region, a.AccountID)},
		policydoc.Statement{Sid: "SessionChannels", Effect: "Allow", Action: SessionChannelActions, Resource: "*"})
	if _, err := iam.NewRolePolicy(ctx, "nat", &iam.RolePolicyArgs{Role: role.ID(), Policy: pulumi.String(ssmOnly.JSON())}, parent); err != nil {
		return pulumi.StringOutput{}, err
	}
	profile, err := iam.NewInstanceProfile(ctx, "nat", &iam.InstanceProfileArgs{Role: role.Name}, parent)
	if err != nil {
		return pulumi.StringOutput{}, err
	}

	// Read at plan time: a preview shows the image a create would use.
	image, err := ssm.LookupParameter(ctx, &ssm.LookupParameterArgs{Name: NATInstanceAMI}, pulumi.Parent(vpc))
	if err != nil {
		return pulumi.StringOutput{}, err
	}
	instance, err := ec2.NewInstance(ctx, "nat", &ec2.InstanceArgs{
		Ami:                 pulumi.String(image.InsecureValue),
		InstanceType:        pulumi.String(NATInstanceType),
		SubnetId:            vpc.PublicSubnetIds.Index(pulumi.Int(0)),
		VpcSecurityGroupIds: pulumi.StringArray{sg.ID()},
		SourceDestCheck:     pulumi.Bool(false), // it forwards traffic that is neither from nor to itself
		IamInstanceProfile:  profile.Name,
		UserData:            pulumi.String(natUserData(a.CIDR)),
		// The script runs at first boot only: a changed one takes effect on a
		// new instance (by default the provider would stop and start this one,
		// which keeps the old configuration).
		UserDataReplaceOnChange: pulumi.Bool(true),
		MetadataOptions: &ec2.InstanceMetadataOptionsArgs{
			HttpTokens:              pulumi.String("required"), // IMDSv2 only
			HttpEndpoint:            pulumi.String("enabled"),
			HttpPutResponseHopLimit: pulumi.Int(1),
		},
		RootBlockDevice: &ec2.InstanceRootBlockDeviceArgs{
			Encrypted:  pulumi.Bool(true),
			VolumeType: pulumi.String("gp3"),
			VolumeSize: pulumi.Int(NATRootVolumeGB),
		},
		MaintenanceOptions: &ec2.InstanceMaintenanceOptionsArgs{AutoRecovery: pulumi.String("default")},
		Tags:               pulumi.StringMap{"Name": pulumi.String("octabyte-" + ctx.Stack() + "-nat")},
	}, parent,
		// A new image replaces the instance, which cuts the private subnets'
		// egress for a few minutes: only when asked (`pulumi up --replace`,
		// see README), never in the middle of a deploy.
		pulumi.IgnoreChanges([]string{"ami"}))
	if err != nil {
		return pulumi.StringOutput{}, err
	}
	if _, err := ec2.NewEip(ctx, "nat", &ec2.EipArgs{Domain: pulumi.String("vpc"), Instance: instance.ID()}, parent); err != nil {
		return pulumi.StringOutput{}, err
	}

	// awsx creates one route table per private subnet, without a default
	// route when it makes no NAT gateway; each gets one to the instance.
	tables := privateRouteTables(ctx, vpc)
	for i := 0; i < a.AZCount; i++ {
		if _, err := ec2.NewRoute(ctx, fmt.Sprintf("private-%d-nat", i+1), &ec2.RouteArgs{
			RouteTableId:         tables.Ids().Index(pulumi.Int(i)),
			DestinationCidrBlock: pulumi.String("0.0.0.0/0"),
			NetworkInterfaceId:   instance.PrimaryNetworkInterfaceId,
		}, parent); err != nil {
			return pulumi.StringOutput{}, err
		}
	}
	return instance.ID().ToStringOutput(), nil
}
