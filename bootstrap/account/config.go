package account

import (
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/octabyte/octabyte/config"
	pulumiconfig "github.com/pulumi/pulumi/sdk/v3/go/pulumi/config"
)

// Namespace is this project's config namespace (its Pulumi project name).
const Namespace = "octabyte-bootstrap"

// Config is every setting of the bootstrap stack.
type Config struct {
	Region      string
	DefaultTags map[string]string

	// Owner and Name of the GitHub repository whose workflows may assume
	// the CI roles (githubRepository = "Owner/Name").
	Owner, Name string
	// DeployBranch is the branch whose pushes deploy staging.
	DeployBranch string
	// ProductionEnvironment is the GitHub environment (with required
	// reviewers) whose jobs may deploy production.
	ProductionEnvironment string
	// ExistingOIDCProviderARN reuses the account's GitHub OIDC provider
	// (an account has at most one per URL); empty creates it.
	ExistingOIDCProviderARN string

	// Project is the Pulumi project the CI roles deploy; StagingStack and
	// ProductionStack are its stacks. They name the workload IAM paths
	// (/<project>/<stack>/) and the state objects each role may write.
	Project, StagingStack, ProductionStack string

	// StateBucket is the state bucket's name; empty means
	// <project>-pulumi-state-<account>-<region>, set by SetAccount.
	StateBucket                 string
	NoncurrentVersionExpiration int // days a replaced state version is kept
	AbortIncompleteUpload       int // days before an unfinished multipart upload is removed
	KeyAlias                    string
	KeyDeletionWindow           int // days between scheduling deletion of the key and its deletion

	AccountID string // set by SetAccount
}

// Repository is "Owner/Name".
func (c *Config) Repository() string { return c.Owner + "/" + c.Name }

// Load reads the running stack's config.
func Load(ctx *pulumi.Context) (*Config, error) {
	return Parse(func(key string) (string, bool) {
		v, err := pulumiconfig.Try(ctx, key)
		return v, err == nil
	})
}

// Parse builds a Config from raw values ("namespace:key" → string, as Pulumi
// passes them). It returns every problem found, joined, each naming its key.
func Parse(get func(key string) (string, bool)) (*Config, error) {
	r := &reader{get: get}
	c := read(r)
	if len(r.errs) > 0 {
		return nil, fmt.Errorf("invalid config for the bootstrap stack:\n%w", errors.Join(r.errs...))
	}
	return c, nil
}

// Check is Parse in the shape the plan command takes.
func Check(_ string, cfg map[string]string) ([]string, error) {
	_, err := Parse(func(key string) (string, bool) { v, ok := cfg[key]; return v, ok })
	return nil, err
}

// Schema lists every project config key: what Pulumi.yaml must declare.
func Schema() []config.Key {
	r := &reader{get: func(string) (string, bool) { return "", false }}
	read(r)
	return r.keys
}

