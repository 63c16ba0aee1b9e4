// Package account is the octabyte-bootstrap Pulumi project: what an
// administrator runs once per AWS account, before any stack of the main
// project exists. It creates the state bucket and the KMS key the stacks use
// as their backend and secrets provider, and GitHub's OIDC provider with the
// roles the workflows assume. No long-lived AWS keys are created anywhere.
//
// bootstrap/main.go runs it; checkers (the deploy-permission simulation) run
// it under the mock engine to read the CI roles it creates.
package account

import (
	"fmt"
	"sort"
	"strings"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// Stack is the one bootstrap stack of an account; its config file is
// bootstrap/Pulumi.bootstrap.yaml.
const Stack = "bootstrap"

// Run is the whole bootstrap: CI identities first (the key policy names the
// roles), then the state backend.
func Run(ctx *pulumi.Context) error {
	cfg, err := Load(ctx)
	if err != nil {
		return err
	}
	identity, err := aws.GetCallerIdentity(ctx, nil)
	if err != nil {
		return err
	}
	partition, err := aws.GetPartition(ctx, nil)
	if err != nil {
		return err
	}
	if err := cfg.SetAccount(identity.AccountId); err != nil {
		return err
	}

	ci, err := NewCI(ctx, "ci", &CIArgs{
		Partition:               partition.Partition,
		AccountID:               cfg.AccountID,
		Region:                  cfg.Region,
		Owner:                   cfg.Owner,
		Name:                    cfg.Name,
		PullRequestSubject:      cfg.pullRequestSubject(),
		BranchSubject:           cfg.branchSubject(),
		EnvironmentSubject:      cfg.environmentSubject(),
		ExistingOIDCProviderARN: cfg.ExistingOIDCProviderARN,
		Project:                 cfg.Project,
		StagingStack:            cfg.StagingStack,
		ProductionStack:         cfg.ProductionStack,
		StateBucket:             cfg.StateBucket,
		KeyAlias:                cfg.KeyAlias,
	})
	if err != nil {
		return err
	}

	state, err := NewStateBackend(ctx, "state", &StateBackendArgs{
		Partition:                 partition.Partition,
		AccountID:                 cfg.AccountID,
		Region:                    cfg.Region,
		BucketName:                cfg.StateBucket,
		NoncurrentVersionDays:     cfg.NoncurrentVersionExpiration,
		AbortIncompleteUploadDays: cfg.AbortIncompleteUpload,
		KeyAlias:                  cfg.KeyAlias,
		KeyDeletionWindowDays:     cfg.KeyDeletionWindow,
		PreviewRoleARN:            ci.PreviewRoleARN,
		DeployRoleARNs:            []pulumi.StringInput{ci.StagingRoleARN, ci.ProductionRoleARN},
		CIRolePath:                ci.RolePath,
	})
	if err != nil {
		return err
	}

	ctx.Export("backendUrl", state.BackendURL)
	ctx.Export("secretsProvider", state.SecretsProvider)
	ctx.Export("stateBucketName", state.BucketName)
	ctx.Export("kmsKeyArn", state.KeyARN)
	ctx.Export("kmsKeyAlias", state.KeyAlias)
	ctx.Export("oidcProviderArn", ci.OIDCProviderARN)
	ctx.Export("previewRoleArn", ci.PreviewRoleARN)
	ctx.Export("stagingDeployRoleArn", ci.StagingRoleARN)
	ctx.Export("productionDeployRoleArn", ci.ProductionRoleARN)
	ctx.Export("workloadPermissionsBoundaryArn", ci.PermissionsBoundaryARN)
	// The paths the main program's roles must use, once the boundary they
	// must carry exists.
	ctx.Export("workloadIamPaths", ci.PermissionsBoundaryARN.ApplyT(func(string) map[string]string {
		return ci.WorkloadPaths
	}).(pulumi.StringMapOutput))
	ctx.Export("githubSetupCommands", pulumi.All(state.BackendURL, state.SecretsProvider, ci.PreviewRoleARN, ci.StagingRoleARN, ci.ProductionRoleARN).ApplyT(
		func(v []any) string {
			return setupCommands(cfg, v[0].(string), v[1].(string), v[2].(string), v[3].(string), v[4].(string))
		}).(pulumi.StringOutput))
	return nil
}

// Repository variables the workflows read, and the optional notification
// secrets. Role ARNs are not secrets: none grants anything without a GitHub
// OIDC token for this repository.
const (
	VarRegion          = "AWS_REGION"
	VarBackendURL      = "PULUMI_BACKEND_URL"
	VarSecretsProvider = "PULUMI_SECRETS_PROVIDER"
	VarPreviewRole     = "AWS_PREVIEW_ROLE_ARN"
	VarStagingRole     = "AWS_STAGING_ROLE_ARN"
	VarProductionRole  = "AWS_PRODUCTION_ROLE_ARN" // set on the production environment only
)

// RoleVariables maps each role variable the workflows read to the logical
// name of the CI role whose ARN it holds.
func (c *Config) RoleVariables() map[string]string {
	return map[string]string{
		VarPreviewRole:    PreviewRole,
		VarStagingRole:    DeployRole(c.StagingStack),
		VarProductionRole: DeployRole(c.ProductionStack),
	}
}

// NotificationSecrets are optional: a workflow skips a channel whose secrets
// are missing, with a notice.
var NotificationSecrets = []string{"SLACK_WEBHOOK_URL", "MAIL_SERVER", "MAIL_PORT", "MAIL_USERNAME", "MAIL_PASSWORD", "MAIL_FROM", "MAIL_TO"}

// setupCommands are the exact `gh` commands that configure the repository
// for the workflows.
func setupCommands(cfg *Config, backendURL, secretsProvider, preview, staging, production string) string {
	repo := shellQuote(cfg.Repository())
	env := shellQuote(cfg.ProductionEnvironment)
	vars := map[string]string{
		VarRegion:          cfg.Region,
		VarBackendURL:      backendURL,
		VarSecretsProvider: secretsProvider,
		VarPreviewRole:     preview,
		VarStagingRole:     staging,
	}
	names := make([]string, 0, len(vars))
	for k := range vars {
		names = append(names, k)
	}
	sort.Strings(names)

	var b strings.Builder
	fmt.Fprintln(&b, "# Repository variables read by .github/workflows (none of them is a credential).")
	for _, k := range names {
		fmt.Fprintf(&b, "gh variable set %s --repo %s --body %s\n", k, repo, shellQuote(vars[k]))
	}
	fmt.Fprintf(&b, "# The %s environment: only protected branches may deploy to it; add required reviewers in Settings > Environments.\n", cfg.ProductionEnvironment)
	fmt.Fprintf(&b, "gh api --method PUT repos/%s/environments/%s -F 'deployment_branch_policy[protected_branches]=true' -F 'deployment_branch_policy[custom_branch_policies]=false'\n",
		cfg.Repository(), cfg.ProductionEnvironment)
	fmt.Fprintf(&b, "# The production role ARN is visible only to jobs running in that environment.\n")
	fmt.Fprintf(&b, "gh variable set %s --env %s --repo %s --body %s\n", VarProductionRole, env, repo, shellQuote(production))
	fmt.Fprintln(&b, "# Optional notifications: each command prompts for the value; a channel whose secrets are unset is skipped.")
	for _, s := range NotificationSecrets {
		fmt.Fprintf(&b, "gh secret set %s --repo %s\n", s, repo)
	}
	return b.String()
}

// shellQuote quotes s for a POSIX shell.
func shellQuote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
