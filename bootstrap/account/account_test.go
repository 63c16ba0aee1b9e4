package account

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/octabyte/octabyte/bootstrap/workload"
	"github.com/octabyte/octabyte/internal/policydoc"
	"github.com/octabyte/octabyte/plan"
)

const repo = "octabyte/octabyte"

// runBootstrap runs the whole program with the example stack file.
func runBootstrap(t *testing.T) *plan.Plan {
	t.Helper()
	p, err := plan.RunProject(Namespace, plan.Apply, Run, "bootstrap", stackConfig(t))
	require.NoError(t, err)
	return p
}

// policy is an IAM policy document as tests read it: every field in its
// JSON form, strings and lists alike.
type policy struct{ policydoc.Document }

type statement = policydoc.Statement

func parsePolicy(t *testing.T, raw any) policy {
	t.Helper()
	s, ok := raw.(string)
	require.True(t, ok, "policy is %T, want a JSON string", raw)
	doc, err := policydoc.Parse(s)
	require.NoError(t, err, s)
	require.Equal(t, "2012-10-17", doc.Version)
	return policy{doc}
}

func (p policy) sid(t *testing.T, sid string) statement {
	t.Helper()
	for _, s := range p.Statement {
		if s.Sid == sid {
			return s
		}
	}
	require.Failf(t, "no statement", "%s", sid)
	return statement{}
}

func find(t *testing.T, p *plan.Plan, typ, name string) plan.Resource {
	t.Helper()
	r, ok := p.Find(typ, name)
	require.True(t, ok, "no %s %q", typ, name)
	return r
}

func bucketChild(t *testing.T, p *plan.Plan, typ string) plan.Resource {
	t.Helper()
	r := find(t, p, typ, "state")
	bucket := find(t, p, "aws:s3/bucketV2:BucketV2", "state")
	assert.Equal(t, bucket.Outputs["id"], r.Input("bucket"), "%s applies to the state bucket", typ)
	return r
}

func roleARN(t *testing.T, p *plan.Plan, name string) string {
	t.Helper()
	return find(t, p, "aws:iam/role:Role", name).Outputs["arn"].(string)
}

func TestStateBucketIsVersionedEncryptedPrivateAndOwnerEnforced(t *testing.T) {
	p := runBootstrap(t)
	bucket := find(t, p, "aws:s3/bucketV2:BucketV2", "state")
	assert.Equal(t, "octabyte-pulumi-state-"+plan.AccountID+"-ap-south-1", bucket.Input("bucket"))
	assert.Equal(t, false, bucket.Input("forceDestroy"))
	assert.True(t, bucket.Protect, "the state bucket is protected from pulumi destroy")

	assert.Equal(t, "Enabled", bucketChild(t, p, "aws:s3/bucketVersioningV2:BucketVersioningV2").Input("versioningConfiguration.status"))

	block := bucketChild(t, p, "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock")
	for _, k := range []string{"blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets"} {
		assert.Equal(t, true, block.Input(k), k)
	}

	own := bucketChild(t, p, "aws:s3/bucketOwnershipControls:BucketOwnershipControls")
	assert.Equal(t, "BucketOwnerEnforced", own.Input("rule.objectOwnership"))

	sse := bucketChild(t, p, "aws:s3/bucketServerSideEncryptionConfigurationV2:BucketServerSideEncryptionConfigurationV2")
	rules := sse.Input("rules").([]any)
	require.Len(t, rules, 1)
	rule := rules[0].(map[string]any)
	def := rule["applyServerSideEncryptionByDefault"].(map[string]any)
	key := find(t, p, "aws:kms/key:Key", "secrets")
	assert.Equal(t, "aws:kms", def["sseAlgorithm"])
	assert.Equal(t, key.Outputs["arn"], def["kmsMasterKeyId"], "encrypted with the secrets key")
	assert.Equal(t, true, rule["bucketKeyEnabled"])
}

