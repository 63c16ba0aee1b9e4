package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/octabyte/octabyte/bootstrap/account"
	"github.com/octabyte/octabyte/internal/cli"
)

func TestPlanCommandPrintsTheBootstrap(t *testing.T) {
	var out, errOut bytes.Buffer
	code := cli.PlanProject([]string{"--stack", "bootstrap"}, project, account.Run, &out, &errOut)
	require.Equal(t, 0, code, errOut.String())
	for _, want := range []string{"octabyte-bootstrap:state:Backend", "octabyte-bootstrap:ci:GitHubOIDC", "githubSetupCommands", "backendUrl"} {
		assert.Contains(t, out.String(), want)
	}
}

func TestPlanCommandFindsTheStackFromTheRepositoryRoot(t *testing.T) {
	wd, err := os.Getwd()
	require.NoError(t, err)
	require.NoError(t, os.Chdir(".."))
	defer func() { require.NoError(t, os.Chdir(wd)) }()
	var out, errOut bytes.Buffer
	code := cli.PlanProject([]string{"--json"}, project, account.Run, &out, &errOut)
	require.Equal(t, 0, code, errOut.String())
	assert.Contains(t, out.String(), `"aws:kms/key:Key"`)
}

func TestPlanCommandRejectsABrokenStackFile(t *testing.T) {
	dir := t.TempDir()
	raw, err := os.ReadFile("Pulumi.bootstrap.yaml")
	require.NoError(t, err)
	broken := strings.Replace(string(raw), "githubRepository: octabyte/octabyte", "githubRepository: octabyte", 1)
	require.NoError(t, os.WriteFile(filepath.Join(dir, "Pulumi.broken.yaml"), []byte(broken), 0o644))
	var out, errOut bytes.Buffer
	code := cli.PlanProject([]string{"--stack", "broken", "--dir", dir}, project, account.Run, &out, &errOut)
	assert.Equal(t, 2, code)
	assert.Contains(t, errOut.String(), `octabyte-bootstrap:githubRepository = "octabyte": must be owner/name`)
	assert.Empty(t, out.String())
}
