package account

import (
	"fmt"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/kms"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/s3"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/octabyte/octabyte/internal/policydoc"
	"github.com/octabyte/octabyte/logging"
)

// StateBackendArgs configures a StateBackend. All plain values are known at
// plan time; the CI role ARNs come from the CI component.
type StateBackendArgs struct {
	Partition, AccountID, Region string
	BucketName                   string
	NoncurrentVersionDays        int
	AbortIncompleteUploadDays    int
	KeyAlias                     string
	KeyDeletionWindowDays        int

	// PreviewRoleARN may read state and decrypt; DeployRoleARNs may also
	// write state and encrypt. CIRolePath is the IAM path all CI roles
	// share: none of them may administer the bucket or the key.
	PreviewRoleARN pulumi.StringInput
	DeployRoleARNs []pulumi.StringInput
	CIRolePath     string
}

// StateBackend is where every stack of the project keeps its state (an S3
// bucket) and what encrypts it and the stacks' secrets (a KMS key).
type StateBackend struct {
	pulumi.ResourceState

	BucketName pulumi.StringOutput
	KeyARN     pulumi.StringOutput
	KeyAlias   pulumi.StringOutput
	// BackendURL is what `pulumi login` takes; SecretsProvider what
	// `pulumi stack init --secrets-provider` takes. Both resolve once the
	// bucket and the alias exist.
	BackendURL      pulumi.StringOutput
	SecretsProvider pulumi.StringOutput
}

