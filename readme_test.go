package main

import (
	"os"
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
		assert.Contains(t, readme, "| `"+k.Name+"` |", "config key %s", k.Name)
	}
	for _, r := range guardrails.Rules() {
		assert.Contains(t, readme, "| "+r.ID+" | "+string(r.Severity)+" |", "rule %s", r.ID)
	}
}