func TestStateBucketLifecycleExpiresOldVersionsAndAbortsUploads(t *testing.T) {
	cfg := stackConfig(t)
	cfg["octabyte-bootstrap:noncurrentVersionExpirationDays"] = "45"
	p, err := plan.RunProject(Namespace, plan.Apply, Run, "bootstrap", cfg)
	require.NoError(t, err)
	lc := bucketChild(t, p, "aws:s3/bucketLifecycleConfigurationV2:BucketLifecycleConfigurationV2")
	rules := lc.Input("rules").([]any)
	require.Len(t, rules, 1)
	rule := rules[0].(map[string]any)
	assert.Equal(t, "Enabled", rule["status"])
	assert.Equal(t, 45.0, rule["noncurrentVersionExpiration"].(map[string]any)["noncurrentDays"])
	assert.Equal(t, 7.0, rule["abortIncompleteMultipartUpload"].(map[string]any)["daysAfterInitiation"])
	versioning := find(t, p, "aws:s3/bucketVersioningV2:BucketVersioningV2", "state")
	assert.True(t, p.DependsOn(lc, versioning.URN), "lifecycle rules for versions follow versioning")
}

func TestStateBucketPolicyIsTLSOnlyAndKeepsCIOutOfItsSettings(t *testing.T) {
	p := runBootstrap(t)
	bp := bucketChild(t, p, "aws:s3/bucketPolicy:BucketPolicy")
	doc := parsePolicy(t, bp.Input("policy"))
	bucket := find(t, p, "aws:s3/bucketV2:BucketV2", "state").Outputs["arn"].(string)

	for _, s := range doc.Statement {
		assert.Equal(t, "Deny", s.Effect, "%s: the bucket policy grants nothing by itself", s.Sid)
	}
	tls := doc.sid(t, "DenyInsecureTransport")
	assert.Equal(t, "*", tls.Principal)
	assert.Equal(t, []string{"s3:*"}, policydoc.List(tls.Action))
	assert.ElementsMatch(t, []string{bucket, bucket + "/*"}, policydoc.List(tls.Resource))
	assert.Equal(t, "false", tls.Condition["Bool"]["aws:SecureTransport"])
	assert.Equal(t, "1.2", doc.sid(t, "DenyOutdatedTLS").Condition["NumericLessThan"]["s3:TlsVersion"])

	admin := doc.sid(t, "DenyCIBucketAdministration")
	assert.Subset(t, policydoc.List(admin.Action), []string{"s3:DeleteBucket", "s3:PutBucketPolicy", "s3:PutBucketVersioning", "s3:PutLifecycleConfiguration", "s3:DeleteObjectVersion"})
	assert.Equal(t, "arn:aws:iam::"+plan.AccountID+":role/octabyte-ci/*", admin.Condition["ArnLike"]["aws:PrincipalArn"])

	block := find(t, p, "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock", "state")
	assert.True(t, p.DependsOn(bp, block.URN), "the policy is set after public access is blocked")
}

