package account

import (
	"fmt"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/iam"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/octabyte/octabyte/bootstrap/workload"
	"github.com/octabyte/octabyte/internal/policydoc"
)

// GitHub's OIDC issuer and the audience configure-aws-credentials asks for.
const (
	GitHubOIDCURL = "https://token.actions.githubusercontent.com"
	GitHubIssuer  = "token.actions.githubusercontent.com"
	STSAudience   = "sts.amazonaws.com"
)

// gitHubThumbprints are the certificate thumbprints of GitHub's OIDC issuer.
// IAM no longer checks them for this issuer (it trusts its CA library), but
// older API clients expect a value.
var gitHubThumbprints = []string{"6938fd4d98bab03faadb97b34396831e3780aea1", "1c58a3a8518e8759bf075b76b750d4f2df264fcd"}

// PassRoleServices are the services a deploy role may hand a workload role
// to: ECS tasks (execution and task roles), VPC flow logs, RDS enhanced
// monitoring, EC2 (the NAT instance's profile), EventBridge Scheduler (the
// sleep schedules) and AWS Chatbot (the alarm channel's role). Passing a
// role to anything else (Lambda, ...) is denied. iam:PassedToService is the
// service principal the role trusts ("IAM and AWS STS condition context
// keys", IAM User Guide): each service documents it in its role's trust
// policy (ECS task and task execution IAM role, "IAM role for publishing
// flow logs to CloudWatch Logs", "Setting up and enabling Enhanced
// Monitoring", "IAM roles for Amazon EC2", "Set up the execution role" of
// EventBridge Scheduler, "Understanding IAM roles" of AWS Chatbot). A test
// compares them with the stacks' roles.
var PassRoleServices = []string{"ecs-tasks.amazonaws.com", "vpc-flow-logs.amazonaws.com", "monitoring.rds.amazonaws.com",
	"ec2.amazonaws.com", "scheduler.amazonaws.com", "chatbot.amazonaws.com"}

// WorkloadServices are the services a workload role (one the stacks create)
// may ever be granted, whatever policy the stack attaches: the permissions
// boundary. IAM, STS, Organizations and account management are not among
// them, so a deploy role cannot mint a role more powerful than itself.
var WorkloadServices = []string{
	"logs:*", "cloudwatch:*", "xray:*",
	"ecr:*", "ecs:*", "ssmmessages:*",
	"secretsmanager:*", "kms:*", "ssm:*",
	"s3:*", "rds:*", "ec2:*", "elasticloadbalancing:*",
	"sns:*", "sqs:*", "events:*", "application-autoscaling:*",
}

// How long a CI role's credentials may last. A workflow asks for as long as
// its job may run (role-duration-seconds, which configure-aws-credentials
// defaults to 3600; STS refuses more than the role's MaxSessionDuration), so
// each must cover the longest job that assumes the role:
// TestCredentialsOutliveEveryJob (internal/workflows) compares them with the
// workflows' timeout-minutes.
const (
	PreviewSessionSeconds = 3600 // previews and drift checks: 30-minute jobs
	// The first prod bring-up creates a Multi-AZ database: two hours.
	DeploySessionSeconds = 2 * 3600
)

// MaxSessionSeconds is the MaxSessionDuration of the CI role called name.
func MaxSessionSeconds(name string) int {
	if name == PreviewRole {
		return PreviewSessionSeconds
	}
	return DeploySessionSeconds
}

// PreviewRole is the logical name of the read-only role (and of its inline
// policy); the role's IAM name is <project>-ci-preview.
const PreviewRole = "preview"

// DeployRole is the logical name of a stack's deploy role (and of its inline
// policy); the role's IAM name is <project>-ci-deploy-<stack>.
func DeployRole(stack string) string { return "deploy-" + stack }

