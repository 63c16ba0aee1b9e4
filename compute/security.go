package compute

import (
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/ec2"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/vpc"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/octabyte/octabyte/internal/suppress"
)

type securityGroups struct {
	alb, task *ec2.SecurityGroup
}

// newSecurityGroups allows exactly: the internet to the ALB on 80 (and 443),
// the ALB to the tasks on 5000, the tasks to the database on 5432 and to AWS
// APIs on 443 (see newAWSEgress). Rules are separate resources, so the provider removes AWS's
// default allow-all egress.
func newSecurityGroups(ctx *pulumi.Context, a ComputeArgs, parent pulumi.ResourceOption) (*securityGroups, error) {
	alb, err := ec2.NewSecurityGroup(ctx, "alb", &ec2.SecurityGroupArgs{
		Description:         pulumi.String("octabyte " + ctx.Stack() + " ALB: HTTP(S) from the internet, to the app tasks only"),
		VpcId:               a.VpcID,
		RevokeRulesOnDelete: pulumi.Bool(true),
	}, parent)
	if err != nil {
		return nil, err
	}
	task, err := ec2.NewSecurityGroup(ctx, "task", &ec2.SecurityGroupArgs{
		Description:         pulumi.String("octabyte " + ctx.Stack() + " app tasks: from the ALB only"),
		VpcId:               a.VpcID,
		RevokeRulesOnDelete: pulumi.Bool(true),
	}, parent)
	if err != nil {
		return nil, err
	}

	publicPorts := []int{80}
	if a.Certificate != nil {
		publicPorts = append(publicPorts, 443)
	}
	for _, port := range publicPorts {
		if _, err := vpc.NewSecurityGroupIngressRule(ctx, portName("alb-in", port), &vpc.SecurityGroupIngressRuleArgs{
			SecurityGroupId: alb.ID(),
			Description:     pulumi.String("Internet to the load balancer"),
			IpProtocol:      pulumi.String("tcp"),
			FromPort:        pulumi.Int(port),
			ToPort:          pulumi.Int(port),
			CidrIpv4:        pulumi.String("0.0.0.0/0"),
		}, parent); err != nil {
			return nil, err
		}
	}
	rules := []struct {
		name        string
		description string
		from        *ec2.SecurityGroup
		to          pulumi.StringInput
		port        int
		egress      bool
	}{
		{"alb-out-tasks", "Load balancer to the app tasks", alb, task.ID(), ContainerPort, true},
		{"task-in-alb", "App traffic from the load balancer", task, alb.ID(), ContainerPort, false},
		{"task-out-db", "App tasks to PostgreSQL", task, a.Database.SecurityGroupID, a.Database.Port, true},
	}
	for _, r := range rules {
		if r.egress {
			_, err = vpc.NewSecurityGroupEgressRule(ctx, r.name, &vpc.SecurityGroupEgressRuleArgs{
				SecurityGroupId: r.from.ID(), Description: pulumi.String(r.description), IpProtocol: pulumi.String("tcp"),
				FromPort: pulumi.Int(r.port), ToPort: pulumi.Int(r.port), ReferencedSecurityGroupId: r.to,
			}, parent)
		} else {
			_, err = vpc.NewSecurityGroupIngressRule(ctx, r.name, &vpc.SecurityGroupIngressRuleArgs{
				SecurityGroupId: r.from.ID(), Description: pulumi.String(r.description), IpProtocol: pulumi.String("tcp"),
				FromPort: pulumi.Int(r.port), ToPort: pulumi.Int(r.port), ReferencedSecurityGroupId: r.to,
			}, parent)
		}
		if err != nil {
			return nil, err
		}
	}
	if err := newAWSEgress(ctx, a, task, parent); err != nil {
		return nil, err
	}
	// The database's and the endpoints' ingress from the tasks: added here,
	// by their one client, like CDK's db.connections.allowDefaultPortFrom(
	// service). Until the first image creates the service there are no
	// tasks, and nothing may reach either (NET-003 and NET-009 identify the
	// tasks by the service).
	if a.Image == "" {
		return &securityGroups{alb: alb, task: task}, nil
	}
	if a.Endpoints != nil {
		if _, err := vpc.NewSecurityGroupIngressRule(ctx, "endpoints-in-task", &vpc.SecurityGroupIngressRuleArgs{
			SecurityGroupId:           a.Endpoints.SecurityGroupID,
			Description:               pulumi.String("HTTPS from the app tasks"),
			IpProtocol:                pulumi.String("tcp"),
			FromPort:                  pulumi.Int(443),
			ToPort:                    pulumi.Int(443),
			ReferencedSecurityGroupId: task.ID(),
		}, parent); err != nil {
			return nil, err
		}
	}
	if _, err := vpc.NewSecurityGroupIngressRule(ctx, "db-in-task", &vpc.SecurityGroupIngressRuleArgs{
		SecurityGroupId:           a.Database.SecurityGroupID,
		Description:               pulumi.String("PostgreSQL from the app tasks"),
		IpProtocol:                pulumi.String("tcp"),
		FromPort:                  pulumi.Int(a.Database.Port),
		ToPort:                    pulumi.Int(a.Database.Port),
		ReferencedSecurityGroupId: task.ID(),
	}, parent); err != nil {
		return nil, err
	}
	return &securityGroups{alb: alb, task: task}, nil
}

