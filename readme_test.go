package main

import (
	"os"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/octabyte/octabyte/config"
	"github.com/octabyte/octabyte/guardrails"
)

// The README's reference tables must cover every key and every rule.
func TestReadmeDocumentsEveryConfigKeyAndRule(t *testing.T) {
	raw, err := os.ReadFile("README.md")
	require.NoError(t, err)
	readme := string(raw)
	for _, k := range config.Schema() {
		assert.True(t, strings.Contains(readme, "| `"+k.Name+"` |"), "README lacks config key %s", k.Name)
	}
	for _, r := range guardrails.Rules() {
		assert.True(t, strings.Contains(readme, "| "+r.ID+" | "+string(r.Severity)+" |"), "README lacks rule %s", r.ID)
	}
}
