// Package scripts holds the tests of the shell scripts beside it.
package scripts

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/octabyte/octabyte/internal/testfiles"
)

// report runs bench-report.sh on results lines and returns what it prints.
func report(t *testing.T, lines ...string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "results")
	require.NoError(t, os.WriteFile(path, []byte(strings.Join(lines, "\n")+"\n"), 0o600))
	testfiles.Track(t, "bench-report.sh")
	out, err := exec.Command("bash", "bench-report.sh", path, "3", "2", "32").CombinedOutput()
	require.NoError(t, err, "%s", out)
	return string(out)
}

// value finds "LABEL   VALUE  (NOTE)" in the report and returns VALUE and NOTE.
func value(t *testing.T, out, label string) (string, string) {
	t.Helper()
	m := regexp.MustCompile(regexp.QuoteMeta(label) + `\s+(\S+)\s+\((.*)\)`).FindStringSubmatch(out)
	require.NotNil(t, m, "no %q in\n%s", label, out)
	return m[1], m[2]
}

const (
	healthz = "ratio app /healthz : bare net/http"
	byID    = "ratio app by-id read : pgbench -S"
	ceiling = "ceiling of that ratio set by CPU 0"
)

// Ratios are taken within each round and their median printed: a round
// whose load hit both servers alike moves neither. Here the ratio of the
// medians (96/100) would differ from the median of the ratios (0.95).
func TestTheReportTakesRatiosWithinRoundsAndPrintsTheirMedian(t *testing.T) {
	out := report(t,
		"bare-healthz 1 100 0.4 1.0 14.0 80 99", "app-healthz 1 96 0.5 1.0 15.0 80 99",
		"bare-healthz 2 50 0.4 1.0 14.0 80 99", "app-healthz 2 40 0.5 1.0 15.0 80 99",
		"bare-healthz 3 200 0.4 1.0 14.0 80 99", "app-healthz 3 190 0.5 1.0 15.0 80 99",
		"app-get-by-id 1 7000 1 2 40 90 98", "pgbench-S 1 10000 0.2 0.6 - 99 60",
		"app-get-by-id 2 6000 1 2 40 90 98", "pgbench-S 2 10000 0.2 0.6 - 99 60",
		"app-get-by-id 3 8000 1 2 40 90 98", "pgbench-S 3 10000 0.2 0.6 - 99 60",
	)
	ratio, verdict := value(t, out, healthz)
	assert.Equal(t, "0.950", ratio)
	assert.Equal(t, "target >= 0.95: target reached", verdict, "a ratio equal to the target reaches it")
	ratio, verdict = value(t, out, byID)
	assert.Equal(t, "0.700", ratio)
	assert.Equal(t, "target >= 0.70: target reached", verdict)
	// Per round, CPU 0's busy time per pgbench transaction over its busy
	// time per app request: 0.770, 0.660 and 0.880.
	ceil, _ := value(t, out, ceiling)
	assert.Equal(t, "0.770", ceil)
	assert.Regexp(t, `(?m)^app-healthz\s+96\s+0\.5\s+1\.0\s+15\.0\s+80\s+99$`, out, "each scenario's medians")
	assert.Regexp(t, `(?m)^bare-headers-healthz\s+-\s`, out, "a scenario without results shows -")
}

// Over an even number of rounds the median is the mean of the middle two;
// just below a target is below it.
func TestTheReportSaysBelowTargetJustBelowIt(t *testing.T) {
	out := report(t,
		"bare-healthz 1 1000 0 0 0 0 0", "app-healthz 1 900 0 0 0 0 0",
		"bare-healthz 2 1000 0 0 0 0 0", "app-healthz 2 948 0 0 0 0 0",
		"bare-healthz 3 1000 0 0 0 0 0", "app-healthz 3 950 0 0 0 0 0",
		"bare-healthz 4 1000 0 0 0 0 0", "app-healthz 4 990 0 0 0 0 0",
		"app-get-by-id 1 699 0 0 0 90 0", "pgbench-S 1 1000 0 0 - 99 0",
	)
	ratio, verdict := value(t, out, healthz)
	assert.Equal(t, "0.949", ratio)
	assert.Equal(t, "target >= 0.95: BELOW target", verdict)
	ratio, verdict = value(t, out, byID)
	assert.Equal(t, "0.699", ratio)
	assert.Equal(t, "target >= 0.70: BELOW target", verdict)
}

func TestTheReportRefusesEmptyResults(t *testing.T) {
	path := filepath.Join(t.TempDir(), "results")
	require.NoError(t, os.WriteFile(path, nil, 0o600))
	testfiles.Track(t, "bench-report.sh")
	out, err := exec.Command("bash", "bench-report.sh", path, "3", "2", "32").CombinedOutput()
	assert.Error(t, err)
	assert.Contains(t, string(out), "no results")
}

// A round where one side has no requests or no line (results cut short, or
// a scenario's line lost when summarising BENCH_RAW output again) is left
// out of that ratio, not divided by zero or counted as 0.
func TestTheReportLeavesOutRoundsMissingASide(t *testing.T) {
	out := report(t,
		"bare-healthz 1 1000 0 0 0 0 0", "app-healthz 1 960 0 0 0 0 0",
		"bare-healthz 2 0 0 0 0 0 0", "app-healthz 2 500 0 0 0 0 0",
		"app-get-by-id 1 700 0 0 0 90 0", "pgbench-S 1 1000 0 0 - 99 0",
		"app-get-by-id 2 500 0 0 0 90 0",
	)
	ratio, _ := value(t, out, healthz)
	assert.Equal(t, "0.960", ratio)
	ratio, _ = value(t, out, byID)
	assert.Equal(t, "0.700", ratio)
	// Round 1 only: (99/1000) / (90/700).
	ceil, _ := value(t, out, ceiling)
	assert.Equal(t, "0.770", ceil)
}
