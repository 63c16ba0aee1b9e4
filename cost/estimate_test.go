package cost_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/ec2"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/ecs"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/lb"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/rds"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/octabyte/octabyte/cost"
	"github.com/octabyte/octabyte/plan"
)

// A small fixed configuration whose bill is computed by hand below.
func fixture(ctx *pulumi.Context) error {
	td, err := ecs.NewTaskDefinition(ctx, "app", &ecs.TaskDefinitionArgs{
		Family: pulumi.String("app"), Cpu: pulumi.String("512"), Memory: pulumi.String("1024"),
		ContainerDefinitions: pulumi.String("[]"),
		RuntimePlatform:      &ecs.TaskDefinitionRuntimePlatformArgs{CpuArchitecture: pulumi.String("ARM64")},
	})
	if err != nil {
		return err
	}
	if _, err := ecs.NewService(ctx, "app", &ecs.ServiceArgs{TaskDefinition: td.Arn, DesiredCount: pulumi.Int(2)}); err != nil {
		return err
	}
	_, err = rds.NewInstance(ctx, "db", &rds.InstanceArgs{
		InstanceClass: pulumi.String("db.t3.micro"), MultiAz: pulumi.Bool(true),
		AllocatedStorage: pulumi.Int(20), BackupRetentionPeriod: pulumi.Int(7), ManageMasterUserPassword: pulumi.Bool(true),
	})
	return err
}

func estimate(t *testing.T, region string) *cost.Estimate {
	t.Helper()
	p, err := plan.Run(fixture, "test", map[string]string{"aws:region": region})
	require.NoError(t, err)
	e, err := cost.New(p, cost.Assumptions{AppMetrics: 10})
	require.NoError(t, err)
	return e
}

func line(t *testing.T, e *cost.Estimate, item string) float64 {
	t.Helper()
	for _, l := range e.Lines {
		if l.Item == item {
			return l.Monthly
		}
	}
	t.Fatalf("no line %q in %+v", item, e.Lines)
	return 0
}

func TestHandComputedFigures(t *testing.T) {
	e := estimate(t, "us-east-1")
	// 2 tasks × 730 h × (0.5 vCPU × 0.03238 + 1 GB × 0.00356) = 28.8358
	assert.InDelta(t, 28.84, line(t, e, "Fargate tasks"), 0.005)
	// 10 metrics × 0.30
	assert.InDelta(t, 3.00, line(t, e, "app custom metrics (EMF)"), 0.005)
	// Multi-AZ doubles: 2 × 730 × 0.018 = 26.28
	assert.InDelta(t, 26.28, line(t, e, "RDS instance"), 0.005)
	// 2 × 20 GB × 0.115 = 4.60
	assert.InDelta(t, 4.60, line(t, e, "RDS gp3 storage"), 0.005)
	// 20 GB × 5% × (7-1) days × 0.095 = 0.57
	assert.InDelta(t, 0.57, line(t, e, "RDS backups beyond the free amount"), 0.005)
	assert.InDelta(t, 0.40, line(t, e, "Secrets Manager secret (RDS-managed)"), 0.005)
	assert.InDelta(t, 28.84+3.00+26.28+4.60+0.57+0.40, e.Total, 0.011)
}

// A sleeping stack's tasks and database instance bill their own awake
// shares of the week; storage, backups and metrics bill all month.
func TestASleepingStackPaysForItsAwakeHours(t *testing.T) {
	p, err := plan.Run(fixture, "test", map[string]string{"aws:region": "us-east-1"})
	require.NoError(t, err)
	e, err := cost.New(p, cost.Assumptions{AppMetrics: 10, AwakeFraction: 0.25, DatabaseAwakeFraction: 0.5})
	require.NoError(t, err)
	assert.InDelta(t, 28.8358*0.25, line(t, e, "Fargate tasks"), 0.005)
	assert.InDelta(t, 26.28*0.5, line(t, e, "RDS instance"), 0.005)
	assert.InDelta(t, 4.60, line(t, e, "RDS gp3 storage"), 0.005)
	assert.InDelta(t, 3.00, line(t, e, "app custom metrics (EMF)"), 0.005)
	assert.InDelta(t, 28.8358*0.25+3.00+26.28*0.5+4.60+0.57+0.40, e.Total, 0.011)

	// A stack awake 23 hours a day still saves one in 24.
	e, err = cost.New(p, cost.Assumptions{AwakeFraction: 23.0 / 24, DatabaseAwakeFraction: 23.0 / 24})
	require.NoError(t, err)
	assert.InDelta(t, 28.8358*23/24, line(t, e, "Fargate tasks"), 0.01)
	assert.InDelta(t, 26.28*23/24, line(t, e, "RDS instance"), 0.01)
}

