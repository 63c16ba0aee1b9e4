package compute

import (
	"encoding/json"
	"fmt"
	"strconv"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/appautoscaling"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/ec2"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/ecs"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// ContainerDefinition is the subset of the ECS container definition this
// stack sets. Field names follow the ECS API.
type ContainerDefinition struct {
	Name                   string           `json:"name"`
	Image                  string           `json:"image"`
	Essential              bool             `json:"essential"`
	User                   string           `json:"user"`
	ReadonlyRootFilesystem bool             `json:"readonlyRootFilesystem"`
	StopTimeout            int              `json:"stopTimeout"`
	PortMappings           []PortMapping    `json:"portMappings"`
	Environment            []KeyValue       `json:"environment"`
	Secrets                []Secret         `json:"secrets"`
	LogConfiguration       LogConfiguration `json:"logConfiguration"`
	HealthCheck            HealthCheck      `json:"healthCheck"`
	LinuxParameters        *LinuxParameters `json:"linuxParameters,omitempty"`
}

type PortMapping struct {
	Name          string `json:"name"`
	ContainerPort int    `json:"containerPort"`
	Protocol      string `json:"protocol"`
}

type KeyValue struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

// Secret is injected by ECS from Secrets Manager; valueFrom may select a
// JSON key with the "<arn>:<key>::" form.
type Secret struct {
	Name      string `json:"name"`
	ValueFrom string `json:"valueFrom"`
}

type LogConfiguration struct {
	LogDriver string            `json:"logDriver"`
	Options   map[string]string `json:"options"`
}

type HealthCheck struct {
	Command     []string `json:"command"`
	Interval    int      `json:"interval"`
	Timeout     int      `json:"timeout"`
	Retries     int      `json:"retries"`
	StartPeriod int      `json:"startPeriod"`
}

type LinuxParameters struct {
	InitProcessEnabled bool `json:"initProcessEnabled"`
}

// containerInputs are the values only known once other resources exist.
type containerInputs struct {
	RepositoryURL, DBHost, SecretArn, LogGroup string
}

// AppContainer is the single essential container of the task.
func AppContainer(a ComputeArgs, stack string, in containerInputs) ContainerDefinition {
	c := ContainerDefinition{
		Name:                   ContainerName,
		Image:                  imageRef(in.RepositoryURL, a.Image),
		Essential:              true,
		User:                   AppUser,
		ReadonlyRootFilesystem: true,
		StopTimeout:            StopTimeoutSeconds,
		PortMappings:           []PortMapping{{Name: "http", ContainerPort: ContainerPort, Protocol: "tcp"}},
		Environment: []KeyValue{
			{Name: "APP_ENV", Value: stack},
			{Name: "PORT", Value: strconv.Itoa(ContainerPort)},
			{Name: "DB_HOST", Value: in.DBHost},
			{Name: "DB_PORT", Value: strconv.Itoa(a.Database.Port)},
			{Name: "DB_NAME", Value: a.Database.Name},
			{Name: "DB_SSLMODE", Value: a.Database.SSLMode},
			{Name: "DRAIN_TIMEOUT", Value: fmt.Sprintf("%ds", DrainSeconds)},
			// Go does not read the container's memory limit; leave 10% headroom.
			{Name: "GOMEMLIMIT", Value: fmt.Sprintf("%dMiB", a.Memory*9/10)},
		},
		Secrets: []Secret{
			{Name: "DB_USER", ValueFrom: in.SecretArn + ":username::"},
			{Name: "DB_PASSWORD", ValueFrom: in.SecretArn + ":password::"},
		},
		LogConfiguration: LogConfiguration{LogDriver: "awslogs", Options: map[string]string{
			"awslogs-group":         in.LogGroup,
			"awslogs-region":        a.Region,
			"awslogs-stream-prefix": ContainerName,
			// A slow CloudWatch Logs must not block the app's stdout.
			"mode":            "non-blocking",
			"max-buffer-size": "25m",
		}},
		// The image has no shell or curl: the binary checks itself.
		HealthCheck: HealthCheck{Command: []string{"CMD", "/app", "healthcheck"}, Interval: 15, Timeout: 5, Retries: 3, StartPeriod: 30},
	}
	if a.EnableExecuteCommand {
		c.LinuxParameters = &LinuxParameters{InitProcessEnabled: true}
	}
	return c
}

type service struct {
	clusterName, clusterArn, serviceName pulumi.StringOutput
}

func newService(ctx *pulumi.Context, a ComputeArgs, desired int, repoURL pulumi.StringOutput, r *roles,
	taskSG *ec2.SecurityGroup, l *loadBalancer, parent pulumi.ResourceOption) (*service, error) {
	insights := "disabled"
	if a.ContainerInsights {
		insights = "enabled"
	}
	cluster, err := ecs.NewCluster(ctx, "cluster", &ecs.ClusterArgs{
		Settings: ecs.ClusterSettingArray{&ecs.ClusterSettingArgs{Name: pulumi.String("containerInsights"), Value: pulumi.String(insights)}},
	}, parent)
	if err != nil {
		return nil, err
	}
	// Both Fargate capacity providers, always: a service names one in its
	// strategy, and a strategy may only name providers associated with the
	// cluster (PutClusterCapacityProviders, ECS API Reference).
	capacityProviders, err := ecs.NewClusterCapacityProviders(ctx, "cluster", &ecs.ClusterCapacityProvidersArgs{
		ClusterName:       cluster.Name,
		CapacityProviders: pulumi.StringArray{pulumi.String(fargate), pulumi.String(fargateSpot)},
	}, parent)
	if err != nil {
		return nil, err
	}

	// The service's name is fixed so that monitoring can name it before the
	// first image creates it.
	name := ServiceName(ctx.Stack())
	svc := &service{clusterName: cluster.Name, clusterArn: cluster.Arn, serviceName: pulumi.String(name).ToStringOutput()}
	if a.Image == "" {
		return svc, nil // created with the first image (NoImageNotice)
	}

	containers := pulumi.All(repoURL, a.Database.Address, a.Database.SecretArn, a.AppLogGroupName).ApplyT(func(v []any) (string, error) {
		def := AppContainer(a, ctx.Stack(), containerInputs{RepositoryURL: v[0].(string), DBHost: v[1].(string), SecretArn: v[2].(string), LogGroup: v[3].(string)})
		b, err := json.Marshal([]ContainerDefinition{def})
		return string(b), err
	}).(pulumi.StringOutput)

	task, err := ecs.NewTaskDefinition(ctx, "app", &ecs.TaskDefinitionArgs{
		Family:                  pulumi.String("octabyte-" + ctx.Stack() + "-app"),
		Cpu:                     pulumi.String(strconv.Itoa(a.CPU)),
		Memory:                  pulumi.String(strconv.Itoa(a.Memory)),
		NetworkMode:             pulumi.String("awsvpc"),
		RequiresCompatibilities: pulumi.StringArray{pulumi.String("FARGATE")},
		RuntimePlatform: &ecs.TaskDefinitionRuntimePlatformArgs{
			OperatingSystemFamily: pulumi.String("LINUX"),
			CpuArchitecture:       pulumi.String(string(a.Architecture)),
		},
		ExecutionRoleArn:     r.execution.Arn,
		TaskRoleArn:          r.task.Arn,
		ContainerDefinitions: containers,
	}, parent)
	if err != nil {
		return nil, err
	}

	args := &ecs.ServiceArgs{
		Name:           pulumi.String(name),
		Cluster:        cluster.Arn,
		TaskDefinition: task.Arn,
		DesiredCount:   pulumi.Int(desired),
		NetworkConfiguration: &ecs.ServiceNetworkConfigurationArgs{
			Subnets:        a.PrivateSubnetIDs,
			SecurityGroups: pulumi.StringArray{taskSG.ID()},
			AssignPublicIp: pulumi.Bool(false),
		},
		LoadBalancers: ecs.ServiceLoadBalancerArray{&ecs.ServiceLoadBalancerArgs{
			TargetGroupArn: l.target.Arn, ContainerName: pulumi.String(ContainerName), ContainerPort: pulumi.Int(ContainerPort),
		}},
		DeploymentCircuitBreaker:        &ecs.ServiceDeploymentCircuitBreakerArgs{Enable: pulumi.Bool(true), Rollback: pulumi.Bool(true)},
		DeploymentMinimumHealthyPercent: pulumi.Int(100),
		DeploymentMaximumPercent:        pulumi.Int(200),
		HealthCheckGracePeriodSeconds:   pulumi.Int(a.HealthCheckGraceSeconds),
		WaitForSteadyState:              pulumi.Bool(true), // a failed deploy fails `pulumi up`
		EnableExecuteCommand:            pulumi.Bool(a.EnableExecuteCommand),
		EnableEcsManagedTags:            pulumi.Bool(true),
		PropagateTags:                   pulumi.String("SERVICE"),
	}
	// A capacity provider strategy, never a launch type, with forced new
	// deployments: the provider then updates a strategy in place (a rolling
	// deployment). A changed launch type, or a strategy added to a service
	// that had none, replaces the service (pulumi-aws v6 ecs.Service docs:
	// "updated without destroying and recreating the service only if
	// forceNewDeployment = true and not changing from 0 ... blocks to
	// greater than 0"), which for a fixed name means no tasks for minutes.
	provider := fargate
	if a.FargateSpot {
		provider = fargateSpot
	}
	args.CapacityProviderStrategies = ecs.ServiceCapacityProviderStrategyArray{
		&ecs.ServiceCapacityProviderStrategyArgs{CapacityProvider: pulumi.String(provider), Weight: pulumi.Int(1)},
	}
	args.ForceNewDeployment = pulumi.Bool(true)
	// The target group must be attached to a listener, the strategy's
	// provider to the cluster. A fixed name cannot be created before the
	// old service is deleted, so a replacement (any change the provider
	// cannot make in place) deletes first.
	svcOpts := []pulumi.ResourceOption{
		parent, pulumi.DependsOn(append([]pulumi.Resource{capacityProviders}, l.listeners...)), pulumi.DeleteBeforeReplace(true),
	}
	if a.Autoscaling.Enabled || a.ScheduledDesiredCount {
		svcOpts = append(svcOpts, pulumi.IgnoreChanges([]string{"desiredCount"})) // the scaler or the sleep schedule owns it
	}
	ecsService, err := ecs.NewService(ctx, "app", args, svcOpts...)
	if err != nil {
		return nil, err
	}
	svc.serviceName = ecsService.Name
	if a.Autoscaling.Enabled {
		if err := newAutoscaling(ctx, a, cluster.Name, ecsService.Name, l, parent); err != nil {
			return nil, err
		}
	}
	return svc, nil
}

// The Fargate capacity providers AWS manages.
const (
	fargate     = "FARGATE"
	fargateSpot = "FARGATE_SPOT"
)

// ServiceName is the ECS service's name in a stack.
func ServiceName(stack string) string { return "octabyte-" + stack + "-app" }

// newAutoscaling tracks average CPU and ALB requests per task.
func newAutoscaling(ctx *pulumi.Context, a ComputeArgs, cluster, svc pulumi.StringOutput, l *loadBalancer, parent pulumi.ResourceOption) error {
	target, err := appautoscaling.NewTarget(ctx, "app", &appautoscaling.TargetArgs{
		ServiceNamespace:  pulumi.String("ecs"),
		ScalableDimension: pulumi.String("ecs:service:DesiredCount"),
		ResourceId:        pulumi.Sprintf("service/%s/%s", cluster, svc),
		MinCapacity:       pulumi.Int(a.Autoscaling.Min),
		MaxCapacity:       pulumi.Int(a.Autoscaling.Max),
	}, parent)
	if err != nil {
		return err
	}
	policies := []struct {
		name, metric string
		target       int
		label        pulumi.StringPtrInput
	}{
		{"cpu", "ECSServiceAverageCPUUtilization", a.Autoscaling.CPUTargetPercent, nil},
		{"requests", "ALBRequestCountPerTarget", a.Autoscaling.RequestsPerTarget, pulumi.Sprintf("%s/%s", l.alb.ArnSuffix, l.target.ArnSuffix)},
	}
	for _, p := range policies {
		if _, err := appautoscaling.NewPolicy(ctx, p.name, &appautoscaling.PolicyArgs{
			PolicyType:        pulumi.String("TargetTrackingScaling"),
			ResourceId:        target.ResourceId,
			ScalableDimension: target.ScalableDimension,
			ServiceNamespace:  target.ServiceNamespace,
			TargetTrackingScalingPolicyConfiguration: &appautoscaling.PolicyTargetTrackingScalingPolicyConfigurationArgs{
				TargetValue: pulumi.Float64(float64(p.target)),
				PredefinedMetricSpecification: &appautoscaling.PolicyTargetTrackingScalingPolicyConfigurationPredefinedMetricSpecificationArgs{
					PredefinedMetricType: pulumi.String(p.metric),
					ResourceLabel:        p.label,
				},
				ScaleInCooldown:  pulumi.Int(300),
				ScaleOutCooldown: pulumi.Int(60),
			},
		}, parent); err != nil {
			return err
		}
	}
	return nil
}
