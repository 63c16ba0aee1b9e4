// Package compute runs the app: an ECR repository, an ECS Fargate service in
// the private subnets, an internet-facing ALB in the public subnets, and the
// IAM roles and security groups that let exactly those pieces talk.
package compute

import (
	"regexp"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// App contract: these values are shared with app/ and the Dockerfile.
const (
	ContainerName = "app"
	ContainerPort = 5000
	LivenessPath  = "/healthz"
	// AppUser is the image's numeric non-root user.
	AppUser = "65532:65532"
	// DrainSeconds is how long the app lets in-flight requests finish after
	// SIGTERM (its DRAIN_TIMEOUT); the stop timeout and the target group's
	// deregistration delay are both longer.
	DrainSeconds = 20
	// StopTimeoutSeconds is how long ECS waits after SIGTERM before SIGKILL.
	StopTimeoutSeconds = 30
	// DeregistrationDelaySeconds is how long the ALB keeps sending in-flight
	// traffic to a deregistering task (AWS default 300 s slows every deploy).
	DeregistrationDelaySeconds = 30
)

// Architecture is the Fargate CPU architecture.
type Architecture string

const (
	ARM64 Architecture = "ARM64" // Graviton: about 20% cheaper per vCPU-hour
	X8664 Architecture = "X86_64"
)

// AutoscalingArgs configures target-tracking autoscaling (off by default).
type AutoscalingArgs struct {
	Enabled           bool
	Min, Max          int
	CPUTargetPercent  int // default 60
	RequestsPerTarget int // ALB requests per target per minute; default 1000
}

// DatabaseEndpoint is what the app needs from the database component.
type DatabaseEndpoint struct {
	Address         pulumi.StringInput
	Port            int
	Name            string
	SecretArn       pulumi.StringInput // JSON keys username and password
	SecurityGroupID pulumi.StringInput // compute adds its own ingress rule to it
	SSLMode         string             // libpq sslmode: require (default) or verify-full
}

// ComputeArgs configures Compute. Zero values mean the documented default.
type ComputeArgs struct {
	Region    string
	AccountID string

	VpcID            pulumi.StringInput
	PublicSubnetIDs  pulumi.StringArrayInput // the ALB's subnets
	PrivateSubnetIDs pulumi.StringArrayInput // the tasks' subnets

	// Image is "sha256:<digest>" or a tag in this stack's repository;
	// empty means no image yet: no task definition and no service exist
	// (see NoImageNotice).
	Image                   string
	DesiredCount            int          // tasks when an image is set; default 1
	CPU                     int          // task CPU units; default 256
	Memory                  int          // task memory MiB; default 512
	Architecture            Architecture // default ARM64
	FargateSpot             bool         // run tasks on Fargate Spot (interruptible, ~70% cheaper)
	ContainerInsights       bool
	EnableExecuteCommand    bool // ECS Exec; adds SSM channel permissions to the task role
	KeepImages              int  // release images ECR keeps; default 20
	HealthCheckGraceSeconds int  // default 60
	DeletionProtection      bool // ALB deletion protection
	ForceDelete             bool // let `pulumi destroy` delete a repository that holds images
	ProtectRepository       bool // Pulumi protect on the repository: the engine refuses to delete or replace it (prod)
	Autoscaling             AutoscalingArgs
	// ScheduledDesiredCount: a sleep schedule sets the desired count
	// (0 at night), so later updates leave it as it is.
	ScheduledDesiredCount bool

	// Certificate is the ARN of an ACM certificate in the stack's region:
	// the ALB then serves HTTPS on 443 and redirects 80 to it. Nil serves
	// plain HTTP on 80.
	Certificate pulumi.StringInput
	// DomainName, when set, is the name the service answers on: an alias
	// record in HostedZoneID points it at the ALB, and the URL uses it.
	DomainName   string
	HostedZoneID string

	AppLogGroupName pulumi.StringInput
	AppLogGroupArn  pulumi.StringInput
	AccessLogBucket pulumi.StringInput // ALB access logs; must already allow ELB delivery

	Database DatabaseEndpoint
	// Endpoints, when set, carry the tasks' AWS traffic: they then have
	// no egress to the internet at all.
	Endpoints *VPCEndpoints
}

func (a ComputeArgs) withDefaults() ComputeArgs {
	if a.DesiredCount == 0 {
		a.DesiredCount = 1
	}
	if a.CPU == 0 {
		a.CPU = 256
	}
	if a.Memory == 0 {
		a.Memory = 512
	}
	if a.Architecture == "" {
		a.Architecture = ARM64
	}
	if a.KeepImages == 0 {
		a.KeepImages = 20
	}
	if a.HealthCheckGraceSeconds == 0 {
		a.HealthCheckGraceSeconds = 60
	}
	if a.Autoscaling.CPUTargetPercent == 0 {
		a.Autoscaling.CPUTargetPercent = 60
	}
	if a.Autoscaling.RequestsPerTarget == 0 {
		a.Autoscaling.RequestsPerTarget = 1000
	}
	if a.Database.SSLMode == "" {
		a.Database.SSLMode = "require"
	}
	return a
}

// Compute is the running service and how to reach it.
type Compute struct {
	pulumi.ResourceState

	RepositoryURL        pulumi.StringOutput
	ClusterName          pulumi.StringOutput
	ClusterArn           pulumi.StringOutput
	ServiceName          pulumi.StringOutput
	AlbDNSName           pulumi.StringOutput
	URL                  pulumi.StringOutput
	AlbArnSuffix         pulumi.StringOutput // the LoadBalancer metric dimension
	TargetGroupArnSuffix pulumi.StringOutput // the TargetGroup metric dimension
	TaskSecurityGroupID  pulumi.StringOutput
	// RunningTasks is the desired count the service starts with (0 until
	// an image is configured: then there is no service).
	RunningTasks int
}

// DigestPattern is an image digest, as octabyte:appImage may give one.
var DigestPattern = regexp.MustCompile(`^sha256:[a-f0-9]{64}$`)

// imageRef joins the repository URL and the configured digest or tag.
func imageRef(repoURL, image string) string {
	if DigestPattern.MatchString(image) {
		return repoURL + "@" + image
	}
	return repoURL + ":" + image
}

// NewCompute creates the repository, cluster, load balancer and service.
func NewCompute(ctx *pulumi.Context, name string, args *ComputeArgs, opts ...pulumi.ResourceOption) (*Compute, error) {
	a := args.withDefaults()
	c := &Compute{RunningTasks: a.DesiredCount}
	if a.Image == "" {
		c.RunningTasks = 0
	}
	if err := ctx.RegisterComponentResource("octabyte:compute:Compute", name, c, opts...); err != nil {
		return nil, err
	}
	parent := pulumi.Parent(c)

	repo, err := newRepository(ctx, a, parent)
	if err != nil {
		return nil, err
	}
	c.RepositoryURL = repo.RepositoryUrl

	sgs, err := newSecurityGroups(ctx, a, parent)
	if err != nil {
		return nil, err
	}
	c.TaskSecurityGroupID = sgs.task.ID().ToStringOutput()

	lb, err := newLoadBalancer(ctx, a, sgs.alb.ID().ToStringOutput(), parent)
	if err != nil {
		return nil, err
	}
	c.AlbDNSName = lb.alb.DnsName
	c.AlbArnSuffix = lb.alb.ArnSuffix
	c.TargetGroupArnSuffix = lb.target.ArnSuffix
	c.URL = serviceURL(a, lb.alb.DnsName)

	roles, err := newRoles(ctx, a, repo.Arn, parent)
	if err != nil {
		return nil, err
	}
	svc, err := newService(ctx, a, c.RunningTasks, repo.RepositoryUrl, roles, sgs.task, lb, parent)
	if err != nil {
		return nil, err
	}
	c.ClusterName, c.ClusterArn, c.ServiceName = svc.clusterName, svc.clusterArn, svc.serviceName

	return c, ctx.RegisterResourceOutputs(c, pulumi.Map{
		"repositoryUrl": c.RepositoryURL,
		"clusterName":   c.ClusterName,
		"serviceName":   c.ServiceName,
		"albDnsName":    c.AlbDNSName,
		"url":           c.URL,
	})
}

// serviceURL is where the service answers: its domain when it has one,
// else the ALB's own name; https once the ALB has a certificate.
func serviceURL(a ComputeArgs, albDNSName pulumi.StringOutput) pulumi.StringOutput {
	scheme := "http"
	if a.Certificate != nil {
		scheme = "https"
	}
	if a.DomainName != "" {
		return pulumi.Sprintf("%s://%s", scheme, a.DomainName)
	}
	return pulumi.Sprintf("%s://%s", scheme, albDNSName)
}

// NoImageNotice explains the first deploy without an image. The service and
// its task definition are created with the first image, never before: a
// task definition naming an image that does not exist yet would become the
// revision ECS's circuit breaker rolls back to if the first real image
// failed, and with a desired count above 0 it could never start.
const NoImageNotice = "no app image configured (octabyte:appImage): the ECS service and task definition are not created yet. " +
	"Push an image to the ecrRepositoryUrl output, then `pulumi config set octabyte:appImage sha256:<digest>` and `pulumi up` again."