func TestSecretsKeyRotatesAndIsUsedOnlyAsIntended(t *testing.T) {
	p := runBootstrap(t)
	key := find(t, p, "aws:kms/key:Key", "secrets")
	assert.Equal(t, true, key.Input("enableKeyRotation"))
	assert.Equal(t, 30.0, key.Input("deletionWindowInDays"))
	assert.True(t, key.Protect, "the key is protected: without it no stack's secrets can be read")

	alias := find(t, p, "aws:kms/alias:Alias", "secrets")
	assert.Equal(t, "alias/octabyte-pulumi-secrets", alias.Input("name"))
	assert.Equal(t, key.Outputs["keyId"], alias.Input("targetKeyId"))

	doc := parsePolicy(t, key.Input("policy"))
	preview, staging, prod := roleARN(t, p, "preview"), roleARN(t, p, "deploy-staging"), roleARN(t, p, "deploy-prod")

	root := doc.sid(t, "AccountRootAdministers")
	assert.Equal(t, "Allow", root.Effect)
	assert.Equal(t, map[string]any{"AWS": "arn:aws:iam::" + plan.AccountID + ":root"}, root.Principal)
	assert.Equal(t, []string{"kms:*"}, policydoc.List(root.Action))

	dec := doc.sid(t, "PreviewRoleDecrypts")
	assert.Equal(t, map[string]any{"AWS": preview}, dec.Principal)
	assert.ElementsMatch(t, []string{"kms:Decrypt", "kms:DescribeKey"}, policydoc.List(dec.Action), "the preview role cannot encrypt")

	lock := doc.sid(t, "PreviewRoleWritesLocksThroughS3")
	assert.Equal(t, "s3.ap-south-1.amazonaws.com", lock.Condition["StringEquals"]["kms:ViaService"])

	use := doc.sid(t, "DeployRolesUseTheKey")
	assert.ElementsMatch(t, []string{staging, prod}, policydoc.List(use.Principal.(map[string]any)["AWS"]))
	assert.Subset(t, policydoc.List(use.Action), []string{"kms:Encrypt", "kms:Decrypt", "kms:GenerateDataKey*"})

	deny := doc.sid(t, "CIRolesNeverAdministerTheKey")
	assert.Equal(t, "Deny", deny.Effect)
	assert.ElementsMatch(t, []string{preview, staging, prod}, policydoc.List(deny.Principal.(map[string]any)["AWS"]))
	assert.Subset(t, policydoc.List(deny.Action), []string{"kms:PutKeyPolicy", "kms:ScheduleKeyDeletion", "kms:DisableKey", "kms:DisableKeyRotation"})

	// Everything granted to a CI role is one of these statements.
	for _, s := range doc.Statement {
		if s.Effect == "Allow" && s.Sid != "AccountRootAdministers" {
			assert.NotContains(t, policydoc.List(s.Action), "kms:*", s.Sid)
		}
	}
}

func TestGitHubOIDCProviderTrustsOnlyTheSTSAudience(t *testing.T) {
	p := runBootstrap(t)
	provider := find(t, p, "aws:iam/openIdConnectProvider:OpenIdConnectProvider", "github")
	assert.Equal(t, "https://token.actions.githubusercontent.com", provider.Input("url"))
	assert.Equal(t, []any{"sts.amazonaws.com"}, provider.Input("clientIdLists"))
}

// trust returns a CI role's only trust statement.
func trust(t *testing.T, p *plan.Plan, role string) statement {
	t.Helper()
	doc := parsePolicy(t, find(t, p, "aws:iam/role:Role", role).Input("assumeRolePolicy"))
	require.Len(t, doc.Statement, 1)
	return doc.Statement[0]
}

func TestCIRolesTrustOnlyThisRepositorysJobs(t *testing.T) {
	p := runBootstrap(t)
	provider := find(t, p, "aws:iam/openIdConnectProvider:OpenIdConnectProvider", "github").Outputs["arn"]
	want := map[string][]string{
		// Pull requests preview; the deploy branch runs the drift check.
		"preview":        {"repo:" + repo + ":pull_request", "repo:" + repo + ":ref:refs/heads/main"},
		"deploy-staging": {"repo:" + repo + ":ref:refs/heads/main"},
		"deploy-prod":    {"repo:" + repo + ":environment:production"},
	}
	for role, subjects := range want {
		t.Run(role, func(t *testing.T) {
			s := trust(t, p, role)
			assert.Equal(t, "Allow", s.Effect)
			assert.Equal(t, map[string]any{"Federated": provider}, s.Principal)
			assert.Equal(t, []string{"sts:AssumeRoleWithWebIdentity"}, policydoc.List(s.Action))
			require.Len(t, s.Condition, 1, "only StringEquals: no StringLike wildcards")
			eq := s.Condition["StringEquals"]
			assert.Equal(t, "sts.amazonaws.com", eq["token.actions.githubusercontent.com:aud"])
			assert.ElementsMatch(t, subjects, policydoc.List(eq["token.actions.githubusercontent.com:sub"]))
			for _, sub := range policydoc.List(eq["token.actions.githubusercontent.com:sub"]) {
				assert.NotContains(t, sub, "*")
				assert.True(t, strings.HasPrefix(sub, "repo:"+repo+":"), sub)
			}
		})
	}
}

