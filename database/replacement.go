package database

import (
	"fmt"
	"slices"
	"strings"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/rds"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// StackTag marks the instance with the project and stack that own it, so a
// later run finds it even when its identifier is not the one the program
// now computes.
const StackTag = "octabyte:database"

// Deployed is what AWS reports for an existing instance: the settings a
// change of which would replace, rename or irreversibly upgrade it.
type Deployed struct {
	Identifier    string
	DBName        string
	Username      string
	EngineVersion string // full version, e.g. 17.4
}

// Effect is what a change does to the live instance.
type Effect int

const (
	// Replaces: a new, empty instance; the old one is deleted. In the
	// Terraform-bridged provider db_name and username force a new instance
	// (RDS cannot rename a database or its master user).
	Replaces Effect = iota
	// Renames: the identifier is changed in place (ModifyDBInstance
	// NewDBInstanceIdentifier; terraform-provider-aws 5.0.0, #31232, under
	// pulumi-aws v6): the endpoint changes and the instance reboots.
	Renames
	// Upgrades: a new engine major, an in-place upgrade RDS only runs with
	// AllowMajorVersionUpgrade and never reverses.
	Upgrades
)

// Change is one such setting that differs between AWS and the config.
type Change struct {
	Key      string // the config key (octabyte:<key>), or the identifier's source
	From, To string
	Effect   Effect
}

// Changes lists the settings of want that would replace, rename or
// major-upgrade live.
func Changes(live Deployed, want DatabaseArgs) []Change {
	var out []Change
	add := func(key, from, to string, effect Effect) {
		if from != to {
			out = append(out, Change{Key: key, From: from, To: to, Effect: effect})
		}
	}
	add("identifier (octabyte-<stack>)", live.Identifier, want.Identifier, Renames)
	add("dbName", live.DBName, want.DBName, Replaces)
	add("dbUsername", live.Username, want.Username, Replaces)
	major, _, _ := strings.Cut(live.EngineVersion, ".")
	add("dbEngineVersion", major, want.EngineVersion, Upgrades)
	return out
}

// FindDeployed asks AWS for the stack's instance: the one with the given
// identifier (the config's, defaults applied), and any carrying the stack's
// tag (the instance of an earlier identifier). None on a first deploy. Data
// sources run at preview too, so a change is caught before anything is planned.
func FindDeployed(ctx *pulumi.Context, identifier string) ([]Deployed, error) {
	byID, err := rds.GetInstances(ctx, &rds.GetInstancesArgs{Filters: []rds.GetInstancesFilter{{Name: "db-instance-id", Values: []string{identifier}}}})
	if err != nil {
		return nil, err
	}
	byTag, err := rds.GetInstances(ctx, &rds.GetInstancesArgs{Tags: map[string]string{StackTag: stackTagValue(ctx)}})
	if err != nil {
		return nil, err
	}
	ids := slices.Compact(slices.Sorted(slices.Values(append(byID.InstanceIdentifiers, byTag.InstanceIdentifiers...))))
	out := make([]Deployed, 0, len(ids))
	for _, id := range ids {
		db, err := rds.LookupInstance(ctx, &rds.LookupInstanceArgs{DbInstanceIdentifier: &id})
		if err != nil {
			return nil, err
		}
		out = append(out, Deployed{Identifier: db.DbInstanceIdentifier, DBName: db.DbName, Username: db.MasterUsername, EngineVersion: db.EngineVersion})
	}
	return out, nil
}

func stackTagValue(ctx *pulumi.Context) string { return ctx.Project() + "/" + ctx.Stack() }

// GuardReplacement compares the config with the stack's instance in AWS
// before anything is registered. With Protect (prod) a change that would
// replace, rename or major-upgrade the database is refused with the safe path;
// without it, it is returned as a warning.
func GuardReplacement(ctx *pulumi.Context, args *DatabaseArgs) (warnings []string, err error) {
	a := args.withDefaults(ctx.Stack())
	deployed, err := FindDeployed(ctx, a.Identifier)
	if err != nil {
		return nil, err
	}
	var refused []string
	for _, live := range deployed {
		for _, c := range Changes(live, a) {
			if a.Protect {
				refused = append(refused, c.explain(live.Identifier)+"\n"+c.safePath(live, a))
			} else {
				warnings = append(warnings, c.explain(live.Identifier))
			}
		}
	}
	if len(refused) > 0 {
		return nil, fmt.Errorf("refused: octabyte:protectResources is true and the config would replace, rename or upgrade the database\n%s\n"+
			"If the data is safe elsewhere and the replacement is intended, lift the protection for one update: "+
			"`pulumi config set octabyte:protectResources false`, `pulumi up`, then set it back to true (README: Changes that replace the database)",
			strings.Join(refused, "\n"))
	}
	return warnings, nil
}

func (c Change) explain(identifier string) string {
	switch c.Effect {
	case Replaces:
		return fmt.Sprintf("%s: %q in AWS, %q in the config: the change replaces the database %s "+
			"(a new, empty instance; the old one is deleted, keeping only its final snapshot when octabyte:dbFinalSnapshot is true)",
			c.Key, c.From, c.To, identifier)
	case Renames:
		return fmt.Sprintf("%s: %q in AWS, %q in the config: the change renames the database %s in place "+
			"(its endpoint changes: the old name stops resolving at once, the new one within about 10 minutes, and the instance reboots)",
			c.Key, c.From, c.To, identifier)
	}
	return fmt.Sprintf("%s: PostgreSQL %s in AWS, %s in the config: the change upgrades the database %s in place "+
		"(a major upgrade: downtime, and no way back but a snapshot)", c.Key, c.From, c.To, identifier)
}

// safePath is the way to make the change without losing data.
func (c Change) safePath(live Deployed, want DatabaseArgs) string {
	id := live.Identifier
	snapshot := fmt.Sprintf("aws rds create-db-snapshot --db-instance-identifier %s --db-snapshot-identifier %s-before-change", id, id)
	switch c.Effect {
	case Renames:
		return fmt.Sprintf("  safe path: 1. snapshot: %s\n"+
			"             2. in a quiet hour, lift protection for one `pulumi up` with octabyte:dbApplyImmediately true (else RDS waits for the maintenance window): RDS renames %s to %s and the service is redeployed with the new endpoint; expect minutes without a database",
			snapshot, id, c.To)
	case Upgrades:
		return fmt.Sprintf("  safe path: 1. snapshot: %s\n"+
			"             2. rehearse on a restored copy: aws rds restore-db-instance-from-db-snapshot --db-snapshot-identifier %s-before-change --db-instance-identifier %s-upgrade-test, then upgrade the copy and test the app against it\n"+
			"             3. upgrade: aws rds modify-db-instance --db-instance-identifier %s --engine-version %s --allow-major-version-upgrade --db-parameter-group-name default.postgres%s --apply-immediately\n"+
			"             4. cut over: once AWS reports PostgreSQL %s, `pulumi up` finds config and database agree and attaches the stack's own parameter group",
			snapshot, id, id, id, want.EngineVersion, want.EngineVersion, want.EngineVersion)
	}
	return fmt.Sprintf("  safe path: 1. snapshot: %s (a manual snapshot outlives the instance)\n"+
		"             2. restore it to a copy to move the data from: aws rds restore-db-instance-from-db-snapshot --db-snapshot-identifier %s-before-change --db-instance-identifier %s-copy\n"+
		"             3. cut over: with writes stopped, lift protection for one `pulumi up` (the stack creates the new instance), copy the data from %s-copy (pg_dump | pg_restore from a one-off task), check it, start writes, delete the copy",
		snapshot, id, id, id)
}
