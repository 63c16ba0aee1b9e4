package compute

import (
	"encoding/json"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/ecr"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// LifecycleRule is one ECR lifecycle policy rule.
type LifecycleRule struct {
	RulePriority int                `json:"rulePriority"`
	Description  string             `json:"description"`
	Selection    LifecycleSelection `json:"selection"`
	Action       struct {
		Type string `json:"type"`
	} `json:"action"`
}

// LifecycleSelection picks the images a rule expires.
type LifecycleSelection struct {
	TagStatus   string `json:"tagStatus"`
	CountType   string `json:"countType"`
	CountUnit   string `json:"countUnit,omitempty"`
	CountNumber int    `json:"countNumber"`
}

// LifecyclePolicy expires untagged images after a day and keeps the last
// keep images (tags are commit SHAs, so "any" is every release).
func LifecyclePolicy(keep int) string {
	rules := []LifecycleRule{
		{RulePriority: 1, Description: "Expire untagged images after 1 day",
			Selection: LifecycleSelection{TagStatus: "untagged", CountType: "sinceImagePushed", CountUnit: "days", CountNumber: 1}},
		{RulePriority: 2, Description: "Keep the most recent release images",
			Selection: LifecycleSelection{TagStatus: "any", CountType: "imageCountMoreThan", CountNumber: keep}},
	}
	for i := range rules {
		rules[i].Action.Type = "expire"
	}
	b, _ := json.Marshal(map[string]any{"rules": rules})
	return string(b)
}

func newRepository(ctx *pulumi.Context, a ComputeArgs, parent pulumi.ResourceOption) (*ecr.Repository, error) {
	repo, err := ecr.NewRepository(ctx, "app", &ecr.RepositoryArgs{
		Name:               pulumi.String("octabyte-" + ctx.Stack() + "/app"),
		ImageTagMutability: pulumi.String("IMMUTABLE"),
		ImageScanningConfiguration: &ecr.RepositoryImageScanningConfigurationArgs{
			ScanOnPush: pulumi.Bool(true),
		},
		EncryptionConfigurations: ecr.RepositoryEncryptionConfigurationArray{
			&ecr.RepositoryEncryptionConfigurationArgs{EncryptionType: pulumi.String("AES256")},
		},
		ForceDelete: pulumi.Bool(a.ForceDelete),
	}, parent, pulumi.Protect(a.ProtectRepository))
	if err != nil {
		return nil, err
	}
	_, err = ecr.NewLifecyclePolicy(ctx, "app", &ecr.LifecyclePolicyArgs{
		Repository: repo.Name,
		Policy:     pulumi.String(LifecyclePolicy(a.KeepImages)),
	}, parent)
	return repo, err
}