func TestProductionRoleIsNotAssumableFromABranchOrPullRequest(t *testing.T) {
	p := runBootstrap(t)
	subs := policydoc.List(trust(t, p, "deploy-prod").Condition["StringEquals"]["token.actions.githubusercontent.com:sub"])
	assert.Equal(t, []string{"repo:" + repo + ":environment:production"}, subs)
	for _, role := range []string{"preview", "deploy-staging"} {
		for _, sub := range policydoc.List(trust(t, p, role).Condition["StringEquals"]["token.actions.githubusercontent.com:sub"]) {
			assert.NotContains(t, sub, ":environment:", "%s must not be reachable through the production environment", role)
		}
	}
}

func TestTrustFollowsTheConfiguredRepositoryBranchAndEnvironment(t *testing.T) {
	cfg := stackConfig(t)
	cfg["octabyte-bootstrap:githubRepository"] = "acme/infra"
	cfg["octabyte-bootstrap:deployBranch"] = "release"
	cfg["octabyte-bootstrap:productionEnvironment"] = "live"
	p, err := plan.RunProject(Namespace, plan.Apply, Run, "bootstrap", cfg)
	require.NoError(t, err)
	sub := func(role string) []string {
		return policydoc.List(trust(t, p, role).Condition["StringEquals"]["token.actions.githubusercontent.com:sub"])
	}
	assert.Equal(t, []string{"repo:acme/infra:ref:refs/heads/release"}, sub("deploy-staging"))
	assert.Equal(t, []string{"repo:acme/infra:environment:live"}, sub("deploy-prod"))
	assert.Contains(t, sub("preview"), "repo:acme/infra:pull_request")
}

func TestCIRolesCarryTheRightManagedPolicy(t *testing.T) {
	p := runBootstrap(t)
	want := map[string]string{
		"preview":        "arn:aws:iam::aws:policy/ReadOnlyAccess",
		"deploy-staging": "arn:aws:iam::aws:policy/PowerUserAccess",
		"deploy-prod":    "arn:aws:iam::aws:policy/PowerUserAccess",
	}
	attachments := p.ByType("aws:iam/rolePolicyAttachment:RolePolicyAttachment")
	require.Len(t, attachments, len(want))
	for role, arn := range want {
		r := find(t, p, "aws:iam/role:Role", role)
		assert.Equal(t, "/octabyte-ci/", r.Input("path"))
		assert.Equal(t, "octabyte-ci-"+role, r.Input("name"))
		var got []string
		for _, a := range attachments {
			if a.Input("role") == r.Outputs["name"] {
				got = append(got, a.Input("policyArn").(string))
			}
		}
		assert.Equal(t, []string{arn}, got, role)
	}
}

func TestPreviewRoleReadsStateButWritesOnlyLocks(t *testing.T) {
	p := runBootstrap(t)
	doc := parsePolicy(t, find(t, p, "aws:iam/rolePolicy:RolePolicy", "preview").Input("policy"))
	bucket := "arn:aws:s3:::octabyte-pulumi-state-" + plan.AccountID + "-ap-south-1"
	for _, s := range doc.Statement {
		if s.Effect != "Allow" {
			continue
		}
		for _, a := range policydoc.List(s.Action) {
			if a == "s3:PutObject" || a == "s3:DeleteObject" {
				assert.Equal(t, []string{bucket + "/.pulumi/locks/*"}, policydoc.List(s.Resource), "%s: writes only lock objects", s.Sid)
			}
			assert.NotContains(t, a, "iam:", s.Sid)
		}
	}
	assert.ElementsMatch(t, []string{"s3:GetObject", "s3:GetObjectVersion"}, policydoc.List(doc.sid(t, "ReadState").Action))
	assert.Equal(t, []string{bucket + "/*"}, policydoc.List(doc.sid(t, "ReadState").Resource))
	assert.Contains(t, policydoc.List(doc.sid(t, "NoDataReads").Action), "secretsmanager:GetSecretValue")
}

