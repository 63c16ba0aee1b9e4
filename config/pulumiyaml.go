package config

import (
	"bytes"
	"errors"

	"gopkg.in/yaml.v3"
)

// ReplaceConfigSection returns a Pulumi.yaml with everything from its
// top-level "config:" line replaced by the declarations of keys, the section
// the Pulumi CLI validates stack config against. The stack's and the
// bootstrap's tests regenerate their Pulumi.yaml with it.
func ReplaceConfigSection(project []byte, keys []Key) ([]byte, error) {
	i := bytes.Index(project, []byte("\nconfig:"))
	if i == -1 {
		return nil, errors.New("no top-level config: section in Pulumi.yaml")
	}
	section := &yaml.Node{Kind: yaml.MappingNode}
	for _, k := range keys {
		decl := map[string]any{"type": k.Type, "description": k.Description}
		if k.Default != nil { // a key without a default is required by the Pulumi CLI
			decl["default"] = k.Default
		}
		if k.Type == "array" {
			decl["items"] = map[string]string{"type": "string"}
		}
		var v yaml.Node
		if err := v.Encode(decl); err != nil {
			return nil, err
		}
		section.Content = append(section.Content, &yaml.Node{Kind: yaml.ScalarNode, Value: k.Name}, &v)
	}
	var out bytes.Buffer
	enc := yaml.NewEncoder(&out)
	enc.SetIndent(2)
	if err := enc.Encode(map[string]*yaml.Node{"config": section}); err != nil {
		return nil, err
	}
	return append(project[:i+1:i+1], out.Bytes()...), nil
}
