// Package logging creates where the workload writes its logs from its first
// second: the application's log group and the bucket for ALB access logs.
// It exists before compute so both can be named when the service starts.
package logging

import (
	"fmt"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/cloudwatch"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/s3"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/octabyte/octabyte/internal/policydoc"
)

// AccessLogPrefix is the key prefix the ALB writes its access logs under.
const AccessLogPrefix = "alb"

// LoggingArgs configures Logging. Zero values mean the documented default.
type LoggingArgs struct {
	Region              string // stack region; decides the ELB log-delivery principal
	AccountID           string // the deploying account; ALB writes under AWSLogs/<account>/
	RetentionDays       int    // application log retention; default 14
	AccessLogIADays     int    // days before access logs move to STANDARD_IA; default 30
	AccessLogExpireDays int    // days before access logs are deleted; default 90
	ForceDestroy        bool   // let `pulumi destroy` delete a non-empty bucket (staging)
	Protect             bool   // Pulumi protect on the bucket: the engine refuses to delete or replace it (prod)
}

func (a LoggingArgs) withDefaults() LoggingArgs {
	if a.RetentionDays == 0 {
		a.RetentionDays = 14
	}
	if a.AccessLogIADays == 0 {
		a.AccessLogIADays = 30
	}
	if a.AccessLogExpireDays == 0 {
		a.AccessLogExpireDays = 90
	}
	return a
}

// Logging holds the application log group and the access-log bucket.
type Logging struct {
	pulumi.ResourceState

	AppLogGroupName pulumi.StringOutput
	AppLogGroupArn  pulumi.StringOutput
	// AccessLogBucket is the bucket name, known only once its policy allows
	// ELB delivery: the ALB validates that when access logs are switched on.
	AccessLogBucket    pulumi.StringOutput
	AccessLogBucketArn pulumi.StringOutput
}

// NewLogging creates the application log group and the access-log bucket.
func NewLogging(ctx *pulumi.Context, name string, args *LoggingArgs, opts ...pulumi.ResourceOption) (*Logging, error) {
	a := args.withDefaults()
	l := &Logging{}
	if err := ctx.RegisterComponentResource("octabyte:logging:Logging", name, l, opts...); err != nil {
		return nil, err
	}
	parent := pulumi.Parent(l)

	app, err := cloudwatch.NewLogGroup(ctx, "app", &cloudwatch.LogGroupArgs{
		Name:            pulumi.String(fmt.Sprintf("/octabyte/%s/app", ctx.Stack())),
		RetentionInDays: pulumi.Int(a.RetentionDays),
	}, parent)
	if err != nil {
		return nil, err
	}
	l.AppLogGroupName, l.AppLogGroupArn = app.Name, app.Arn

	if err := l.newAccessLogBucket(ctx, a, parent); err != nil {
		return nil, err
	}
	return l, ctx.RegisterResourceOutputs(l, pulumi.Map{
		"appLogGroupName": l.AppLogGroupName,
		"accessLogBucket": l.AccessLogBucket,
	})
}