func deployPolicyOf(t *testing.T, p *plan.Plan, stack string) policy {
	t.Helper()
	return parsePolicy(t, find(t, p, "aws:iam/rolePolicy:RolePolicy", "deploy-"+stack).Input("policy"))
}

func TestDeployRolesManageOnlyTheirStacksIAM(t *testing.T) {
	p := runBootstrap(t)
	boundary := find(t, p, "aws:iam/policy:Policy", "workload-boundary").Outputs["arn"]
	// The stacks derive the same ARN by default (config.RoleBoundary), so
	// their roles need no config step to be creatable by these roles.
	assert.Equal(t, workload.BoundaryARN("aws", plan.AccountID, "octabyte"), boundary)
	for _, stack := range []string{"staging", "prod"} {
		t.Run(stack, func(t *testing.T) {
			doc := deployPolicyOf(t, p, stack)
			roles := "arn:aws:iam::" + plan.AccountID + ":role/octabyte/" + stack + "/*"
			policies := "arn:aws:iam::" + plan.AccountID + ":policy/octabyte/" + stack + "/*"
			profiles := "arn:aws:iam::" + plan.AccountID + ":instance-profile/octabyte/" + stack + "/*"
			for _, s := range doc.Statement {
				if s.Effect != "Allow" || !strings.HasPrefix(policydoc.List(s.Action)[0], "iam:") || s.Sid == "ReadAWSManagedPolicies" {
					continue
				}
				for _, r := range policydoc.List(s.Resource) {
					assert.Contains(t, []string{roles, policies, profiles}, r, "%s reaches outside /octabyte/%s/", s.Sid, stack)
				}
			}
			assert.Equal(t, []string{profiles}, policydoc.List(doc.sid(t, "WorkloadInstanceProfiles").Resource))
			create := doc.sid(t, "WorkloadRolesCarryTheBoundary")
			assert.Contains(t, policydoc.List(create.Action), "iam:CreateRole")
			assert.Contains(t, policydoc.List(create.Action), "iam:AttachRolePolicy")
			assert.Equal(t, boundary, create.Condition["StringEquals"]["iam:PermissionsBoundary"])

			pass := doc.sid(t, "PassWorkloadRolesToTheirServices")
			assert.Equal(t, []string{"iam:PassRole"}, policydoc.List(pass.Action))
			assert.Equal(t, []string{roles}, policydoc.List(pass.Resource))
			assert.ElementsMatch(t, []string{"ecs-tasks.amazonaws.com", "vpc-flow-logs.amazonaws.com", "monitoring.rds.amazonaws.com", "ec2.amazonaws.com", "scheduler.amazonaws.com", "chatbot.amazonaws.com"},
				policydoc.List(pass.Condition["StringEquals"]["iam:PassedToService"]))

			assert.Equal(t, "Deny", doc.sid(t, "NeverRemoveTheBoundary").Effect)
			assert.Equal(t, "Deny", doc.sid(t, "NoRoleChaining").Effect)
			assert.Contains(t, policydoc.List(doc.sid(t, "NoRoleChaining").Action), "sts:AssumeRole")
		})
	}
}

