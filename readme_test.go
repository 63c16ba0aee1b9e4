package main

import (
	"fmt"
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/octabyte/octabyte/config"
	"github.com/octabyte/octabyte/cost"
	"github.com/octabyte/octabyte/guardrails"
	"github.com/octabyte/octabyte/internal/cli"
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

// The README's cost tables are the plan's own figures: each stack's groups
// and total, and each lever's effect on each stack ("in use": the stack
// already has it; "refused": a config error).
func TestReadmeCostTablesMatchThePlan(t *testing.T) {
	raw, err := os.ReadFile("README.md")
	require.NoError(t, err)
	readme := string(raw)
	base := map[string]*cost.Estimate{}
	for _, stack := range stacks {
		e := estimateWith(t, stack, nil)
		base[stack] = e
		g := e.Groups()
		row := fmt.Sprintf("| %s | %.2f | %.2f | %.2f | %.2f | %.2f | **%.2f** |",
			stack, g["network"], g["compute"], g["database"], g["monitoring"], g["logs"]+g["logging"], e.Total)
		assert.Contains(t, readme, row, "the README's default %s row", stack)
	}

	lever := regexp.MustCompile("(?m)^\\| `(\\w+): ([^`]+)`[^|]*\\| ([^|]+) \\| ([^|]+) \\|$")
	rows := lever.FindAllStringSubmatch(readme, -1)
	require.GreaterOrEqual(t, len(rows), 10, "the lever table")
	for _, r := range rows {
		key, value := "octabyte:"+r[1], r[2]
		for i, stack := range stacks {
			cell := strings.TrimSpace(r[3+i])
			raw := stackFileWith(t, stack, map[string]string{key: value})
			changed, err := cli.Price(run, stack, raw)
			switch cell {
			case "refused":
				assert.ErrorContains(t, err, key, "%s %s", stack, r[0])
			case "in use":
				require.NoError(t, err)
				assert.Equal(t, base[stack].Total, changed.Total, "%s already has %s", stack, r[0])
			default:
				require.NoError(t, err)
				want, perr := strconv.ParseFloat(strings.NewReplacer("−", "-", "+", "").Replace(cell), 64)
				require.NoError(t, perr, "%s: cell %q", r[0], cell)
				assert.InDelta(t, want, changed.Total-base[stack].Total, 0.005, "%s on %s", r[0], stack)
			}
		}
	}
}
