package account

import (
	"os"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"gopkg.in/yaml.v3"

	"github.com/octabyte/octabyte/config"
	"github.com/octabyte/octabyte/plan"
)

// stackConfig is the example stack file as the engine passes it.
func stackConfig(t *testing.T) map[string]string {
	t.Helper()
	cfg, err := plan.LoadProjectStackConfig("..", Namespace, Stack)
	require.NoError(t, err)
	return cfg
}

func parse(cfg map[string]string) (*Config, error) {
	return Parse(func(k string) (string, bool) { v, ok := cfg[k]; return v, ok })
}

func TestExampleStackIsValidAndInAp_South_1(t *testing.T) {
	c, err := parse(stackConfig(t))
	require.NoError(t, err)
	assert.Equal(t, "ap-south-1", c.Region)
	for _, tag := range config.RequiredTags {
		assert.NotEmpty(t, c.DefaultTags[tag], tag)
	}
	assert.Equal(t, "main", c.DeployBranch)
	assert.Equal(t, "production", c.ProductionEnvironment)
	assert.Equal(t, 90, c.NoncurrentVersionExpiration)
}

func TestBadConfigNamesTheKey(t *testing.T) {
	cases := []struct {
		key, value string
		want       []string
	}{
		{"octabyte-bootstrap:githubRepository", "octabyte", []string{"octabyte-bootstrap:githubRepository", "owner/name"}},
		{"octabyte-bootstrap:githubRepository", "octabyte/*", []string{"octabyte-bootstrap:githubRepository"}},
		{"octabyte-bootstrap:githubRepository", "-bad/octabyte", []string{"octabyte-bootstrap:githubRepository"}},
		{"octabyte-bootstrap:githubRepository", "octa:byte/octabyte", []string{"octabyte-bootstrap:githubRepository"}},
		{"octabyte-bootstrap:githubRepository", "", []string{"octabyte-bootstrap:githubRepository is required"}},
		{"octabyte-bootstrap:deployBranch", "feature/*", []string{"octabyte-bootstrap:deployBranch", "no wildcards"}},
		{"octabyte-bootstrap:deployBranch", "refs/heads/main", []string{"octabyte-bootstrap:deployBranch", "without refs/heads/"}},
		{"octabyte-bootstrap:productionEnvironment", "prod:uction", []string{"octabyte-bootstrap:productionEnvironment"}},
		{"octabyte-bootstrap:productionStack", "staging", []string{"octabyte-bootstrap:productionStack", "must differ"}},
		{"octabyte-bootstrap:noncurrentVersionExpirationDays", "0", []string{"octabyte-bootstrap:noncurrentVersionExpirationDays", "between 1 and 3650"}},
		{"octabyte-bootstrap:abortIncompleteUploadDays", "soon", []string{"octabyte-bootstrap:abortIncompleteUploadDays", "whole number"}},
		{"octabyte-bootstrap:kmsDeletionWindowDays", "3", []string{"octabyte-bootstrap:kmsDeletionWindowDays", "between 7 and 30"}},
		{"octabyte-bootstrap:stateBucketName", "My_Bucket", []string{"octabyte-bootstrap:stateBucketName", "bucket name"}},
		{"octabyte-bootstrap:stateBucketName", "state.bucket", []string{"octabyte-bootstrap:stateBucketName", "'.'"}},
		{"octabyte-bootstrap:secretsKeyAlias", "alias/aws/s3", []string{"octabyte-bootstrap:secretsKeyAlias", "reserved"}},
		{"octabyte-bootstrap:secretsKeyAlias", "pulumi", []string{"octabyte-bootstrap:secretsKeyAlias", "alias/"}},
		{"octabyte-bootstrap:existingOidcProviderArn", "arn:aws:iam::123456789012:oidc-provider/example.com", []string{"octabyte-bootstrap:existingOidcProviderArn"}},
		{"octabyte-bootstrap:projectName", "Octa Byte", []string{"octabyte-bootstrap:projectName"}},
		{"aws:region", "mumbai", []string{"aws:region"}},
		{"aws:defaultTags", `{"tags":{"Project":"octabyte"}}`, []string{"aws:defaultTags", "Environment, Owner"}},
	}
	for _, tc := range cases {
		t.Run(tc.key+"="+tc.value, func(t *testing.T) {
			cfg := stackConfig(t)
			cfg[tc.key] = tc.value
			_, err := parse(cfg)
			require.Error(t, err)
			for _, w := range tc.want {
				assert.Contains(t, err.Error(), w)
			}
		})
	}
}

func TestEveryProblemIsReportedAtOnce(t *testing.T) {
	cfg := stackConfig(t)
	cfg["octabyte-bootstrap:githubRepository"] = "nope"
	cfg["octabyte-bootstrap:kmsDeletionWindowDays"] = "99"
	_, err := parse(cfg)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "githubRepository")
	assert.Contains(t, err.Error(), "kmsDeletionWindowDays")
}

func TestDefaultBucketNameIsPerAccountAndRegion(t *testing.T) {
	c, err := parse(stackConfig(t))
	require.NoError(t, err)
	require.NoError(t, c.SetAccount("123456789012"))
	assert.Equal(t, "octabyte-pulumi-state-123456789012-ap-south-1", c.StateBucket)

	cfg := stackConfig(t)
	cfg["octabyte-bootstrap:stateBucketName"] = "my-state"
	c, err = parse(cfg)
	require.NoError(t, err)
	require.NoError(t, c.SetAccount("123456789012"))
	assert.Equal(t, "my-state", c.StateBucket, "an explicit name wins")
}

// TestPulumiYamlDeclaresEveryKey keeps bootstrap/Pulumi.yaml's config section
// (what the Pulumi CLI validates) equal to what the code reads. Regenerate
// it with UPDATE_PULUMI_YAML=1 go test ./bootstrap/account -run TestPulumiYamlDeclaresEveryKey
func TestPulumiYamlDeclaresEveryKey(t *testing.T) {
	raw, err := os.ReadFile("../Pulumi.yaml")
	require.NoError(t, err)
	if os.Getenv("UPDATE_PULUMI_YAML") != "" {
		raw, err = config.ReplaceConfigSection(raw, Schema())
		require.NoError(t, err)
		require.NoError(t, os.WriteFile("../Pulumi.yaml", raw, 0o644))
	}
	var file struct {
		Name    string `yaml:"name"`
		Runtime string `yaml:"runtime"`
		Config  map[string]struct {
			Type        string `yaml:"type"`
			Description string `yaml:"description"`
			Default     any    `yaml:"default"`
		} `yaml:"config"`
	}
	require.NoError(t, yaml.Unmarshal(raw, &file))
	assert.Equal(t, Namespace, file.Name)
	assert.Equal(t, "go", file.Runtime)
	schema := Schema()
	assert.Len(t, file.Config, len(schema), "Pulumi.yaml declares keys the code does not read")
	for _, k := range schema {
		decl, ok := file.Config[k.Name]
		if !assert.True(t, ok, "Pulumi.yaml does not declare %s", k.Name) {
			continue
		}
		assert.Equal(t, k.Type, decl.Type, k.Name)
		assert.Equal(t, k.Description, decl.Description, k.Name)
		assert.EqualValues(t, k.Default, decl.Default, k.Name)
	}
}