func TestStagingRoleCannotTouchProduction(t *testing.T) {
	p := runBootstrap(t)
	doc := deployPolicyOf(t, p, "staging")
	bucket := "arn:aws:s3:::octabyte-pulumi-state-" + plan.AccountID + "-ap-south-1"
	state := doc.sid(t, "NotTheOtherStacksState")
	assert.Equal(t, "Deny", state.Effect)
	assert.Equal(t, []string{bucket + "/.pulumi/*/octabyte/prod*"}, policydoc.List(state.Resource))
	assert.Equal(t, "prod", doc.sid(t, "NotProductionResources").Condition["StringEquals"]["aws:ResourceTag/Environment"])
	assert.Equal(t, "prod", doc.sid(t, "NotCreatingProductionResources").Condition["StringEquals"]["aws:RequestTag/Environment"])

	for _, stack := range []string{"staging", "prod"} {
		boot := deployPolicyOf(t, p, stack).sid(t, "NotTheBootstrapState")
		assert.Equal(t, "Deny", boot.Effect)
		assert.ElementsMatch(t, []string{bucket + "/.pulumi/*/octabyte-bootstrap/*", bucket + "/.pulumi/meta.yaml"}, policydoc.List(boot.Resource), stack)
	}

	prod := deployPolicyOf(t, p, "prod")
	assert.Equal(t, []string{bucket + "/.pulumi/*/octabyte/staging*"}, policydoc.List(prod.sid(t, "NotTheOtherStacksState").Resource))
	for _, s := range prod.Statement {
		assert.NotContains(t, s.Condition["StringEquals"], "aws:ResourceTag/Environment",
			"%s: the production role reads staging's resources (it copies staging's image)", s.Sid)
	}
}

func TestWorkloadBoundaryExcludesIAMAndTheStateBackend(t *testing.T) {
	p := runBootstrap(t)
	b := find(t, p, "aws:iam/policy:Policy", "workload-boundary")
	assert.Equal(t, "/octabyte-ci/", b.Input("path"))
	doc := parsePolicy(t, b.Input("policy"))
	allowed := policydoc.List(doc.sid(t, "WorkloadServices").Action)
	for _, a := range allowed {
		for _, banned := range []string{"iam:", "sts:", "organizations:", "account:"} {
			assert.False(t, strings.HasPrefix(a, banned), "boundary allows %s", a)
		}
	}
	assert.Equal(t, "Deny", doc.sid(t, "NeverTheStateBucket").Effect)
	assert.Equal(t, "alias/octabyte-pulumi-secrets", doc.sid(t, "NeverTheSecretsKey").Condition["ForAnyValue:StringEquals"]["kms:ResourceAliases"])
}

func TestAnExistingOIDCProviderIsReused(t *testing.T) {
	cfg := stackConfig(t)
	existing := "arn:aws:iam::" + plan.AccountID + ":oidc-provider/token.actions.githubusercontent.com"
	cfg["octabyte-bootstrap:existingOidcProviderArn"] = existing
	p, err := plan.RunProject(Namespace, plan.Apply, Run, "bootstrap", cfg)
	require.NoError(t, err)
	assert.Empty(t, p.ByType("aws:iam/openIdConnectProvider:OpenIdConnectProvider"))
	assert.Equal(t, map[string]any{"Federated": existing}, trust(t, p, "deploy-prod").Principal)
}