// NewStateBackend creates the KMS key and the hardened state bucket. Both are
// protected and retained: losing either loses every stack's state or secrets.
func NewStateBackend(ctx *pulumi.Context, name string, a *StateBackendArgs, opts ...pulumi.ResourceOption) (*StateBackend, error) {
	b := &StateBackend{}
	if err := ctx.RegisterComponentResource("octabyte-bootstrap:state:Backend", name, b, opts...); err != nil {
		return nil, err
	}
	parent := pulumi.Parent(b)
	keep := []pulumi.ResourceOption{parent, pulumi.Protect(true), pulumi.RetainOnDelete(true)}

	roles := append(pulumi.StringArray{a.PreviewRoleARN}, a.DeployRoleARNs...)
	keyPolicy := policydoc.Output(roles, func(v []string) policydoc.Document {
		return secretsKeyPolicy(a, v[0], v[1:])
	})
	key, err := kms.NewKey(ctx, "secrets", &kms.KeyArgs{
		Description:          pulumi.String("Encrypts the Pulumi state bucket " + a.BucketName + " and the stacks' secrets"),
		KeyUsage:             pulumi.String("ENCRYPT_DECRYPT"),
		EnableKeyRotation:    pulumi.Bool(true),
		DeletionWindowInDays: pulumi.Int(a.KeyDeletionWindowDays),
		Policy:               keyPolicy,
	}, keep...)
	if err != nil {
		return nil, err
	}
	b.KeyARN = key.Arn
	alias, err := kms.NewAlias(ctx, "secrets", &kms.AliasArgs{
		Name:        pulumi.String(a.KeyAlias),
		TargetKeyId: key.KeyId,
	}, parent)
	if err != nil {
		return nil, err
	}
	b.KeyAlias = alias.Name
	b.SecretsProvider = alias.Name.ApplyT(func(name string) string {
		return fmt.Sprintf("awskms://%s?region=%s", name, a.Region)
	}).(pulumi.StringOutput)

	bucket, err := s3.NewBucketV2(ctx, "state", &s3.BucketV2Args{
		Bucket:       pulumi.String(a.BucketName),
		ForceDestroy: pulumi.Bool(false),
	}, keep...)
	if err != nil {
		return nil, err
	}
	b.BucketName = bucket.Bucket
	b.BackendURL = bucket.Bucket.ApplyT(func(name string) string {
		return fmt.Sprintf("s3://%s?region=%s", name, a.Region)
	}).(pulumi.StringOutput)

	if _, err := s3.NewBucketOwnershipControls(ctx, "state", &s3.BucketOwnershipControlsArgs{
		Bucket: bucket.ID(),
		Rule:   &s3.BucketOwnershipControlsRuleArgs{ObjectOwnership: pulumi.String("BucketOwnerEnforced")},
	}, parent); err != nil {
		return nil, err
	}
	publicAccess, err := s3.NewBucketPublicAccessBlock(ctx, "state", &s3.BucketPublicAccessBlockArgs{
		Bucket:                bucket.ID(),
		BlockPublicAcls:       pulumi.Bool(true),
		BlockPublicPolicy:     pulumi.Bool(true),
		IgnorePublicAcls:      pulumi.Bool(true),
		RestrictPublicBuckets: pulumi.Bool(true),
	}, parent)
	if err != nil {
		return nil, err
	}
	versioning, err := s3.NewBucketVersioningV2(ctx, "state", &s3.BucketVersioningV2Args{
		Bucket:                  bucket.ID(),
		VersioningConfiguration: &s3.BucketVersioningV2VersioningConfigurationArgs{Status: pulumi.String("Enabled")},
	}, parent)
	if err != nil {
		return nil, err
	}
	// SSE-KMS with the secrets key, not SSE-S3: reading state then needs
	// this key's permission as well as the bucket's, so ReadOnlyAccess-style
	// s3:GetObject grants elsewhere in the account do not expose state, and
	// CloudTrail logs every decryption. The bucket key keeps KMS calls (and
	// their cost) to one per object per bucket-key period.
	if _, err := s3.NewBucketServerSideEncryptionConfigurationV2(ctx, "state", &s3.BucketServerSideEncryptionConfigurationV2Args{
		Bucket: bucket.ID(),
		Rules: s3.BucketServerSideEncryptionConfigurationV2RuleArray{&s3.BucketServerSideEncryptionConfigurationV2RuleArgs{
			ApplyServerSideEncryptionByDefault: &s3.BucketServerSideEncryptionConfigurationV2RuleApplyServerSideEncryptionByDefaultArgs{
				SseAlgorithm:   pulumi.String("aws:kms"),
				KmsMasterKeyId: key.Arn,
			},
			BucketKeyEnabled: pulumi.Bool(true),
		}},
	}, parent); err != nil {
		return nil, err
	}
	if _, err := s3.NewBucketLifecycleConfigurationV2(ctx, "state", &s3.BucketLifecycleConfigurationV2Args{
		Bucket: bucket.ID(),
		Rules: s3.BucketLifecycleConfigurationV2RuleArray{&s3.BucketLifecycleConfigurationV2RuleArgs{
			Id:     pulumi.String("expire-old-state-versions"),
			Status: pulumi.String("Enabled"),
			Filter: &s3.BucketLifecycleConfigurationV2RuleFilterArgs{Prefix: pulumi.String("")},
			NoncurrentVersionExpiration: &s3.BucketLifecycleConfigurationV2RuleNoncurrentVersionExpirationArgs{
				NoncurrentDays: pulumi.Int(a.NoncurrentVersionDays),
			},
			AbortIncompleteMultipartUpload: &s3.BucketLifecycleConfigurationV2RuleAbortIncompleteMultipartUploadArgs{
				DaysAfterInitiation: pulumi.Int(a.AbortIncompleteUploadDays),
			},
			// Once its old versions have expired, a deleted object's delete
			// marker is removed too.
			Expiration: &s3.BucketLifecycleConfigurationV2RuleExpirationArgs{
				ExpiredObjectDeleteMarker: pulumi.Bool(true),
			},
		}},
	}, parent, pulumi.DependsOn([]pulumi.Resource{versioning})); err != nil {
		return nil, err
	}
	policy := policydoc.Output(pulumi.StringArray{bucket.Arn}, func(v []string) policydoc.Document {
		return stateBucketPolicy(a, v[0])
	})
	if _, err := s3.NewBucketPolicy(ctx, "state", &s3.BucketPolicyArgs{
		Bucket: bucket.ID(),
		Policy: policy,
	}, parent, pulumi.DependsOn([]pulumi.Resource{publicAccess})); err != nil {
		return nil, err
	}

	return b, ctx.RegisterResourceOutputs(b, pulumi.Map{
		"bucketName":      b.BucketName,
		"keyArn":          b.KeyARN,
		"keyAlias":        b.KeyAlias,
		"backendUrl":      b.BackendURL,
		"secretsProvider": b.SecretsProvider,
	})
}

