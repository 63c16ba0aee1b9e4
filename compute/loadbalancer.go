package compute

import (
	"strconv"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/lb"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/route53"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/octabyte/octabyte/logging"
)

// TLSPolicy is the HTTPS listener's security policy: TLS 1.3 and 1.2 with
// forward-secret AES-GCM ciphers only, and hybrid post-quantum key exchange
// (ML-KEM) for clients that offer it. It is the policy AWS recommends and
// the console's default for new HTTPS listeners ("Security policies for
// your Application Load Balancer", Elastic Load Balancing User Guide); the
// API's own default is still ELBSecurityPolicy-2016-08, which allows TLS 1.0.
const TLSPolicy = "ELBSecurityPolicy-TLS13-1-2-Res-PQ-2025-09"

type loadBalancer struct {
	alb       *lb.LoadBalancer
	target    *lb.TargetGroup
	listeners []pulumi.Resource
}

func newLoadBalancer(ctx *pulumi.Context, a ComputeArgs, sg pulumi.StringOutput, parent pulumi.ResourceOption) (*loadBalancer, error) {
	// Names are left to Pulumi's auto-naming (logical name + 7 characters),
	// well inside the 32-character limit of ALBs and target groups.
	alb, err := lb.NewLoadBalancer(ctx, "alb", &lb.LoadBalancerArgs{
		LoadBalancerType:         pulumi.String("application"),
		Internal:                 pulumi.Bool(false),
		Subnets:                  a.PublicSubnetIDs,
		SecurityGroups:           pulumi.StringArray{sg},
		DropInvalidHeaderFields:  pulumi.Bool(true),
		EnableDeletionProtection: pulumi.Bool(a.DeletionProtection),
		IdleTimeout:              pulumi.Int(60),
		AccessLogs: &lb.LoadBalancerAccessLogsArgs{
			Bucket:  a.AccessLogBucket,
			Prefix:  pulumi.String(logging.AccessLogPrefix),
			Enabled: pulumi.Bool(true),
		},
	}, parent)
	if err != nil {
		return nil, err
	}
	target, err := lb.NewTargetGroup(ctx, "app", &lb.TargetGroupArgs{
		Port:                pulumi.Int(ContainerPort),
		Protocol:            pulumi.String("HTTP"),
		TargetType:          pulumi.String("ip"), // Fargate tasks register by ENI IP
		VpcId:               a.VpcID,
		DeregistrationDelay: pulumi.Int(DeregistrationDelaySeconds),
		HealthCheck: &lb.TargetGroupHealthCheckArgs{
			Path:               pulumi.String(LivenessPath),
			Port:               pulumi.String("traffic-port"),
			Protocol:           pulumi.String("HTTP"),
			Matcher:            pulumi.String("200"),
			Interval:           pulumi.Int(10),
			Timeout:            pulumi.Int(5),
			HealthyThreshold:   pulumi.Int(2),
			UnhealthyThreshold: pulumi.Int(3),
		},
	}, parent)
	if err != nil {
		return nil, err
	}
	forward := lb.ListenerDefaultActionArray{&lb.ListenerDefaultActionArgs{Type: pulumi.String("forward"), TargetGroupArn: target.Arn}}
	l := &loadBalancer{alb: alb, target: target}

	http := forward
	if a.Certificate != nil {
		// The certificate ARN of an issued certificate: the listener waits
		// for its validation.
		https, err := lb.NewListener(ctx, "https", &lb.ListenerArgs{
			LoadBalancerArn: alb.Arn,
			Port:            pulumi.Int(443),
			Protocol:        pulumi.String("HTTPS"),
			SslPolicy:       pulumi.String(TLSPolicy),
			CertificateArn:  a.Certificate,
			DefaultActions:  forward,
		}, parent)
		if err != nil {
			return nil, err
		}
		l.listeners = append(l.listeners, https)
		http = lb.ListenerDefaultActionArray{&lb.ListenerDefaultActionArgs{
			Type: pulumi.String("redirect"),
			Redirect: &lb.ListenerDefaultActionRedirectArgs{
				Protocol: pulumi.String("HTTPS"), Port: pulumi.String(strconv.Itoa(443)), StatusCode: pulumi.String("HTTP_301"),
			},
		}}
	}
	listener, err := lb.NewListener(ctx, "http", &lb.ListenerArgs{
		LoadBalancerArn: alb.Arn,
		Port:            pulumi.Int(80),
		Protocol:        pulumi.String("HTTP"),
		DefaultActions:  http,
	}, parent)
	if err != nil {
		return nil, err
	}
	l.listeners = append(l.listeners, listener)
	if a.DomainName != "" {
		if err := newAlias(ctx, a, alb, parent); err != nil {
			return nil, err
		}
	}
	return l, nil
}

// newAlias points the domain at the ALB. Only an A record: the ALB is
// IPv4-only (its ipAddressType is left at ipv4, the VPC has no IPv6 CIDR),
// and Route 53 answers an alias AAAA record only for a dualstack load
// balancer ("Routing traffic to an ELB load balancer", Route 53 Developer
// Guide): an AAAA record would be a name that never resolves.
func newAlias(ctx *pulumi.Context, a ComputeArgs, alb *lb.LoadBalancer, parent pulumi.ResourceOption) error {
	_, err := route53.NewRecord(ctx, "alias", &route53.RecordArgs{
		ZoneId: pulumi.String(a.HostedZoneID),
		Name:   pulumi.String(a.DomainName),
		Type:   pulumi.String("A"),
		Aliases: route53.RecordAliasArray{&route53.RecordAliasArgs{
			Name:                 alb.DnsName,
			ZoneId:               alb.ZoneId,
			EvaluateTargetHealth: pulumi.Bool(true),
		}},
	}, parent)
	return err
}
