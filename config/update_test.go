package config_test

import (
	"bytes"
	"os"
	"testing"

	"github.com/stretchr/testify/require"
	"gopkg.in/yaml.v3"

	"github.com/octabyte/octabyte/config"
)

// rewriteConfigSection replaces everything from the "config:" line of
// Pulumi.yaml with the schema the code declares.
func rewriteConfigSection(t *testing.T, raw []byte) {
	i := bytes.Index(raw, []byte("\nconfig:"))
	require.NotEqual(t, -1, i, "Pulumi.yaml needs a top-level config: section")
	section := &yaml.Node{Kind: yaml.MappingNode}
	for _, k := range config.Schema() {
		decl := map[string]any{"type": k.Type, "description": k.Description, "default": k.Default}
		if k.Type == "array" {
			decl["items"] = map[string]string{"type": "string"}
		}
		var v yaml.Node
		require.NoError(t, v.Encode(decl))
		section.Content = append(section.Content, &yaml.Node{Kind: yaml.ScalarNode, Value: k.Name}, &v)
	}
	var out bytes.Buffer
	enc := yaml.NewEncoder(&out)
	enc.SetIndent(2)
	require.NoError(t, enc.Encode(map[string]*yaml.Node{"config": section}))
	require.NoError(t, os.WriteFile("../Pulumi.yaml", append(raw[:i+1], out.Bytes()...), 0o644))
}