// CIArgs configures CI. All values are known at plan time.
type CIArgs struct {
	Partition, AccountID, Region string
	Owner, Name                  string // the GitHub repository
	PullRequestSubject           string // `sub` of pull_request jobs
	BranchSubject                string // `sub` of jobs on the deploy branch
	EnvironmentSubject           string // `sub` of jobs in the production environment
	ExistingOIDCProviderARN      string

	Project                       string // the deployed Pulumi project
	StagingStack, ProductionStack string
	StateBucket                   string
	KeyAlias                      string // the secrets key, denied to workload roles
}

// CI is GitHub's OIDC identity provider and the roles workflows assume.
type CI struct {
	pulumi.ResourceState

	OIDCProviderARN        pulumi.StringOutput
	PreviewRoleARN         pulumi.StringOutput
	StagingRoleARN         pulumi.StringOutput
	ProductionRoleARN      pulumi.StringOutput
	PermissionsBoundaryARN pulumi.StringOutput
	// RolePath is the IAM path of the CI roles, "/<project>-ci/".
	RolePath string
	// WorkloadPaths maps each stack to the IAM path its roles and policies
	// must use, "/<project>/<stack>/": the only ones its deploy role manages.
	WorkloadPaths map[string]string
}

// NewCI creates the OIDC provider (unless one is given), the permissions
// boundary for workload roles, the read-only preview role and one deploy role
// per stack, each trusted only by this repository's matching jobs.
func NewCI(ctx *pulumi.Context, name string, a *CIArgs, opts ...pulumi.ResourceOption) (*CI, error) {
	c := &CI{
		RolePath: workload.CIPath(a.Project),
		WorkloadPaths: map[string]string{
			a.StagingStack:    workload.RolePath(a.Project, a.StagingStack),
			a.ProductionStack: workload.RolePath(a.Project, a.ProductionStack),
		},
	}
	if err := ctx.RegisterComponentResource("octabyte-bootstrap:ci:GitHubOIDC", name, c, opts...); err != nil {
		return nil, err
	}
	parent := pulumi.Parent(c)

	if a.ExistingOIDCProviderARN != "" {
		c.OIDCProviderARN = pulumi.String(a.ExistingOIDCProviderARN).ToStringOutput()
	} else {
		provider, err := iam.NewOpenIdConnectProvider(ctx, "github", &iam.OpenIdConnectProviderArgs{
			Url:             pulumi.String(GitHubOIDCURL),
			ClientIdLists:   pulumi.ToStringArray([]string{STSAudience}),
			ThumbprintLists: pulumi.ToStringArray(gitHubThumbprints),
		}, parent)
		if err != nil {
			return nil, err
		}
		c.OIDCProviderARN = provider.Arn
	}

	boundary, err := iam.NewPolicy(ctx, "workload-boundary", &iam.PolicyArgs{
		Name:        pulumi.String(workload.BoundaryName(a.Project)),
		Path:        pulumi.String(c.RolePath),
		Description: pulumi.String("Permissions boundary every role the " + a.Project + " stacks create must carry"),
		Policy:      pulumi.String(workloadBoundary(a).JSON()),
	}, parent)
	if err != nil {
		return nil, err
	}
	c.PermissionsBoundaryARN = boundary.Arn

	preview, err := c.role(ctx, a, PreviewRole, "Read-only: pulumi preview of pull requests and scheduled drift checks",
		[]string{a.PullRequestSubject, a.BranchSubject}, "ReadOnlyAccess", parent)
	if err != nil {
		return nil, err
	}
	c.PreviewRoleARN = preview.Arn
	if _, err := iam.NewRolePolicy(ctx, PreviewRole, &iam.RolePolicyArgs{
		Role:   preview.ID(),
		Policy: pulumi.String(previewPolicy(a).JSON()),
	}, parent); err != nil {
		return nil, err
	}

	deploys := []struct {
		stack, subject, other string
		arn                   *pulumi.StringOutput
	}{
		{a.StagingStack, a.BranchSubject, a.ProductionStack, &c.StagingRoleARN},
		{a.ProductionStack, a.EnvironmentSubject, a.StagingStack, &c.ProductionRoleARN},
	}
	for _, d := range deploys {
		role, err := c.role(ctx, a, DeployRole(d.stack),
			fmt.Sprintf("Deploys the %s stack of %s (pulumi up, image push)", d.stack, a.Project),
			[]string{d.subject}, "PowerUserAccess", parent)
		if err != nil {
			return nil, err
		}
		*d.arn = role.Arn
		policy := policydoc.Output(pulumi.StringArray{boundary.Arn}, func(v []string) policydoc.Document {
			return deployPolicy(a, d.stack, d.other, c.WorkloadPaths[d.stack], v[0])
		})
		if _, err := iam.NewRolePolicy(ctx, DeployRole(d.stack), &iam.RolePolicyArgs{
			Role:   role.ID(),
			Policy: policy,
		}, parent); err != nil {
			return nil, err
		}
	}

	return c, ctx.RegisterResourceOutputs(c, pulumi.Map{
		"oidcProviderArn":        c.OIDCProviderARN,
		"previewRoleArn":         c.PreviewRoleARN,
		"stagingRoleArn":         c.StagingRoleARN,
		"productionRoleArn":      c.ProductionRoleARN,
		"permissionsBoundaryArn": c.PermissionsBoundaryARN,
	})
}

