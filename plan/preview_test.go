package plan

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/ec2"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// A group and a rule that references it: the rule's securityGroupId is the
// group's id, computed by AWS; the port is a literal.
func groupAndRule(ctx *pulumi.Context) error {
	sg, err := ec2.NewSecurityGroup(ctx, "db", &ec2.SecurityGroupArgs{Description: pulumi.String("db")})
	if err != nil {
		return err
	}
	_, err = ec2.NewSecurityGroupRule(ctx, "in", &ec2.SecurityGroupRuleArgs{
		Type: pulumi.String("ingress"), Protocol: pulumi.String("tcp"), FromPort: pulumi.Int(5432), ToPort: pulumi.Int(5432),
		SecurityGroupId: sg.ID(), CidrBlocks: pulumi.StringArray{pulumi.String("10.0.0.0/16")},
	})
	if err != nil {
		return err
	}
	ctx.Export("groupId", sg.ID())
	ctx.Export("named", sg.Name.ApplyT(func(n string) string { return "group " + n }))
	ctx.Export("literal", pulumi.String("known"))
	return nil
}

func TestPreviewLeavesWhatAWSComputesUnknown(t *testing.T) {
	p, err := RunProject(Project, Preview, groupAndRule, "test", map[string]string{"aws:region": "ap-south-1"})
	require.NoError(t, err)
	rule, ok := p.Find("aws:ec2/securityGroupRule:SecurityGroupRule", "in")
	require.True(t, ok)
	assert.Equal(t, Unknown{}, rule.Input("securityGroupId"), "an id is only known after apply")
	assert.Equal(t, 5432.0, rule.Input("fromPort"), "literals stay known")
	assert.Equal(t, []any{"10.0.0.0/16"}, rule.Input("cidrBlocks"))
	sg, _ := p.Find("aws:ec2/securityGroup:SecurityGroup", "db")
	assert.Equal(t, []string{sg.URN}, rule.PropertyDeps["securityGroupId"], "the unknown is traced to its source")
	assert.Equal(t, Unknown{}, sg.Outputs["id"], "computed attributes are unknown in preview")
	assert.Equal(t, Unknown{}, sg.Outputs["arn"])
	assert.Equal(t, "db", sg.Outputs["description"], "inputs are known outputs")

	assert.Equal(t, Unknown{}, p.Outputs["groupId"])
	assert.Equal(t, Unknown{}, p.Outputs["named"], "an ApplyT over an unknown never runs")
	assert.Equal(t, "known", p.Outputs["literal"])
}

func TestApplyGivesComputedValues(t *testing.T) {
	p, err := Run(groupAndRule, "test", map[string]string{"aws:region": "ap-south-1"})
	require.NoError(t, err)
	rule, _ := p.Find("aws:ec2/securityGroupRule:SecurityGroupRule", "in")
	sg, _ := p.Find("aws:ec2/securityGroup:SecurityGroup", "db")
	assert.Equal(t, sg.Outputs["id"], rule.Input("securityGroupId"))
	assert.True(t, strings.HasPrefix(p.Outputs["named"].(string), "group db-"))
}

func TestUnknownsAreMarkedInJSONAndShownInTheTree(t *testing.T) {
	p, err := RunProject(Project, Preview, groupAndRule, "test", map[string]string{"aws:region": "ap-south-1"})
	require.NoError(t, err)
	rule, _ := p.Find("aws:ec2/securityGroupRule:SecurityGroupRule", "in")
	raw, err := json.Marshal(rule.Inputs)
	require.NoError(t, err)
	assert.Contains(t, string(raw), `"securityGroupId":{"$unknown":"known after apply"}`)
	var tree strings.Builder
	Render(&tree, p)
	assert.Contains(t, tree.String(), "securityGroupId: (known after apply)")
	assert.Contains(t, tree.String(), "groupId                      (known after apply)")
}

func TestRefsTraceUnknownsToTheirSource(t *testing.T) {
	const sgType = "aws:ec2/securityGroup:SecurityGroup"
	sgA := "urn:pulumi:s::p::" + sgType + "::a"
	sgB := "urn:pulumi:s::p::" + sgType + "::b"
	vpc := "urn:pulumi:s::p::awsx:ec2:Vpc::vpc"
	cases := []struct {
		name    string
		value   any
		sources []string
		want    []string
		ok      bool
	}{
		{"known id", "sg-1", nil, []string{"sg-1"}, true},
		{"absent", nil, nil, nil, true},
		{"unknown from one group", Unknown{}, []string{sgA, vpc}, []string{sgA}, true},
		{"list of unknowns, one per group", []any{Unknown{}, Unknown{}}, []string{sgA, sgB}, []string{sgA, sgB}, true},
		{"known and unknown", []any{"sg-1", Unknown{}}, []string{sgA}, []string{"sg-1", sgA}, true},
		{"unknown from two groups cannot be told apart", []any{Unknown{}}, []string{sgA, sgB}, nil, false},
		{"unknown from no group", Unknown{}, []string{vpc}, nil, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			refs, ok := Refs(tc.value, tc.sources, sgType)
			assert.Equal(t, tc.ok, ok)
			assert.Equal(t, tc.want, refs)
		})
	}
}

func TestLookupStopsAtAnUnknown(t *testing.T) {
	m := map[string]any{"networkConfiguration": Unknown{}, "a": map[string]any{"b": 1.0}}
	assert.Equal(t, Unknown{}, Lookup(m, "networkConfiguration.subnets"))
	assert.Equal(t, 1.0, Lookup(m, "a.b"))
	assert.Nil(t, Lookup(m, "a.c"))
	assert.True(t, IsUnknown([]any{"x", map[string]any{"y": Unknown{}}}))
	assert.False(t, IsUnknown([]any{"x", map[string]any{"y": "z"}}))
}