func (l *Logging) newAccessLogBucket(ctx *pulumi.Context, a LoggingArgs, parent pulumi.ResourceOption) error {
	bucket, err := s3.NewBucketV2(ctx, "access-logs", &s3.BucketV2Args{
		BucketPrefix: pulumi.String(fmt.Sprintf("octabyte-%s-alb-logs-", ctx.Stack())),
		ForceDestroy: pulumi.Bool(a.ForceDestroy),
	}, parent, pulumi.Protect(a.Protect))
	if err != nil {
		return err
	}
	if _, err := s3.NewBucketPublicAccessBlock(ctx, "access-logs", &s3.BucketPublicAccessBlockArgs{
		Bucket:                bucket.ID(),
		BlockPublicAcls:       pulumi.Bool(true),
		BlockPublicPolicy:     pulumi.Bool(true),
		IgnorePublicAcls:      pulumi.Bool(true),
		RestrictPublicBuckets: pulumi.Bool(true),
	}, parent); err != nil {
		return err
	}
	if _, err := s3.NewBucketOwnershipControls(ctx, "access-logs", &s3.BucketOwnershipControlsArgs{
		Bucket: bucket.ID(),
		Rule:   &s3.BucketOwnershipControlsRuleArgs{ObjectOwnership: pulumi.String("BucketOwnerEnforced")},
	}, parent); err != nil {
		return err
	}
	// ALB log delivery supports only SSE-S3, not KMS keys.
	if _, err := s3.NewBucketServerSideEncryptionConfigurationV2(ctx, "access-logs", &s3.BucketServerSideEncryptionConfigurationV2Args{
		Bucket: bucket.ID(),
		Rules: s3.BucketServerSideEncryptionConfigurationV2RuleArray{&s3.BucketServerSideEncryptionConfigurationV2RuleArgs{
			ApplyServerSideEncryptionByDefault: &s3.BucketServerSideEncryptionConfigurationV2RuleApplyServerSideEncryptionByDefaultArgs{
				SseAlgorithm: pulumi.String("AES256"),
			},
		}},
	}, parent); err != nil {
		return err
	}
	if _, err := s3.NewBucketLifecycleConfigurationV2(ctx, "access-logs", &s3.BucketLifecycleConfigurationV2Args{
		Bucket: bucket.ID(),
		Rules: s3.BucketLifecycleConfigurationV2RuleArray{
			&s3.BucketLifecycleConfigurationV2RuleArgs{
				Id:     pulumi.String("tier-then-expire"),
				Status: pulumi.String("Enabled"),
				Filter: &s3.BucketLifecycleConfigurationV2RuleFilterArgs{Prefix: pulumi.String(AccessLogPrefix + "/")},
				Transitions: s3.BucketLifecycleConfigurationV2RuleTransitionArray{&s3.BucketLifecycleConfigurationV2RuleTransitionArgs{
					Days: pulumi.Int(a.AccessLogIADays), StorageClass: pulumi.String("STANDARD_IA"),
				}},
				Expiration: &s3.BucketLifecycleConfigurationV2RuleExpirationArgs{Days: pulumi.Int(a.AccessLogExpireDays)},
			},
			&s3.BucketLifecycleConfigurationV2RuleArgs{
				Id:                             pulumi.String("abort-incomplete-uploads"),
				Status:                         pulumi.String("Enabled"),
				Filter:                         &s3.BucketLifecycleConfigurationV2RuleFilterArgs{},
				AbortIncompleteMultipartUpload: &s3.BucketLifecycleConfigurationV2RuleAbortIncompleteMultipartUploadArgs{DaysAfterInitiation: pulumi.Int(1)},
			},
		},
	}, parent); err != nil {
		return err
	}
	policy, err := s3.NewBucketPolicy(ctx, "access-logs", &s3.BucketPolicyArgs{
		Bucket: bucket.ID(),
		Policy: policydoc.Output(pulumi.StringArray{bucket.Arn}, func(v []string) policydoc.Document {
			return AccessLogPolicy(v[0], a.Region, a.AccountID)
		}),
	}, parent)
	if err != nil {
		return err
	}
	l.AccessLogBucket = policy.Bucket
	l.AccessLogBucketArn = bucket.Arn
	return nil
}

// AccessLogPolicy lets the region's ELB log delivery write under the
// access-log prefix and denies every request not made over TLS.
func AccessLogPolicy(bucketArn, region, accountID string) policydoc.Document {
	var principal any = map[string]any{"Service": "logdelivery.elasticloadbalancing.amazonaws.com"}
	if acct, ok := ELBAccounts[region]; ok {
		principal = map[string]any{"AWS": "arn:aws:iam::" + acct + ":root"}
	}
	return policydoc.New(
		policydoc.Statement{
			Sid:       "ELBLogDelivery",
			Effect:    "Allow",
			Principal: principal,
			Action:    "s3:PutObject",
			Resource:  fmt.Sprintf("%s/%s/AWSLogs/%s/*", bucketArn, AccessLogPrefix, accountID),
		},
		TLSOnly(bucketArn),
	)
}

// TLSOnly denies every request to the bucket that is not made over TLS.
func TLSOnly(bucketArn string) policydoc.Statement {
	return policydoc.Statement{
		Sid:       "DenyInsecureTransport",
		Effect:    "Deny",
		Principal: "*",
		Action:    "s3:*",
		Resource:  []string{bucketArn, bucketArn + "/*"},
		Condition: map[string]map[string]any{"Bool": {"aws:SecureTransport": "false"}},
	}
}

// ELBAccounts are the Elastic Load Balancing accounts that deliver access
// logs in regions opened before August 2022. Newer regions deliver through
// the logdelivery.elasticloadbalancing.amazonaws.com service principal.
// Source: AWS docs, "Enable access logs for your Application Load Balancer".
var ELBAccounts = map[string]string{
	"us-east-1":      "127311923021",
	"us-east-2":      "033677994240",
	"us-west-1":      "027434742980",
	"us-west-2":      "797873946194",
	"af-south-1":     "098369216593",
	"ap-east-1":      "754344448648",
	"ap-northeast-1": "582318560864",
	"ap-northeast-2": "600734575887",
	"ap-northeast-3": "383597477331",
	"ap-south-1":     "718504428378",
	"ap-southeast-1": "114774131450",
	"ap-southeast-2": "783225319266",
	"ca-central-1":   "985666609251",
	"eu-central-1":   "054676820928",
	"eu-north-1":     "897822967062",
	"eu-south-1":     "635631232127",
	"eu-west-1":      "156460612806",
	"eu-west-2":      "652711504416",
	"eu-west-3":      "009996457667",
	"me-south-1":     "076674570225",
	"sa-east-1":      "507241528517",
}
