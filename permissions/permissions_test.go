package permissions

import (
	"github.com/octabyte/octabyte/plan"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/octabyte/octabyte/bootstrap/account"
)

func TestAMisspeltKeyInTheActionDataIsRefused(t *testing.T) {
	_, err := parseActions([]byte("types:\n  aws:sqs/queue:Queue:\n    sources: [cfn]\n    craete: [sqs:CreateQueue]\n"))
	require.Error(t, err)
	assert.Contains(t, err.Error(), "craete")

	a, err := parseActions([]byte("types:\n  aws:sqs/queue:Queue:\n    sources: [cfn]\n    create: [sqs:CreateQueue]\n"))
	require.NoError(t, err)
	assert.Equal(t, []string{"sqs:CreateQueue"}, a.Types["aws:sqs/queue:Queue"].Of(Create))
}

func TestEveryManagedPolicyRecordSaysWhereAndWhenItWasRead(t *testing.T) {
	for _, name := range []string{"PowerUserAccess", "ReadOnlyAccess"} {
		m, err := LoadManaged("arn:aws:iam::aws:policy/" + name)
		require.NoError(t, err)
		assert.Equal(t, name, m.Name)
		assert.Regexp(t, `^v\d+$`, m.VersionID)
		assert.Regexp(t, `^\d{4}-\d{2}-\d{2}$`, m.Retrieved)
		assert.Contains(t, m.Source, "docs.aws.amazon.com/aws-managed-policy/latest/reference/"+name)
		assert.Contains(t, string(m.Document), `"Statement"`)
	}
	_, err := LoadManaged("arn:aws:iam::aws:policy/AdministratorAccess")
	assert.ErrorContains(t, err, "permissions/managed/AdministratorAccess.json")
}

func TestWorkflowRolesMapVariablesToBootstrapRoles(t *testing.T) {
	vars := map[string]string{account.VarPreviewRole: account.PreviewRole, account.VarStagingRole: account.DeployRole("staging")}
	roles, err := workflowRoles(filepath.Join("..", ".github", "workflows", "drift.yml"), vars)
	require.NoError(t, err)
	assert.Equal(t, []string{account.PreviewRole}, roles)

	dir := t.TempDir()
	write := func(role string) string {
		path := filepath.Join(dir, "wf.yml")
		require.NoError(t, os.WriteFile(path, []byte("jobs:\n  a:\n    steps:\n      - with:\n          role-to-assume: "+role+"\n"), 0o644))
		return path
	}
	roles, err = workflowRoles(write("${{ vars.AWS_STAGING_ROLE_ARN }}"), vars)
	require.NoError(t, err)
	assert.Equal(t, []string{"deploy-staging"}, roles)
	_, err = workflowRoles(write("arn:aws:iam::123456789012:role/admin"), vars)
	assert.ErrorContains(t, err, "not one of the bootstrap's role variables")
}

func TestFindRootWalksUpToTheRepository(t *testing.T) {
	root, err := FindRoot(".")
	require.NoError(t, err)
	want, err := filepath.Abs("..")
	require.NoError(t, err)
	assert.Equal(t, want, root)
	_, err = FindRoot(t.TempDir())
	assert.ErrorContains(t, err, "bootstrap/Pulumi.bootstrap.yaml")
}

func TestDenialsAreExplainedByPolicyAndStatement(t *testing.T) {
	assert.Equal(t, "explicit deny by statement NoRoleChaining of inline policy deploy-prod",
		explain([]denial{{DenialType: "Explicit", PolicyType: "identity", PolicyIdentifier: "inline policy deploy-prod", StatementID: "NoRoleChaining"}}))
	assert.Equal(t, "explicit deny by statement #2 of the resource's policy",
		explain([]denial{{DenialType: "Explicit", PolicyType: "resource", StatementIndex: 2}}))
	assert.Equal(t, "the permissions boundary does not allow it",
		explain([]denial{{DenialType: "Implicit", PolicyType: "pb"}}))
	assert.Equal(t, "implicit deny: no statement of the role's policies allows it",
		explain([]denial{{DenialType: "Implicit", PolicyType: "identity"}, {DenialType: "Implicit", PolicyType: "identity"}}))
}

// A `when` call is made only for an input that holds a value.
func TestAnInputIsSetUnlessAbsentFalseOrEmpty(t *testing.T) {
	for _, v := range []any{nil, false, "", []any{}} {
		assert.False(t, set(v), "%#v", v)
	}
	for _, v := range []any{true, "x", []any{"a"}, map[string]any{}, 60.0} {
		assert.True(t, set(v), "%#v", v)
	}
}

func TestAPrefixConditionalAppliesWhenAnElementStartsWithIt(t *testing.T) {
	c := Conditional{Input: "alarmActions", Prefix: "arn:aws:automate:"}
	for _, v := range []any{"arn:aws:automate:ap-south-1:ec2:reboot", []any{"arn:aws:sns:x", "arn:aws:automate:ap-south-1:ec2:reboot"}, plan.Unknown{}, []any{plan.Unknown{}}} {
		assert.True(t, c.applies(v), "%#v", v)
	}
	for _, v := range []any{nil, []any{}, "arn:aws:sns:x", []any{"arn:aws:sns:x"}, "x arn:aws:automate:"} {
		assert.False(t, c.applies(v), "%#v", v)
	}
	assert.True(t, Conditional{Input: "x"}.applies("anything"), "without a prefix, set is enough")
}

// Every action the data names is validated against AWS's list, those of
// conditional calls, the program and the state backend included.
func TestAllActionsListsEveryActionTheDataNames(t *testing.T) {
	a, err := parseActions([]byte(`
program: {read: [sts:GetCallerIdentity]}
backend:
  read: [{action: s3:GetObject, object: x}]
  write: [{action: kms:Encrypt}]
types:
  aws:sqs/queue:Queue:
    create: [sqs:CreateQueue]
    read: [sqs:GetQueueAttributes]
    update: [sqs:SetQueueAttributes]
    delete: [sqs:DeleteQueue, sqs:GetQueueAttributes]
    when:
      - {input: policy, create: [sqs:AddPermission]}
`))
	require.NoError(t, err)
	assert.Equal(t, []string{"kms:Encrypt", "s3:GetObject", "sqs:AddPermission", "sqs:CreateQueue", "sqs:DeleteQueue",
		"sqs:GetQueueAttributes", "sqs:SetQueueAttributes", "sts:GetCallerIdentity"}, a.AllActions())
}
