package compute_test

import (
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/octabyte/octabyte/compute"
	"github.com/octabyte/octabyte/plan/plantest"
)

const (
	endpointSG = "sg-0e0e0e0e0e0e0e0e0"
	s3List     = "pl-78a54011"
)

// With VPC endpoints the tasks' only ways out are the database, the
// interface endpoints and S3's prefix list, all on one port each: no rule
// names 0.0.0.0/0, so no NET-007 exception is declared either.
func TestTasksWithEndpointsHaveNoInternetEgress(t *testing.T) {
	a := args()
	a.Endpoints = &compute.VPCEndpoints{SecurityGroupID: pulumi.String(endpointSG), S3PrefixListID: pulumi.String(s3List)}
	p := build(t, a)
	task, _ := p.Find("aws:ec2/securityGroup:SecurityGroup", "task")
	taskID := task.Outputs["id"].(string)
	var out []rule
	for _, r := range p.ByType("aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule") {
		assert.Nil(t, r.Input("cidrIpv4"), r.Name)
		assert.Nil(t, r.Input("cidrIpv6"), r.Name)
		assert.Nil(t, r.Input("tags"), "%s declares no exception", r.Name)
		if r.Input("securityGroupId") != taskID {
			continue
		}
		peer, _ := r.Input("referencedSecurityGroupId").(string)
		if peer == "" {
			peer = r.Input("prefixListId").(string)
		}
		out = append(out, rule{"out", taskID, peer, r.Input("fromPort").(float64)})
	}
	assert.ElementsMatch(t, []rule{
		{"out", taskID, dbSG, 5432},
		{"out", taskID, endpointSG, 443},
		{"out", taskID, s3List, 443},
	}, out)

	in, ok := p.Find("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule", "endpoints-in-task")
	require.True(t, ok, "the endpoints accept the tasks")
	assert.Equal(t, endpointSG, in.Input("securityGroupId"))
	assert.Equal(t, taskID, in.Input("referencedSecurityGroupId"))
	assert.Equal(t, 443.0, in.Input("fromPort"))
	assert.Equal(t, 443.0, in.Input("toPort"))
	assert.Nil(t, in.Input("cidrIpv4"))
}

// Before the first image there are no tasks: neither the database nor the
// endpoints admit the task security group yet.
func TestWithoutAnImageNothingAdmitsTheTasks(t *testing.T) {
	a := args()
	a.Image = ""
	a.Endpoints = &compute.VPCEndpoints{SecurityGroupID: pulumi.String(endpointSG), S3PrefixListID: pulumi.String(s3List)}
	p := build(t, a)
	assert.Empty(t, p.ByType("aws:ecs/service:Service"))
	for _, r := range p.ByType("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule") {
		assert.NotContains(t, []any{dbSG, endpointSG}, r.Input("securityGroupId"), r.Name)
	}
	a.Image = digest
	for _, name := range []string{"db-in-task", "endpoints-in-task"} {
		_, ok := build(t, a).Find("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule", name)
		assert.True(t, ok, "%s with the first image", name)
	}
}

func TestWithoutEndpointsTheNATPathIsADeclaredException(t *testing.T) {
	p := build(t, args())
	r, ok := p.Find("aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule", "task-out-https")
	require.True(t, ok)
	assert.Equal(t, "0.0.0.0/0", r.Input("cidrIpv4"))
	assert.Contains(t, r.Input("tags"), "octabyte:suppress:NET-007")
	_, ok = p.Find("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule", "endpoints-in-task")
	assert.False(t, ok)
}

func TestRepositoryProtectionFollowsTheArgs(t *testing.T) {
	for _, protect := range []bool{true, false} {
		a := args()
		a.ProtectRepository = protect
		p := build(t, a)
		assert.Equal(t, protect, plantest.One(t, p, "aws:ecr/repository:Repository").Protect)
		for _, r := range p.Resources {
			if r.Type != "aws:ecr/repository:Repository" {
				assert.False(t, r.Protect, "%s %s", r.Type, r.Name)
			}
		}
	}
}