// role creates one CI role trusted by exactly the given `sub` claims of
// GitHub's OIDC tokens, with one AWS managed policy attached.
func (c *CI) role(ctx *pulumi.Context, a *CIArgs, name, description string, subjects []string, managed string, parent pulumi.ResourceOption) (*iam.Role, error) {
	trust := policydoc.Output(pulumi.StringArray{c.OIDCProviderARN}, func(v []string) policydoc.Document {
		return oidcTrust(v[0], subjects)
	})
	role, err := iam.NewRole(ctx, name, &iam.RoleArgs{
		Name:               pulumi.String(a.Project + "-ci-" + name),
		Path:               pulumi.String(c.RolePath),
		Description:        pulumi.String(description + "; assumed by " + a.Owner + "/" + a.Name + " GitHub Actions through OIDC"),
		AssumeRolePolicy:   trust,
		MaxSessionDuration: pulumi.Int(MaxSessionSeconds(name)),
	}, parent)
	if err != nil {
		return nil, err
	}
	if _, err := iam.NewRolePolicyAttachment(ctx, name+"-"+managed, &iam.RolePolicyAttachmentArgs{
		Role:      role.Name,
		PolicyArn: pulumi.String(fmt.Sprintf("arn:%s:iam::aws:policy/%s", a.Partition, managed)),
	}, parent); err != nil {
		return nil, err
	}
	return role, nil
}

// oidcTrust lets GitHub's tokens for the given subjects, and only tokens
// issued for STS, assume the role. StringEquals, not StringLike: no wildcard
// can widen a subject to other branches, environments or repositories.
func oidcTrust(providerARN string, subjects []string) policydoc.Document {
	return policydoc.New(policydoc.Statement{
		Sid:       "GitHubActionsOIDC",
		Effect:    "Allow",
		Principal: map[string]any{"Federated": providerARN},
		Action:    "sts:AssumeRoleWithWebIdentity",
		Condition: map[string]map[string]any{"StringEquals": {
			GitHubIssuer + ":aud": STSAudience,
			GitHubIssuer + ":sub": subjects,
		}},
	})
}

func bucketARN(a *CIArgs) string { return fmt.Sprintf("arn:%s:s3:::%s", a.Partition, a.StateBucket) }

