package cost_test

import (
	"testing"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/ec2"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/octabyte/octabyte/cost"
	"github.com/octabyte/octabyte/plan"
)

// Interface endpoints are billed per endpoint per AZ-hour plus per GB they
// carry; a gateway endpoint costs nothing.
func TestInterfaceEndpointsArePricedPerAZHourAndGB(t *testing.T) {
	p, err := plan.Run(func(ctx *pulumi.Context) error {
		for _, svc := range []string{"logs", "ecr.api"} {
			if _, err := ec2.NewVpcEndpoint(ctx, svc, &ec2.VpcEndpointArgs{
				VpcId: pulumi.String("vpc-1"), ServiceName: pulumi.String("com.amazonaws.ap-south-1." + svc), VpcEndpointType: pulumi.String("Interface"),
				SubnetIds: pulumi.ToStringArray([]string{"subnet-a", "subnet-b", "subnet-c"}),
			}); err != nil {
				return err
			}
		}
		_, err := ec2.NewVpcEndpoint(ctx, "s3", &ec2.VpcEndpointArgs{
			VpcId: pulumi.String("vpc-1"), ServiceName: pulumi.String("com.amazonaws.ap-south-1.s3"), VpcEndpointType: pulumi.String("Gateway"),
		})
		return err
	}, "test", map[string]string{"aws:region": "ap-south-1"})
	require.NoError(t, err)
	e, err := cost.New(p, cost.Assumptions{LogGBPerMonth: 50})
	require.NoError(t, err)
	assert.InDelta(t, 3*730*0.011, line(t, e, "VPC endpoint logs"), 0.01)
	assert.InDelta(t, 3*730*0.011, line(t, e, "VPC endpoint ecr.api"), 0.01)
	assert.InDelta(t, 50*0.01, line(t, e, "VPC endpoint data processed"), 0.001)
	assert.InDelta(t, 2*3*730*0.011+0.5, e.Total, 0.02, "the gateway endpoint adds nothing")
	assert.Empty(t, e.NotPriced)
}
