package compute

import (
	"strconv"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/lb"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/octabyte/octabyte/logging"
)

// TLSPolicy allows TLS 1.3 and 1.2 with forward-secret ciphers only.
const TLSPolicy = "ELBSecurityPolicy-TLS13-1-2-2021-06"

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
	if a.CertificateArn != "" {
		https, err := lb.NewListener(ctx, "https", &lb.ListenerArgs{
			LoadBalancerArn: alb.Arn,
			Port:            pulumi.Int(443),
			Protocol:        pulumi.String("HTTPS"),
			SslPolicy:       pulumi.String(TLSPolicy),
			CertificateArn:  pulumi.String(a.CertificateArn),
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
	return l, nil
}
