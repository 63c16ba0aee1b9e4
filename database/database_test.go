package database_test

import (
	"encoding/json"
	"regexp"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/octabyte/octabyte/database"
	"github.com/octabyte/octabyte/plan"
)

var private = []string{"subnet-priv-a", "subnet-priv-b"}

func build(t *testing.T, a database.DatabaseArgs) (*plan.Plan, *database.Database) {
	t.Helper()
	a.VpcID = pulumi.String("vpc-123")
	a.SubnetIDs = pulumi.ToStringArray(private)
	a.AccountID = plan.AccountID
	var d *database.Database
	p, err := plan.Run(func(ctx *pulumi.Context) error {
		var err error
		d, err = database.NewDatabase(ctx, "database", &a)
		return err
	}, "test", map[string]string{"aws:region": "ap-south-1"})
	require.NoError(t, err)
	return p, d
}

func instance(t *testing.T, p *plan.Plan) plan.Resource {
	t.Helper()
	rs := p.ByType("aws:rds/instance:Instance")
	require.Len(t, rs, 1)
	return rs[0]
}

func TestPrivateEncryptedPostgresOnT3Micro(t *testing.T) {
	p, _ := build(t, database.DatabaseArgs{})
	db := instance(t, p)
	assert.Equal(t, "postgres", db.Input("engine"))
	assert.Equal(t, "17", db.Input("engineVersion"))
	assert.Equal(t, true, db.Input("autoMinorVersionUpgrade"))
	assert.Equal(t, "db.t3.micro", db.Input("instanceClass"))
	assert.Equal(t, "gp3", db.Input("storageType"))
	assert.Equal(t, 20.0, db.Input("allocatedStorage"))
	assert.Equal(t, 100.0, db.Input("maxAllocatedStorage"))
	assert.Equal(t, true, db.Input("storageEncrypted"))
	assert.Equal(t, false, db.Input("publiclyAccessible"))
	assert.Equal(t, 5432.0, db.Input("port"))
}

func TestSubnetGroupIsThePrivateSubnets(t *testing.T) {
	p, _ := build(t, database.DatabaseArgs{})
	groups := p.ByType("aws:rds/subnetGroup:SubnetGroup")
	require.Len(t, groups, 1)
	assert.Equal(t, []any{"subnet-priv-a", "subnet-priv-b"}, groups[0].Input("subnetIds"))
	assert.Equal(t, groups[0].Outputs["name"], instance(t, p).Input("dbSubnetGroupName"))
}

func TestPasswordIsManagedByRDS(t *testing.T) {
	p, d := build(t, database.DatabaseArgs{})
	db := instance(t, p)
	assert.Equal(t, true, db.Input("manageMasterUserPassword"))
	assert.Nil(t, db.Input("password"), "no password input: it would land in state")
	secret := make(chan string, 1)
	d.SecretArn.ApplyT(func(s string) string { secret <- s; return s })
	assert.Equal(t, db.Outputs["masterUserSecrets"].([]any)[0].(map[string]any)["secretArn"], <-secret)
}

func TestSecurityGroupHasNoInlineRules(t *testing.T) {
	p, _ := build(t, database.DatabaseArgs{})
	sgs := p.ByType("aws:ec2/securityGroup:SecurityGroup")
	require.Len(t, sgs, 1)
	assert.Nil(t, sgs[0].Input("ingress"))
	assert.Nil(t, sgs[0].Input("egress"))
	assert.Equal(t, []any{sgs[0].Outputs["id"]}, instance(t, p).Input("vpcSecurityGroupIds"))
}

func TestParameterGroupForcesTLSAndLogsSlowQueries(t *testing.T) {
	p, _ := build(t, database.DatabaseArgs{EngineVersion: "16", SlowQueryMs: 250})
	groups := p.ByType("aws:rds/parameterGroup:ParameterGroup")
	require.Len(t, groups, 1)
	assert.Equal(t, "postgres16", groups[0].Input("family"))
	params := map[string]string{}
	for _, prm := range groups[0].Input("parameters").([]any) {
		m := prm.(map[string]any)
		params[m["name"].(string)] = m["value"].(string)
	}
	assert.Equal(t, map[string]string{"rds.force_ssl": "1", "log_min_duration_statement": "250"}, params)
	assert.Equal(t, groups[0].Outputs["name"], instance(t, p).Input("parameterGroupName"))
}

func TestLogGroupsExistBeforeTheInstance(t *testing.T) {
	p, _ := build(t, database.DatabaseArgs{LogRetentionDays: 30})
	db := instance(t, p)
	assert.Equal(t, []any{"postgresql", "upgrade"}, db.Input("enabledCloudwatchLogsExports"))
	for _, log := range database.LogExports {
		g, ok := p.Find("aws:cloudwatch/logGroup:LogGroup", "db-"+log)
		require.True(t, ok)
		assert.Equal(t, "/aws/rds/instance/octabyte-test/"+log, g.Input("name"), "the name RDS writes to")
		assert.Equal(t, 30.0, g.Input("retentionInDays"))
		assert.True(t, p.DependsOn(db, g.URN), "the instance must wait for %s", g.Name)
	}
}