// previewPolicy adds to ReadOnlyAccess what pulumi preview needs of the
// state backend, and takes away the data-plane reads ReadOnlyAccess grants
// that no preview needs (a pull request can change the workflow it runs).
// Decrypting with the secrets key is granted by the key policy.
func previewPolicy(a *CIArgs) policydoc.Document {
	bucket := bucketARN(a)
	return policydoc.New(
		policydoc.Statement{Sid: "StateBucket", Effect: "Allow",
			Action:   []string{"s3:ListBucket", "s3:GetBucketLocation", "s3:GetBucketVersioning"},
			Resource: bucket},
		policydoc.Statement{Sid: "ReadState", Effect: "Allow",
			Action:   []string{"s3:GetObject", "s3:GetObjectVersion"},
			Resource: bucket + "/*"},
		// Pulumi's self-managed backend writes a lock object for operations
		// that may update state (preview --refresh in some CLI versions).
		policydoc.Statement{Sid: "StateLocks", Effect: "Allow",
			Action:   []string{"s3:PutObject", "s3:DeleteObject"},
			Resource: bucket + "/.pulumi/locks/*"},
		policydoc.Statement{Sid: "NoDataReads", Effect: "Deny",
			Action: []string{
				"secretsmanager:GetSecretValue",
				"dynamodb:GetItem", "dynamodb:BatchGetItem", "dynamodb:Query", "dynamodb:Scan",
				"logs:GetLogEvents", "logs:FilterLogEvents", "logs:StartQuery", "logs:GetQueryResults",
			},
			Resource: "*"},
	)
}

