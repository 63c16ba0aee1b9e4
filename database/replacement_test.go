package database_test

import (
	"fmt"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/octabyte/octabyte/database"
	"github.com/octabyte/octabyte/plan"
)

func TestChangesListWhatReplacesRenamesOrUpgrades(t *testing.T) {
	live := database.Deployed{Identifier: "octabyte-prod", DBName: "octabyte", Username: "octabyte", EngineVersion: "17.4"}
	want := database.DatabaseArgs{Identifier: "octabyte-prod", DBName: "octabyte", Username: "octabyte", EngineVersion: "17"}
	assert.Empty(t, database.Changes(live, want), "a minor version AWS applied is no change")

	want.DBName, want.Username, want.EngineVersion, want.Identifier = "app", "admin1", "18", "octabyte-production"
	assert.Equal(t, []database.Change{
		{Key: "identifier (octabyte-<stack>)", From: "octabyte-prod", To: "octabyte-production", Effect: database.Renames},
		{Key: "dbName", From: "octabyte", To: "app", Effect: database.Replaces},
		{Key: "dbUsername", From: "octabyte", To: "admin1", Effect: database.Replaces},
		{Key: "dbEngineVersion", From: "17", To: "18", Effect: database.Upgrades},
	}, database.Changes(live, want))
}

// guard runs GuardReplacement in an account holding the given instances,
// at preview (data sources answer then too) and as an update.
func guard(t *testing.T, args database.DatabaseArgs, instances ...map[string]any) (warnings []string, err error) {
	t.Helper()
	var verdicts []string
	for _, mode := range []plan.Mode{plan.Preview, plan.Apply} {
		_, err = plan.RunDeployed(plan.Deployed{DBInstances: instances}, plan.Project, mode, func(ctx *pulumi.Context) error {
			var err error
			warnings, err = database.GuardReplacement(ctx, &args)
			return err
		}, "prod", map[string]string{"aws:region": "ap-south-1"})
		verdicts = append(verdicts, fmt.Sprint(err, warnings))
	}
	require.Equal(t, verdicts[0], verdicts[1], "a preview decides as the update does")
	return warnings, err
}

func deployedInstance(id, name, user, version string, tags map[string]any) map[string]any {
	return map[string]any{"dbInstanceIdentifier": id, "dbName": name, "masterUsername": user, "engineVersion": version, "tags": tags}
}

func TestFirstDeployHasNothingToCompare(t *testing.T) {
	warnings, err := guard(t, database.DatabaseArgs{Protect: true})
	require.NoError(t, err)
	assert.Empty(t, warnings)
}

func TestProtectedDatabaseRefusesAReplacingChangeWithTheSafePath(t *testing.T) {
	live := deployedInstance("octabyte-prod", "octabyte", "octabyte", "17.4", nil)
	_, err := guard(t, database.DatabaseArgs{Protect: true, DBName: "app"}, live)
	require.Error(t, err)
	for _, want := range []string{
		`dbName: "octabyte" in AWS, "app" in the config`, "replaces the database octabyte-prod",
		"aws rds create-db-snapshot --db-instance-identifier octabyte-prod", "restore-db-instance-from-db-snapshot",
		"cut over", "pulumi config set octabyte:protectResources false",
	} {
		assert.Contains(t, err.Error(), want)
	}

	_, err = guard(t, database.DatabaseArgs{Protect: true, EngineVersion: "16"}, live)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "PostgreSQL 17 in AWS, 16 in the config")
	assert.Contains(t, err.Error(), "--allow-major-version-upgrade")

	_, err = guard(t, database.DatabaseArgs{Protect: true}, live)
	assert.NoError(t, err, "the same settings pass")
}

// An instance of the stack under another identifier is found by its tag.
func TestARenamedIdentifierIsFoundByTheStackTag(t *testing.T) {
	old := deployedInstance("octabyte-prod-old", "octabyte", "octabyte", "17.4", map[string]any{database.StackTag: "octabyte/prod"})
	_, err := guard(t, database.DatabaseArgs{Protect: true}, old)
	require.Error(t, err)
	assert.Contains(t, err.Error(), `"octabyte-prod-old" in AWS, "octabyte-prod" in the config`)
	// pulumi-aws v6 renames in place (terraform-provider-aws 5.0.0): no data
	// is lost, but the endpoint changes and the instance reboots.
	assert.Contains(t, err.Error(), "renames the database octabyte-prod-old in place")
	assert.NotContains(t, err.Error(), "replaces the database")
	assert.Contains(t, err.Error(), "RDS renames octabyte-prod-old to octabyte-prod")
	// ModifyDBInstance's NewDBInstanceIdentifier waits for the maintenance
	// window unless applied immediately.
	assert.Contains(t, err.Error(), "with octabyte:dbApplyImmediately true")

	other := deployedInstance("octabyte-prod-old", "octabyte", "octabyte", "17.4", map[string]any{database.StackTag: "octabyte/staging"})
	_, err = guard(t, database.DatabaseArgs{Protect: true}, other)
	assert.NoError(t, err, "another stack's instance is not this stack's")
}

func TestUnprotectedDatabaseWarnsInstead(t *testing.T) {
	live := deployedInstance("octabyte-prod", "octabyte", "octabyte", "17.4", nil)
	warnings, err := guard(t, database.DatabaseArgs{DBName: "app", EngineVersion: "18"}, live)
	require.NoError(t, err)
	require.Len(t, warnings, 2)
	assert.Contains(t, warnings[0], "replaces the database octabyte-prod")
	assert.Contains(t, warnings[1], "upgrades the database octabyte-prod in place")
}

// The tag the guard searches for is the one the stack's instance carries:
// an instance this stack created under an earlier identifier is found.
func TestTheInstanceCarriesTheTagTheGuardFinds(t *testing.T) {
	p, err := plan.Run(func(ctx *pulumi.Context) error {
		_, err := database.NewDatabase(ctx, "database", &database.DatabaseArgs{
			Identifier: "octabyte-prod-old", VpcID: pulumi.String("vpc-1"), SubnetIDs: pulumi.ToStringArray([]string{"subnet-a", "subnet-b"}),
		})
		return err
	}, "prod", map[string]string{"aws:region": "ap-south-1"})
	require.NoError(t, err)
	created := instance(t, p)
	tags, _ := created.Input("tags").(map[string]any)
	require.NotEmpty(t, tags)
	old := deployedInstance("octabyte-prod-old", "octabyte", "octabyte", "17.4", tags)
	warnings, err := guard(t, database.DatabaseArgs{}, old)
	require.NoError(t, err)
	require.Len(t, warnings, 1)
	assert.Contains(t, warnings[0], `"octabyte-prod-old" in AWS, "octabyte-prod" in the config`)
}

// An instance found both by its identifier and by the stack's tag is
// compared once.
func TestAnInstanceFoundByIdentifierAndTagIsComparedOnce(t *testing.T) {
	live := deployedInstance("octabyte-prod", "octabyte", "octabyte", "17.4", map[string]any{database.StackTag: "octabyte/prod"})
	warnings, err := guard(t, database.DatabaseArgs{DBName: "app"}, live)
	require.NoError(t, err)
	assert.Len(t, warnings, 1)
}
