package config_test

import (
	"os"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/octabyte/octabyte/config"
)

// The section is rewritten from the keys, everything above it kept; a key
// without a default is declared without one (the Pulumi CLI then requires it).
func TestReplaceConfigSectionDeclaresTheKeys(t *testing.T) {
	project := []byte("name: demo\nruntime: go\nconfig:\n  demo:stale:\n    type: string\n")
	out, err := config.ReplaceConfigSection(project, []config.Key{
		{Name: "demo:count", Type: "integer", Description: "how many", Default: 2},
		{Name: "demo:names", Type: "array", Description: "who", Default: []string{}},
		{Name: "demo:required", Type: "string", Description: "no default"},
	})
	require.NoError(t, err)
	assert.Equal(t, `name: demo
runtime: go
config:
  demo:count:
    default: 2
    description: how many
    type: integer
  demo:names:
    default: []
    description: who
    items:
      type: string
    type: array
  demo:required:
    description: no default
    type: string
`, string(out))

	_, err = config.ReplaceConfigSection([]byte("name: demo\n"), nil)
	assert.ErrorContains(t, err, "no top-level config: section")
}

// The committed Pulumi.yaml is what UPDATE_PULUMI_YAML=1 writes.
func TestPulumiYamlIsTheRegeneratedOne(t *testing.T) {
	raw, err := os.ReadFile("../Pulumi.yaml")
	require.NoError(t, err)
	want, err := config.ReplaceConfigSection(raw, config.Schema())
	require.NoError(t, err)
	assert.Equal(t, string(want), string(raw))
}
