package logging_test

import (
	"encoding/json"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/octabyte/octabyte/logging"
	"github.com/octabyte/octabyte/plan"
)

func build(t *testing.T, a logging.LoggingArgs) *plan.Plan {
	t.Helper()
	a.AccountID = plan.AccountID
	p, err := plan.Run(func(ctx *pulumi.Context) error {
		_, err := logging.NewLogging(ctx, "logging", &a)
		return err
	}, "test", map[string]string{"aws:region": a.Region})
	require.NoError(t, err)
	return p
}

func find(t *testing.T, p *plan.Plan, typ string) plan.Resource {
	t.Helper()
	rs := p.ByType(typ)
	require.Len(t, rs, 1, typ)
	return rs[0]
}

type statement struct {
	Sid       string
	Effect    string
	Principal any
	Action    any
	Resource  any
	Condition map[string]map[string]string
}

func bucketPolicy(t *testing.T, p *plan.Plan) []statement {
	var doc struct{ Statement []statement }
	require.NoError(t, json.Unmarshal([]byte(find(t, p, "aws:s3/bucketPolicy:BucketPolicy").Input("policy").(string)), &doc))
	return doc.Statement
}

func TestAppLogGroupHasRetention(t *testing.T) {
	p := build(t, logging.LoggingArgs{Region: "ap-south-1", RetentionDays: 30})
	g := find(t, p, "aws:cloudwatch/logGroup:LogGroup")
	assert.Equal(t, "/octabyte/test/app", g.Input("name"))
	assert.Equal(t, 30.0, g.Input("retentionInDays"))
}

func TestBucketBlocksPublicAccessAndEnforcesOwnership(t *testing.T) {
	p := build(t, logging.LoggingArgs{Region: "ap-south-1"})
	pab := find(t, p, "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock")
	for _, k := range []string{"blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets"} {
		assert.Equal(t, true, pab.Input(k), k)
	}
	own := find(t, p, "aws:s3/bucketOwnershipControls:BucketOwnershipControls")
	assert.Equal(t, "BucketOwnerEnforced", own.Input("rule.objectOwnership"))
	sse := find(t, p, "aws:s3/bucketServerSideEncryptionConfigurationV2:BucketServerSideEncryptionConfigurationV2")
	rule := sse.Input("rules").([]any)[0].(map[string]any)
	assert.Equal(t, "AES256", rule["applyServerSideEncryptionByDefault"].(map[string]any)["sseAlgorithm"], "ALB log delivery supports SSE-S3 only")
}

func TestAp_South_1UsesTheRegionalELBAccount(t *testing.T) {
	p := build(t, logging.LoggingArgs{Region: "ap-south-1"})
	bucket := find(t, p, "aws:s3/bucketV2:BucketV2").Outputs["arn"].(string)
	s := bucketPolicy(t, p)
	require.Len(t, s, 2)
	assert.Equal(t, map[string]any{"AWS": "arn:aws:iam::718504428378:root"}, s[0].Principal)
	assert.Equal(t, "s3:PutObject", s[0].Action)
	assert.Equal(t, bucket+"/alb/AWSLogs/"+plan.AccountID+"/*", s[0].Resource)
}

func TestNewerRegionsUseTheLogDeliveryServicePrincipal(t *testing.T) {
	p := build(t, logging.LoggingArgs{Region: "ap-south-2"})
	s := bucketPolicy(t, p)
	assert.Equal(t, map[string]any{"Service": "logdelivery.elasticloadbalancing.amazonaws.com"}, s[0].Principal)
}

func TestBucketPolicyDeniesPlainHTTP(t *testing.T) {
	p := build(t, logging.LoggingArgs{Region: "us-east-1"})
	s := bucketPolicy(t, p)
	assert.Equal(t, map[string]any{"AWS": "arn:aws:iam::127311923021:root"}, s[0].Principal)
	deny := s[1]
	assert.Equal(t, "Deny", deny.Effect)
	assert.Equal(t, "false", deny.Condition["Bool"]["aws:SecureTransport"])
	assert.Equal(t, "s3:*", deny.Action)
}

func TestLifecycleTiersExpiresAndAbortsUploads(t *testing.T) {
	p := build(t, logging.LoggingArgs{Region: "ap-south-1", AccessLogIADays: 45, AccessLogExpireDays: 120})
	rules := find(t, p, "aws:s3/bucketLifecycleConfigurationV2:BucketLifecycleConfigurationV2").Input("rules").([]any)
	require.Len(t, rules, 2)
	tier := rules[0].(map[string]any)
	assert.Equal(t, "Enabled", tier["status"])
	assert.Equal(t, 45.0, tier["transitions"].([]any)[0].(map[string]any)["days"])
	assert.Equal(t, "STANDARD_IA", tier["transitions"].([]any)[0].(map[string]any)["storageClass"])
	assert.Equal(t, 120.0, tier["expiration"].(map[string]any)["days"])
	abort := rules[1].(map[string]any)
	assert.Equal(t, 1.0, abort["abortIncompleteMultipartUpload"].(map[string]any)["daysAfterInitiation"])
}

func TestForceDestroyOnlyWhenAsked(t *testing.T) {
	assert.Equal(t, false, find(t, build(t, logging.LoggingArgs{Region: "ap-south-1"}), "aws:s3/bucketV2:BucketV2").Input("forceDestroy"))
	assert.Equal(t, true, find(t, build(t, logging.LoggingArgs{Region: "ap-south-1", ForceDestroy: true}), "aws:s3/bucketV2:BucketV2").Input("forceDestroy"))
}