func TestOutputsTellTheRepositoryEverythingItNeeds(t *testing.T) {
	p := runBootstrap(t)
	bucket := "octabyte-pulumi-state-" + plan.AccountID + "-ap-south-1"
	assert.Equal(t, "s3://"+bucket+"?region=ap-south-1", p.Outputs["backendUrl"])
	assert.Equal(t, "awskms://alias/octabyte-pulumi-secrets?region=ap-south-1", p.Outputs["secretsProvider"])
	assert.Equal(t, bucket, p.Outputs["stateBucketName"])
	preview, staging, prod := roleARN(t, p, "preview"), roleARN(t, p, "deploy-staging"), roleARN(t, p, "deploy-prod")
	assert.Equal(t, preview, p.Outputs["previewRoleArn"])
	assert.Equal(t, staging, p.Outputs["stagingDeployRoleArn"])
	assert.Equal(t, prod, p.Outputs["productionDeployRoleArn"])
	assert.Equal(t, map[string]any{"staging": "/octabyte/staging/", "prod": "/octabyte/prod/"}, p.Outputs["workloadIamPaths"])

	cmds, _ := p.Outputs["githubSetupCommands"].(string)
	for _, line := range []string{
		"gh variable set AWS_REGION --repo 'octabyte/octabyte' --body 'ap-south-1'",
		"gh variable set PULUMI_BACKEND_URL --repo 'octabyte/octabyte' --body 's3://" + bucket + "?region=ap-south-1'",
		"gh variable set PULUMI_SECRETS_PROVIDER --repo 'octabyte/octabyte' --body 'awskms://alias/octabyte-pulumi-secrets?region=ap-south-1'",
		"gh variable set AWS_PREVIEW_ROLE_ARN --repo 'octabyte/octabyte' --body '" + preview + "'",
		"gh variable set AWS_STAGING_ROLE_ARN --repo 'octabyte/octabyte' --body '" + staging + "'",
		"gh variable set AWS_PRODUCTION_ROLE_ARN --env 'production' --repo 'octabyte/octabyte' --body '" + prod + "'",
		"gh secret set SLACK_WEBHOOK_URL --repo 'octabyte/octabyte'",
	} {
		assert.Contains(t, strings.Split(cmds, "\n"), line)
	}
	assert.NotContains(t, cmds, "AWS_ACCESS_KEY_ID")
	assert.NotContains(t, cmds, "AWS_SECRET_ACCESS_KEY")
}

func TestNoLongLivedCredentialsAreCreated(t *testing.T) {
	p := runBootstrap(t)
	for _, typ := range []string{"aws:iam/user:User", "aws:iam/accessKey:AccessKey", "aws:iam/userPolicy:UserPolicy"} {
		assert.Empty(t, p.ByType(typ), typ)
	}
}

func TestEveryResourceBelongsToAComponent(t *testing.T) {
	p := runBootstrap(t)
	var components []string
	for _, r := range p.Resources {
		if r.Parent == "" {
			assert.False(t, r.Custom, "%s %s sits at the stack root", r.Type, r.Name)
			components = append(components, r.Type)
		}
	}
	assert.ElementsMatch(t, []string{"octabyte-bootstrap:ci:GitHubOIDC", "octabyte-bootstrap:state:Backend"}, components)
}

func TestBadConfigRegistersNothing(t *testing.T) {
	for key, value := range map[string]string{
		"octabyte-bootstrap:githubRepository": "not-a-repository",
		"octabyte-bootstrap:deployBranch":     "*",
		"aws:region":                          "",
	} {
		t.Run(key, func(t *testing.T) {
			cfg := stackConfig(t)
			cfg[key] = value
			p, err := plan.RunProject(Namespace, plan.Apply, Run, "bootstrap", cfg)
			require.Error(t, err)
			assert.Contains(t, err.Error(), key)
			assert.Empty(t, p.Resources, "invalid config must fail before any resource is registered")
		})
	}
}

// Credentials live no longer than their longest job: an hour for the
// read-only role's 30-minute previews, two for a deploy (a first prod
// bring-up creates a Multi-AZ database). TestCredentialsOutliveEveryJob
// (internal/workflows) checks the jobs against these; this pins the roles.
func TestCISessionsLastAsLongAsTheirLongestJob(t *testing.T) {
	p := runBootstrap(t)
	for role, seconds := range map[string]float64{PreviewRole: 3600, DeployRole("staging"): 7200, DeployRole("prod"): 7200} {
		assert.Equal(t, seconds, find(t, p, "aws:iam/role:Role", role).Input("maxSessionDuration"), role)
	}
}