func TestDisposableDefaults(t *testing.T) {
	p, _ := build(t, database.DatabaseArgs{BackupRetentionDays: 1})
	db := instance(t, p)
	assert.Equal(t, false, db.Input("multiAz"))
	assert.Equal(t, false, db.Input("deletionProtection"))
	assert.Equal(t, true, db.Input("skipFinalSnapshot"))
	assert.Nil(t, db.Input("finalSnapshotIdentifier"))
	assert.Equal(t, 0.0, db.Input("monitoringInterval"))
	assert.Empty(t, p.ByType("aws:iam/role:Role"), "no monitoring role without enhanced monitoring")
}

func TestProtectedHighlyAvailableDatabase(t *testing.T) {
	p, _ := build(t, database.DatabaseArgs{MultiAZ: true, BackupRetentionDays: 14, DeletionProtection: true, FinalSnapshot: true, MonitoringInterval: 60})
	db := instance(t, p)
	assert.Equal(t, true, db.Input("multiAz"))
	assert.Equal(t, 14.0, db.Input("backupRetentionPeriod"))
	assert.Equal(t, true, db.Input("deletionProtection"))
	assert.Equal(t, false, db.Input("skipFinalSnapshot"))
	assert.Regexp(t, `^octabyte-test-final-[0-9a-f]{8}$`, db.Input("finalSnapshotIdentifier"))
	assert.Equal(t, true, db.Input("copyTagsToSnapshot"))
	assert.Equal(t, "19:00-20:00", db.Input("backupWindow"))
	assert.Equal(t, "sun:20:30-sun:21:30", db.Input("maintenanceWindow"))
	role, ok := p.Find("aws:iam/role:Role", "db-monitoring")
	require.True(t, ok)
	assert.Equal(t, role.Outputs["arn"], db.Input("monitoringRoleArn"))
	var trust struct {
		Statement []struct{ Principal map[string]string }
	}
	require.NoError(t, json.Unmarshal([]byte(role.Input("assumeRolePolicy").(string)), &trust))
	assert.Equal(t, "monitoring.rds.amazonaws.com", trust.Statement[0].Principal["Service"])
}

// RDS snapshot identifiers: 1-255 letters, digits and hyphens, starting
// with a letter, no two hyphens in a row, no trailing hyphen.
var snapshotIdentifier = regexp.MustCompile(`^[A-Za-z](-?[A-Za-z0-9])*$`)

// A final snapshot outlives its instance, so each instance's must have a
// new name: the suffix is a random id in state (no diff on later
// previews), drawn again whenever dbName or username (the settings that
// replace the instance) or the identifier changes, so the replaced instance
// and its successor never share a name.
func TestFinalSnapshotNameIsNewForEachInstance(t *testing.T) {
	p, _ := build(t, database.DatabaseArgs{FinalSnapshot: true})
	suffix, ok := p.Find("random:index/randomId:RandomId", "final-snapshot")
	require.True(t, ok)
	name := instance(t, p).Input("finalSnapshotIdentifier")
	assert.Equal(t, "octabyte-test-final-"+suffix.Outputs["hex"].(string), name)
	assert.Regexp(t, snapshotIdentifier, name)
	assert.Equal(t, map[string]any{"identifier": "octabyte-test", "dbName": "octabyte", "username": "octabyte"}, suffix.Input("keepers"),
		"every setting that replaces (or renames) the instance draws a new suffix")
	assert.Equal(t, 4.0, suffix.Input("byteLength"))

	again, _ := build(t, database.DatabaseArgs{FinalSnapshot: true})
	assert.Equal(t, name, instance(t, again).Input("finalSnapshotIdentifier"), "stable while the instance lives: no diff on ordinary previews")
	renamed, _ := build(t, database.DatabaseArgs{FinalSnapshot: true, DBName: "app"})
	assert.NotEqual(t, name, instance(t, renamed).Input("finalSnapshotIdentifier"))

	none, _ := build(t, database.DatabaseArgs{})
	assert.Empty(t, none.ByType("random:index/randomId:RandomId"))
}

func TestProtectIsPulumiProtectAndForbidsInConfigMajorUpgrades(t *testing.T) {
	p, _ := build(t, database.DatabaseArgs{Protect: true})
	db := instance(t, p)
	assert.True(t, db.Protect)
	assert.Equal(t, false, db.Input("allowMajorVersionUpgrade"))
	for _, r := range p.Resources {
		if r.URN != db.URN {
			assert.False(t, r.Protect, "only the instance holds data: %s %s", r.Type, r.Name)
		}
	}
	p, _ = build(t, database.DatabaseArgs{})
	assert.False(t, instance(t, p).Protect)
	assert.Equal(t, true, instance(t, p).Input("allowMajorVersionUpgrade"))
}

func TestApplyImmediatelyFollowsTheArgs(t *testing.T) {
	for _, now := range []bool{true, false} {
		p, _ := build(t, database.DatabaseArgs{ApplyImmediately: now})
		assert.Equal(t, now, instance(t, p).Input("applyImmediately"))
	}
}
