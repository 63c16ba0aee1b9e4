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
// APIs on 443. Rules are separate resources, so the provider removes AWS's
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
	// ECR, CloudWatch Logs and Secrets Manager are reached over HTTPS
	// through the NAT gateway (or the S3 gateway endpoint for image layers).
	if _, err := vpc.NewSecurityGroupEgressRule(ctx, "task-out-https", &vpc.SecurityGroupEgressRuleArgs{
		SecurityGroupId: task.ID(),
		Description:     pulumi.String("App tasks to AWS APIs (ECR, CloudWatch Logs, Secrets Manager)"),
		IpProtocol:      pulumi.String("tcp"),
		FromPort:        pulumi.Int(443),
		ToPort:          pulumi.Int(443),
		CidrIpv4:        pulumi.String("0.0.0.0/0"),
		Tags: pulumi.ToStringMap(suppress.Tag("NET-007",
			"ECR and CloudWatch Logs and Secrets Manager are reached through the NAT gateway - interface endpoints cost about 7 USD per endpoint per AZ per month")),
	}, parent); err != nil {
		return nil, err
	}
	// The database's only ingress: added here, by its one client, like
	// CDK's db.connections.allowDefaultPortFrom(service). Until the first
	// image creates the service there are no tasks, and nothing may reach
	// the database (NET-003 identifies the tasks by the service).
	if a.Image == "" {
		return &securityGroups{alb: alb, task: task}, nil
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

func portName(prefix string, port int) string {
	if port == 443 {
		return prefix + "-https"
	}
	return prefix + "-http"
}