// EndpointServices are the AWS services a task reaches, as VPC endpoint
// service names (com.amazonaws.<region>.<name>): the image pull (ECR's API
// and registry; layers come from S3, a gateway endpoint), the awslogs
// driver and the secrets ECS injects. The app itself calls nothing else.
var EndpointServices = []string{"ecr.api", "ecr.dkr", "logs", "secretsmanager"}

// ExecEndpointService is what ECS Exec's agent in the task talks to.
const ExecEndpointService = "ssmmessages"

// VPCEndpoints are the network's private routes to AWS APIs.
type VPCEndpoints struct {
	// SecurityGroupID guards the interface endpoints (ECR api and dkr,
	// CloudWatch Logs, Secrets Manager): compute adds the tasks' ingress.
	SecurityGroupID pulumi.StringInput
	// S3PrefixListID is the S3 gateway endpoint's prefix list: ECR serves
	// image layers from S3.
	S3PrefixListID pulumi.StringInput
}

// newAWSEgress lets the tasks reach what Fargate needs for them (platform
// 1.4.0 pulls images, fetches secrets and ships logs through the task's
// ENI): ECR's API and registry, S3 for image layers, CloudWatch Logs and
// Secrets Manager, all over HTTPS. Through VPC endpoints when the network
// has them, with no other egress; otherwise through the NAT gateway, which
// needs 0.0.0.0/0 (a declared NET-007 exception).
func newAWSEgress(ctx *pulumi.Context, a ComputeArgs, task *ec2.SecurityGroup, parent pulumi.ResourceOption) error {
	https := func(name, description string, rule *vpc.SecurityGroupEgressRuleArgs) error {
		rule.SecurityGroupId, rule.Description = task.ID(), pulumi.String(description)
		rule.IpProtocol, rule.FromPort, rule.ToPort = pulumi.String("tcp"), pulumi.Int(443), pulumi.Int(443)
		_, err := vpc.NewSecurityGroupEgressRule(ctx, name, rule, parent)
		return err
	}
	if a.Endpoints == nil {
		return https("task-out-https", "App tasks to AWS APIs (ECR, CloudWatch Logs, Secrets Manager)", &vpc.SecurityGroupEgressRuleArgs{
			CidrIpv4: pulumi.String("0.0.0.0/0"),
			Tags: pulumi.ToStringMap(suppress.Tag("NET-007",
				"ECR and CloudWatch Logs and Secrets Manager are reached through the NAT gateway - set octabyte:privateEndpoints to use VPC endpoints instead")),
		})
	}
	if err := https("task-out-endpoints", "App tasks to the interface endpoints (ECR, CloudWatch Logs, Secrets Manager)",
		&vpc.SecurityGroupEgressRuleArgs{ReferencedSecurityGroupId: a.Endpoints.SecurityGroupID}); err != nil {
		return err
	}
	return https("task-out-s3", "App tasks to S3 through the gateway endpoint (ECR image layers)",
		&vpc.SecurityGroupEgressRuleArgs{PrefixListId: a.Endpoints.S3PrefixListID})
}

func portName(prefix string, port int) string {
	if port == 443 {
		return prefix + "-https"
	}
	return prefix + "-http"
}