// deployPolicy adds to PowerUserAccess (everything but IAM, Organizations
// and account settings) the state backend and the IAM the stack needs,
// scoped to the stack's own IAM path, plus guards against the other stack.
func deployPolicy(a *CIArgs, stack, other, path, boundaryARN string) policydoc.Document {
	bucket := bucketARN(a)
	iamARN := func(kind string) string {
		return fmt.Sprintf("arn:%s:iam::%s:%s%s*", a.Partition, a.AccountID, kind, path)
	}
	roles, policies, profiles := iamARN("role"), iamARN("policy"), iamARN("instance-profile")
	statements := []policydoc.Statement{
		{Sid: "StateBucket", Effect: "Allow",
			Action:   []string{"s3:ListBucket", "s3:GetBucketLocation", "s3:GetBucketVersioning"},
			Resource: bucket},
		{Sid: "ReadWriteState", Effect: "Allow",
			Action:   []string{"s3:GetObject", "s3:GetObjectVersion", "s3:PutObject", "s3:DeleteObject"},
			Resource: bucket + "/*"},
		// Creating a role, or changing what it may do, only with the
		// boundary attached: a role the stack creates can never do more
		// than WorkloadServices, so it cannot be a way around this policy.
		{Sid: "WorkloadRolesCarryTheBoundary", Effect: "Allow",
			Action: []string{
				"iam:CreateRole", "iam:PutRolePolicy", "iam:DeleteRolePolicy",
				"iam:AttachRolePolicy", "iam:DetachRolePolicy", "iam:PutRolePermissionsBoundary",
			},
			Resource:  roles,
			Condition: map[string]map[string]any{"StringEquals": {"iam:PermissionsBoundary": boundaryARN}}},
		{Sid: "WorkloadRoles", Effect: "Allow",
			Action: []string{
				"iam:GetRole", "iam:DeleteRole", "iam:UpdateRole", "iam:UpdateRoleDescription",
				"iam:UpdateAssumeRolePolicy", "iam:TagRole", "iam:UntagRole", "iam:ListRoleTags",
				"iam:GetRolePolicy", "iam:ListRolePolicies", "iam:ListAttachedRolePolicies",
				"iam:ListInstanceProfilesForRole",
			},
			Resource: roles},
		{Sid: "WorkloadPolicies", Effect: "Allow",
			Action: []string{
				"iam:CreatePolicy", "iam:DeletePolicy", "iam:GetPolicy", "iam:GetPolicyVersion",
				"iam:ListPolicyVersions", "iam:CreatePolicyVersion", "iam:DeletePolicyVersion",
				"iam:SetDefaultPolicyVersion", "iam:TagPolicy", "iam:UntagPolicy", "iam:ListPolicyTags",
				"iam:ListEntitiesForPolicy",
			},
			Resource: policies},
		// AWS lets a profile hold a role of any path, but AddRoleToInstanceProfile
		// also needs iam:PassRole on the role (IAM API Reference), which
		// this policy grants only on the stack's own roles, all created with
		// the boundary: so these profiles can only carry such a role.
		{Sid: "WorkloadInstanceProfiles", Effect: "Allow",
			Action: []string{
				"iam:CreateInstanceProfile", "iam:DeleteInstanceProfile", "iam:GetInstanceProfile",
				"iam:AddRoleToInstanceProfile", "iam:RemoveRoleFromInstanceProfile",
				"iam:TagInstanceProfile", "iam:UntagInstanceProfile",
			},
			Resource: profiles},
		{Sid: "PassWorkloadRolesToTheirServices", Effect: "Allow",
			Action:    "iam:PassRole",
			Resource:  roles,
			Condition: map[string]map[string]any{"StringEquals": {"iam:PassedToService": PassRoleServices}}},
		{Sid: "ReadAWSManagedPolicies", Effect: "Allow",
			Action:   []string{"iam:GetPolicy", "iam:GetPolicyVersion", "iam:ListPolicyVersions"},
			Resource: fmt.Sprintf("arn:%s:iam::aws:policy/*", a.Partition)},
		// PowerUserAccess allows sts:*, which would let this role assume any
		// role of the account that trusts the account as a whole.
		{Sid: "NoRoleChaining", Effect: "Deny",
			Action:   []string{"sts:AssumeRole", "sts:AssumeRoleWithWebIdentity", "sts:AssumeRoleWithSAML"},
			Resource: "*"},
		{Sid: "NeverRemoveTheBoundary", Effect: "Deny",
			Action:   "iam:DeleteRolePermissionsBoundary",
			Resource: "*"},
		// The other stack's state is never written by this role, nor this
		// bootstrap's, nor the backend's layout marker (PowerUserAccess
		// would allow all three).
		{Sid: "NotTheOtherStacksState", Effect: "Deny",
			Action:   []string{"s3:PutObject", "s3:DeleteObject"},
			Resource: fmt.Sprintf("%s/.pulumi/*/%s/%s*", bucket, a.Project, other)},
		{Sid: "NotTheBootstrapState", Effect: "Deny",
			Action:   []string{"s3:PutObject", "s3:DeleteObject"},
			Resource: []string{fmt.Sprintf("%s/.pulumi/*/%s/*", bucket, Namespace), bucket + "/.pulumi/meta.yaml"}},
	}
	if stack == a.StagingStack {
		// The staging role is assumable by any job on the deploy branch, with
		// no review: it may not touch production's resources at all. (The
		// production role may read staging's: it copies the image from
		// staging's repository.)
		statements = append(statements,
			policydoc.Statement{Sid: "NotProductionResources", Effect: "Deny", Action: "*", Resource: "*",
				Condition: map[string]map[string]any{"StringEquals": {"aws:ResourceTag/Environment": other}}},
			policydoc.Statement{Sid: "NotCreatingProductionResources", Effect: "Deny", Action: "*", Resource: "*",
				Condition: map[string]map[string]any{"StringEquals": {"aws:RequestTag/Environment": other}}},
		)
	}
	return policydoc.New(statements...)
}

// workloadBoundary caps every role the stacks create: workload services
// only, and never the state bucket or the secrets key.
func workloadBoundary(a *CIArgs) policydoc.Document {
	bucket := bucketARN(a)
	return policydoc.New(
		policydoc.Statement{Sid: "WorkloadServices", Effect: "Allow", Action: WorkloadServices, Resource: "*"},
		policydoc.Statement{Sid: "NeverTheStateBucket", Effect: "Deny", Action: "s3:*", Resource: []string{bucket, bucket + "/*"}},
		policydoc.Statement{Sid: "NeverTheSecretsKey", Effect: "Deny", Action: "kms:*", Resource: "*",
			Condition: map[string]map[string]any{"ForAnyValue:StringEquals": {"kms:ResourceAliases": a.KeyAlias}}},
	)
}