// An internet-facing load balancer pays for a public IPv4 address in each
// subnet it sits in.
func TestLoadBalancerPaysAPublicIPv4PerSubnet(t *testing.T) {
	p, err := plan.Run(func(ctx *pulumi.Context) error {
		_, err := lb.NewLoadBalancer(ctx, "web", &lb.LoadBalancerArgs{
			LoadBalancerType: pulumi.String("application"), Subnets: pulumi.ToStringArray([]string{"subnet-a", "subnet-b", "subnet-c"}),
		})
		return err
	}, "test", map[string]string{"aws:region": "us-east-1"})
	require.NoError(t, err)
	e, err := cost.New(p, cost.Assumptions{})
	require.NoError(t, err)
	assert.InDelta(t, 730*(0.0225+3*0.005), line(t, e, "load balancer hours"), 0.005)
}

func TestPricesFollowTheRegion(t *testing.T) {
	assert.Greater(t, estimate(t, "ap-south-1").Total, estimate(t, "us-east-1").Total, "Mumbai list prices are higher")
}

func TestUnknownRegionIsAnError(t *testing.T) {
	p, err := plan.Run(fixture, "test", map[string]string{"aws:region": "eu-west-1"})
	require.NoError(t, err)
	_, err = cost.New(p, cost.DefaultAssumptions)
	assert.ErrorContains(t, err, "eu-west-1")
}

// What the tables cannot price is listed, never priced at zero in silence:
// an unknown type, an instance type or database class missing from the
// table, a service whose task definition is not in the plan.
func TestUnpricedTypesAreListedNotDropped(t *testing.T) {
	p, err := plan.Run(func(ctx *pulumi.Context) error {
		if _, err := ecs.NewCapacityProvider(ctx, "odd", &ecs.CapacityProviderArgs{
			AutoScalingGroupProvider: &ecs.CapacityProviderAutoScalingGroupProviderArgs{AutoScalingGroupArn: pulumi.String("arn:asg")},
		}); err != nil {
			return err
		}
		if _, err := ec2.NewInstance(ctx, "big", &ec2.InstanceArgs{InstanceType: pulumi.String("m5.large")}); err != nil {
			return err
		}
		if _, err := rds.NewInstance(ctx, "db", &rds.InstanceArgs{InstanceClass: pulumi.String("db.r6g.large")}); err != nil {
			return err
		}
		_, err := ecs.NewService(ctx, "app", &ecs.ServiceArgs{TaskDefinition: pulumi.String("arn:elsewhere"), DesiredCount: pulumi.Int(1)})
		return err
	}, "test", map[string]string{"aws:region": "us-east-1"})
	require.NoError(t, err)
	e, err := cost.New(p, cost.DefaultAssumptions)
	require.NoError(t, err)
	assert.Equal(t, []string{
		"aws:ec2/instance:Instance (m5.large not in the price table)",
		"aws:ecs/capacityProvider:CapacityProvider",
		"aws:ecs/service:Service (task definition not found)",
		"aws:rds/instance:Instance (db.r6g.large not in the price table)",
	}, e.NotPriced)
	assert.Zero(t, e.Total)
}

func TestDiffShowsTheChangePerGroup(t *testing.T) {
	head := estimate(t, "us-east-1")
	md := cost.Diff(nil, head)
	assert.Contains(t, md, "| **total** | **0.00** |")
	assert.Contains(t, md, "no estimate")
	base := *head
	base.Lines = head.Lines[:1]
	base.Total = head.Lines[0].Monthly
	md = cost.Diff(&base, head)
	assert.Contains(t, md, fmt.Sprintf("| **total** | **%.2f** | **%.2f** | **+%.2f** |", base.Total, head.Total, head.Total-base.Total))
	assert.NotContains(t, md, "Ways to pay less", "no lever, no list")

	head.Levers = []cost.LeverEffect{{Lever: cost.Levers[0], Monthly: -38.39}}
	md = cost.Diff(&base, head)
	assert.Contains(t, md, "Ways to pay less")
	assert.Contains(t, md, "| `natGateways: instance` | -38.39 | one t4g.nano NAT instance")
	var text strings.Builder
	head.Render(&text)
	assert.Contains(t, text.String(), "natGateways: instance")
	assert.Contains(t, text.String(), "-38.39")
}