// ciRoles matches every CI role by its IAM path, whatever its name.
func ciRoles(a *StateBackendArgs) string {
	return fmt.Sprintf("arn:%s:iam::%s:role%s*", a.Partition, a.AccountID, a.CIRolePath)
}

// stateBucketPolicy allows nothing by itself (identity policies do): it
// refuses plain HTTP and TLS below 1.2 to everyone, and refuses the CI roles
// the bucket settings and the permanent deletion of state history, which
// their PowerUserAccess would otherwise allow.
func stateBucketPolicy(a *StateBackendArgs, bucketARN string) policydoc.Document {
	both := []string{bucketARN, bucketARN + "/*"}
	return policydoc.New(
		logging.TLSOnly(bucketARN),
		policydoc.Statement{Sid: "DenyOutdatedTLS", Effect: "Deny", Principal: "*", Action: "s3:*", Resource: both,
			Condition: map[string]map[string]any{"NumericLessThan": {"s3:TlsVersion": "1.2"}}},
		policydoc.Statement{Sid: "DenyCIBucketAdministration", Effect: "Deny", Principal: "*",
			Action: []string{
				"s3:DeleteBucket", "s3:PutBucketPolicy", "s3:DeleteBucketPolicy", "s3:PutBucketAcl",
				"s3:PutBucketVersioning", "s3:PutLifecycleConfiguration", "s3:PutEncryptionConfiguration",
				"s3:PutBucketPublicAccessBlock", "s3:PutBucketOwnershipControls", "s3:PutBucketObjectLockConfiguration",
				"s3:DeleteObjectVersion", "s3:PutObjectAcl",
			},
			Resource:  both,
			Condition: map[string]map[string]any{"ArnLike": {"aws:PrincipalArn": ciRoles(a)}}},
	)
}

// KeyAdministration are the KMS actions no CI role may take on the secrets
// key, even though PowerUserAccess and the account-root statement would
// otherwise let the deploy roles take them.
var KeyAdministration = []string{
	"kms:PutKeyPolicy", "kms:ScheduleKeyDeletion", "kms:DisableKey", "kms:DisableKeyRotation",
	"kms:CreateGrant", "kms:RevokeGrant", "kms:UpdateKeyDescription", "kms:TagResource", "kms:UntagResource",
	"kms:CreateAlias", "kms:UpdateAlias", "kms:DeleteAlias", "kms:ImportKeyMaterial", "kms:DeleteImportedKeyMaterial",
	"kms:ReplicateKey", "kms:UpdatePrimaryRegion",
}

// secretsKeyPolicy: the account root administers the key (which also lets
// IAM policies grant its use); the preview role decrypts (state and
// secrets) and may write lock objects through S3; the deploy roles encrypt
// and decrypt; no CI role administers the key.
func secretsKeyPolicy(a *StateBackendArgs, preview string, deploy []string) policydoc.Document {
	all := append([]string{preview}, deploy...)
	return policydoc.New(
		policydoc.Statement{Sid: "AccountRootAdministers", Effect: "Allow",
			Principal: map[string]any{"AWS": fmt.Sprintf("arn:%s:iam::%s:root", a.Partition, a.AccountID)},
			Action:    "kms:*", Resource: "*"},
		policydoc.Statement{Sid: "PreviewRoleDecrypts", Effect: "Allow",
			Principal: map[string]any{"AWS": preview},
			Action:    []string{"kms:Decrypt", "kms:DescribeKey"}, Resource: "*"},
		policydoc.Statement{Sid: "PreviewRoleWritesLocksThroughS3", Effect: "Allow",
			Principal: map[string]any{"AWS": preview},
			Action:    "kms:GenerateDataKey", Resource: "*",
			Condition: map[string]map[string]any{"StringEquals": {"kms:ViaService": fmt.Sprintf("s3.%s.amazonaws.com", a.Region)}}},
		policydoc.Statement{Sid: "DeployRolesUseTheKey", Effect: "Allow",
			Principal: map[string]any{"AWS": deploy},
			Action:    []string{"kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:DescribeKey"},
			Resource:  "*"},
		policydoc.Statement{Sid: "CIRolesNeverAdministerTheKey", Effect: "Deny",
			Principal: map[string]any{"AWS": all},
			Action:    KeyAdministration, Resource: "*"},
	)
}