var (
	// GitHub: an owner is 1-39 letters, digits or single inner hyphens; a
	// repository name is letters, digits, '.', '-' and '_'.
	ownerPattern = regexp.MustCompile(`^[A-Za-z0-9](?:[A-Za-z0-9]|-[A-Za-z0-9]){0,38}$`)
	repoPattern  = regexp.MustCompile(`^[A-Za-z0-9._-]{1,100}$`)
	// Values that end up inside an OIDC `sub` claim: no ':' (the claim's
	// separator), no '*' or '?' (wildcards in StringLike), no spaces.
	claimPattern   = regexp.MustCompile(`^[A-Za-z0-9._/-]{1,255}$`)
	namePattern    = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{0,30}[a-z0-9]$`)
	stackPattern   = regexp.MustCompile(`^[A-Za-z0-9._-]{1,20}$`)
	bucketPattern  = regexp.MustCompile(`^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$`)
	aliasPattern   = regexp.MustCompile(`^alias/[A-Za-z0-9/_-]{1,250}$`)
	oidcARNPattern = regexp.MustCompile(`^arn:aws[a-z-]*:iam::\d{12}:oidc-provider/token\.actions\.githubusercontent\.com$`)
	ipPattern      = regexp.MustCompile(`^\d+\.\d+\.\d+\.\d+$`)
)

func read(r *reader) *Config {
	c := &Config{}
	c.Region, c.DefaultTags = readProvider(r)

	repo, ok := r.declare("githubRepository", "string", "GitHub repository (owner/name) whose workflows may assume the CI roles; required", nil)
	switch owner, name, found := strings.Cut(repo, "/"); {
	case !ok || repo == "":
		r.errs = append(r.errs, fmt.Errorf("%s:githubRepository is required: the GitHub repository as owner/name, e.g. octabyte/octabyte", Namespace))
	case !found || !ownerPattern.MatchString(owner) || !repoPattern.MatchString(name) || name == "." || name == "..":
		r.fail("githubRepository", repo, "must be owner/name of a GitHub repository, e.g. octabyte/octabyte")
	default:
		c.Owner, c.Name = owner, name
	}
	c.DeployBranch = r.str("deployBranch", "main", "Branch whose pushes deploy the staging stack", claimPattern,
		"must be a branch name (letters, digits, . _ / -; no wildcards or ':')")
	if strings.HasPrefix(c.DeployBranch, "refs/") {
		r.fail("deployBranch", c.DeployBranch, "must be the branch name without refs/heads/")
	}
	c.ProductionEnvironment = r.str("productionEnvironment", "production", "GitHub environment (with required reviewers) whose jobs may deploy the production stack",
		claimPattern, "must be a GitHub environment name (letters, digits, . _ -; no wildcards or ':')")
	c.ExistingOIDCProviderARN = r.str("existingOidcProviderArn", "", "ARN of the account's existing GitHub OIDC provider to reuse; empty creates one",
		oidcARNPattern, "must be empty or the ARN of the token.actions.githubusercontent.com OIDC provider")

	c.Project = r.str("projectName", "octabyte", "Pulumi project the CI roles deploy; names the workload IAM paths and default resource names",
		namePattern, "must be 2-32 lowercase letters, digits and inner hyphens")
	c.StagingStack = r.str("stagingStack", "staging", "Stack deployed from the deploy branch (also its Environment tag)", stackPattern, "must be a Pulumi stack name of at most 20 characters (letters, digits, . _ -)")
	c.ProductionStack = r.str("productionStack", "prod", "Stack deployed through the production environment (also its Environment tag)", stackPattern, "must be a Pulumi stack name of at most 20 characters (letters, digits, . _ -)")
	if c.StagingStack == c.ProductionStack && c.StagingStack != "" {
		r.fail("productionStack", c.ProductionStack, "must differ from %s:stagingStack", Namespace)
	}

	c.StateBucket = r.str("stateBucketName", "", "Name of the state bucket; empty means <projectName>-pulumi-state-<account>-<region>",
		bucketPattern, "must be a valid S3 bucket name: 3-63 lowercase letters, digits, '.' and '-'")
	if c.StateBucket != "" {
		if err := checkBucketName(c.StateBucket); err != nil {
			r.fail("stateBucketName", c.StateBucket, "%s", err)
		}
	}
	c.NoncurrentVersionExpiration = r.integer("noncurrentVersionExpirationDays", 90, "Days a replaced or deleted state file version is kept before it expires", 1, 3650)
	c.AbortIncompleteUpload = r.integer("abortIncompleteUploadDays", 7, "Days after which an unfinished multipart upload to the state bucket is removed", 1, 365)
	c.KeyAlias = r.str("secretsKeyAlias", "alias/octabyte-pulumi-secrets", "Alias of the KMS key that encrypts the state bucket and the stacks' secrets",
		aliasPattern, "must be alias/ followed by letters, digits, / _ -")
	if strings.HasPrefix(c.KeyAlias, "alias/aws/") {
		r.fail("secretsKeyAlias", c.KeyAlias, "alias/aws/ is reserved for AWS managed keys")
	}
	c.KeyDeletionWindow = r.integer("kmsDeletionWindowDays", 30, "Waiting period in days before a scheduled deletion of the KMS key takes effect", 7, 30)
	return c
}

// SetAccount records the account the stack deploys into and derives the
// default state bucket name, which must still be valid.
func (c *Config) SetAccount(id string) error {
	c.AccountID = id
	if c.StateBucket != "" {
		return nil
	}
	name := fmt.Sprintf("%s-pulumi-state-%s-%s", c.Project, id, c.Region)
	if err := checkBucketName(name); err != nil || !bucketPattern.MatchString(name) {
		return fmt.Errorf("%s:stateBucketName: the default name %q is not a valid bucket name; set stateBucketName", Namespace, name)
	}
	c.StateBucket = name
	return nil
}

func checkBucketName(name string) error {
	switch {
	case strings.Contains(name, ".."):
		return errors.New("must not contain '..'")
	case ipPattern.MatchString(name):
		return errors.New("must not look like an IP address")
	case strings.HasPrefix(name, "xn--"), strings.HasPrefix(name, "sthree-"), strings.HasSuffix(name, "-s3alias"), strings.HasSuffix(name, "--ol-s3"):
		return errors.New("uses a prefix or suffix S3 reserves")
	case strings.Contains(name, "."):
		return errors.New("must not contain '.' (virtual-hosted TLS certificates do not cover dotted names)")
	}
	return nil
}

func readProvider(r *reader) (string, map[string]string) {
	region, tags, errs := config.Provider(r.get)
	r.errs = append(r.errs, errs...)
	return region, tags
}

type reader struct {
	get  func(key string) (string, bool)
	keys []config.Key
	errs []error
}

func (r *reader) declare(name, typ, desc string, def any) (string, bool) {
	r.keys = append(r.keys, config.Key{Name: name, Type: typ, Description: desc, Default: def})
	return r.get(Namespace + ":" + name)
}

func (r *reader) fail(name, raw, format string, args ...any) {
	r.errs = append(r.errs, fmt.Errorf("%s:%s = %q: %s", Namespace, name, raw, fmt.Sprintf(format, args...)))
}

// str reads a string; an empty value takes the default, any other must match.
func (r *reader) str(name, def, desc string, pattern *regexp.Regexp, rule string) string {
	raw, ok := r.declare(name, "string", desc, def)
	if !ok || raw == "" {
		return def
	}
	if !pattern.MatchString(raw) {
		r.fail(name, raw, "%s", rule)
	}
	return raw
}

func (r *reader) integer(name string, def int, desc string, minimum, maximum int) int {
	raw, ok := r.declare(name, "integer", desc, def)
	if !ok {
		return def
	}
	v, err := strconv.Atoi(strings.TrimSpace(raw))
	if err != nil || v < minimum || v > maximum {
		r.fail(name, raw, "must be a whole number between %d and %d", minimum, maximum)
		return def
	}
	return v
}

// The OIDC `sub` claims GitHub puts in a job's token: for a pull_request
// event, for a job on the deploy branch (push, schedule, workflow_dispatch)
// and for a job that runs in the production environment.
func (c *Config) pullRequestSubject() string {
	return fmt.Sprintf("repo:%s:pull_request", c.Repository())
}

func (c *Config) branchSubject() string {
	return fmt.Sprintf("repo:%s:ref:refs/heads/%s", c.Repository(), c.DeployBranch)
}

func (c *Config) environmentSubject() string {
	return fmt.Sprintf("repo:%s:environment:%s", c.Repository(), c.ProductionEnvironment)
}
