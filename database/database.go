// Package database builds a private, encrypted RDS PostgreSQL instance whose
// master password RDS keeps in Secrets Manager: no password ever passes
// through code, config or Pulumi state.
package database

import (
	"fmt"
	"strconv"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/cloudwatch"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/ec2"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/iam"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/rds"
	"github.com/pulumi/pulumi-random/sdk/v4/go/random"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/octabyte/octabyte/internal/policydoc"
)

// Port is PostgreSQL's port.
const Port = 5432

// MonitoringPrincipal is the service that assumes the enhanced-monitoring role.
const MonitoringPrincipal = "monitoring.rds.amazonaws.com"

// LogExports are the PostgreSQL logs RDS sends to CloudWatch Logs.
var LogExports = []string{"postgresql", "upgrade"}

// DatabaseArgs configures a Database. Zero values mean the documented default.
type DatabaseArgs struct {
	Identifier            string // RDS instance identifier; default octabyte-<stack>
	EngineVersion         string // PostgreSQL major version; default 17 (minor upgrades are automatic)
	InstanceClass         string // default db.t3.micro
	AllocatedStorageGB    int    // gp3 storage; default 20
	MaxAllocatedStorageGB int    // storage autoscaling ceiling; default 100
	DBName                string // default octabyte
	Username              string // master user name; default octabyte
	MultiAZ               bool   // standby in a second AZ
	BackupRetentionDays   int    // 0 disables automated backups
	BackupWindow          string // UTC, hh24:mi-hh24:mi; default 19:00-20:00
	MaintenanceWindow     string // UTC, ddd:hh24:mi-ddd:hh24:mi; default sun:20:30-sun:21:30
	DeletionProtection    bool
	FinalSnapshot         bool // take a final snapshot, under a name new to each instance, when it is deleted
	// ApplyImmediately applies modifications now; false queues those RDS
	// can defer for the maintenance window (previews show them until then).
	ApplyImmediately bool
	// Protect sets Pulumi's protect on the instance: the engine refuses to
	// delete or replace it, and GuardReplacement refuses a config that would.
	Protect             bool
	SlowQueryMs         int  // log statements slower than this; default 500
	PerformanceInsights bool // 7-day free tier
	MonitoringInterval  int  // enhanced monitoring seconds (0 off, 1, 5, 10, 15, 30, 60)
	LogRetentionDays    int  // default 14
	AccountID           string

	VpcID     pulumi.StringInput
	SubnetIDs pulumi.StringArrayInput // private subnets, one per AZ
}

func (a DatabaseArgs) withDefaults(stack string) DatabaseArgs {
	def := func(s *string, v string) {
		if *s == "" {
			*s = v
		}
	}
	def(&a.Identifier, "octabyte-"+stack)
	def(&a.EngineVersion, "17")
	def(&a.InstanceClass, "db.t3.micro")
	def(&a.DBName, "octabyte")
	def(&a.Username, "octabyte")
	def(&a.BackupWindow, "19:00-20:00")
	def(&a.MaintenanceWindow, "sun:20:30-sun:21:30")
	if a.AllocatedStorageGB == 0 {
		a.AllocatedStorageGB = 20
	}
	if a.MaxAllocatedStorageGB == 0 {
		a.MaxAllocatedStorageGB = 100
	}
	if a.SlowQueryMs == 0 {
		a.SlowQueryMs = 500
	}
	if a.LogRetentionDays == 0 {
		a.LogRetentionDays = 14
	}
	return a
}

// Database is the RDS instance and what clients need to reach it.
type Database struct {
	pulumi.ResourceState

	Address         pulumi.StringOutput
	Port            pulumi.IntOutput
	DBName          string
	InstanceID      pulumi.StringOutput // DBInstanceIdentifier, the CloudWatch dimension
	InstanceClass   string
	SecretArn       pulumi.StringOutput // RDS-managed secret with JSON keys username, password
	SecurityGroupID pulumi.StringOutput // clients add their own ingress rule to it
	LogGroupNames   []pulumi.StringOutput
}

// NewDatabase creates the instance with its subnet group, security group,
// parameter group and log groups.
func NewDatabase(ctx *pulumi.Context, name string, args *DatabaseArgs, opts ...pulumi.ResourceOption) (*Database, error) {
	a := args.withDefaults(ctx.Stack())
	d := &Database{DBName: a.DBName, InstanceClass: a.InstanceClass}
	if err := ctx.RegisterComponentResource("octabyte:database:Database", name, d, opts...); err != nil {
		return nil, err
	}
	parent := pulumi.Parent(d)

	subnets, err := rds.NewSubnetGroup(ctx, "db", &rds.SubnetGroupArgs{
		Description: pulumi.String("Private subnets of the octabyte " + ctx.Stack() + " database"),
		SubnetIds:   a.SubnetIDs,
	}, parent)
	if err != nil {
		return nil, err
	}
	// No inline rules: the only ingress is added by the client (compute)
	// from its own security group, and RDS needs no egress.
	sg, err := ec2.NewSecurityGroup(ctx, "db", &ec2.SecurityGroupArgs{
		Description:         pulumi.String("octabyte " + ctx.Stack() + " PostgreSQL: ingress only from the app tasks"),
		VpcId:               a.VpcID,
		RevokeRulesOnDelete: pulumi.Bool(true),
	}, parent)
	if err != nil {
		return nil, err
	}
	d.SecurityGroupID = sg.ID().ToStringOutput()

	params, err := rds.NewParameterGroup(ctx, "db", &rds.ParameterGroupArgs{
		Family:      pulumi.String("postgres" + a.EngineVersion),
		Description: pulumi.String("octabyte " + ctx.Stack() + ": TLS required, slow queries logged"),
		Parameters: rds.ParameterGroupParameterArray{
			&rds.ParameterGroupParameterArgs{Name: pulumi.String("rds.force_ssl"), Value: pulumi.String("1")},
			&rds.ParameterGroupParameterArgs{Name: pulumi.String("log_min_duration_statement"), Value: pulumi.String(strconv.Itoa(a.SlowQueryMs))},
		},
	}, parent)
	if err != nil {
		return nil, err
	}

	// RDS creates missing log groups itself, with no expiry: create them
	// first, under the names RDS writes to.
	var logGroups []pulumi.Resource
	for _, log := range LogExports {
		g, err := cloudwatch.NewLogGroup(ctx, "db-"+log, &cloudwatch.LogGroupArgs{
			Name:            pulumi.String(fmt.Sprintf("/aws/rds/instance/%s/%s", a.Identifier, log)),
			RetentionInDays: pulumi.Int(a.LogRetentionDays),
		}, parent)
		if err != nil {
			return nil, err
		}
		logGroups = append(logGroups, g)
		d.LogGroupNames = append(d.LogGroupNames, g.Name)
	}

	var monitoringRole pulumi.StringPtrInput
	if a.MonitoringInterval > 0 {
		// The trust AWS documents: monitoring.rds.amazonaws.com, with
		// aws:SourceAccount against the confused deputy ("Setting up and
		// enabling Enhanced Monitoring", Amazon RDS User Guide). Its principal
		// is also the iam:PassedToService of rds:CreateDBInstance and
		// rds:ModifyDBInstance with a MonitoringRoleArn.
		role, err := iam.NewRole(ctx, "db-monitoring", &iam.RoleArgs{
			Description:       pulumi.String("RDS enhanced monitoring for octabyte " + ctx.Stack()),
			AssumeRolePolicy:  pulumi.String(policydoc.ServiceTrust(MonitoringPrincipal, a.AccountID, nil).JSON()),
			ManagedPolicyArns: pulumi.StringArray{pulumi.String("arn:aws:iam::aws:policy/service-role/AmazonRDSEnhancedMonitoringRole")},
		}, parent)
		if err != nil {
			return nil, err
		}
		monitoringRole = role.Arn
	}

	instanceArgs := &rds.InstanceArgs{
		Identifier:                   pulumi.String(a.Identifier),
		Engine:                       pulumi.String("postgres"),
		EngineVersion:                pulumi.String(a.EngineVersion),
		AutoMinorVersionUpgrade:      pulumi.Bool(true),
		InstanceClass:                pulumi.String(a.InstanceClass),
		StorageType:                  pulumi.String("gp3"),
		AllocatedStorage:             pulumi.Int(a.AllocatedStorageGB),
		MaxAllocatedStorage:          pulumi.Int(a.MaxAllocatedStorageGB),
		StorageEncrypted:             pulumi.Bool(true),
		DbName:                       pulumi.String(a.DBName),
		Username:                     pulumi.String(a.Username),
		ManageMasterUserPassword:     pulumi.Bool(true),
		Port:                         pulumi.Int(Port),
		MultiAz:                      pulumi.Bool(a.MultiAZ),
		PubliclyAccessible:           pulumi.Bool(false),
		DbSubnetGroupName:            subnets.Name,
		VpcSecurityGroupIds:          pulumi.StringArray{sg.ID()},
		ParameterGroupName:           params.Name,
		BackupRetentionPeriod:        pulumi.Int(a.BackupRetentionDays),
		BackupWindow:                 pulumi.String(a.BackupWindow),
		MaintenanceWindow:            pulumi.String(a.MaintenanceWindow),
		CopyTagsToSnapshot:           pulumi.Bool(true),
		DeletionProtection:           pulumi.Bool(a.DeletionProtection),
		SkipFinalSnapshot:            pulumi.Bool(!a.FinalSnapshot),
		EnabledCloudwatchLogsExports: pulumi.ToStringArray(LogExports),
		PerformanceInsightsEnabled:   pulumi.Bool(a.PerformanceInsights),
		MonitoringInterval:           pulumi.Int(a.MonitoringInterval),
		MonitoringRoleArn:            monitoringRole,
		ApplyImmediately:             pulumi.Bool(a.ApplyImmediately),
		// Unprotected stacks (staging) may take a major upgrade from config,
		// after GuardReplacement's warning; prod upgrades by the safe path.
		AllowMajorVersionUpgrade: pulumi.Bool(!a.Protect),
		Tags:                     pulumi.StringMap{StackTag: pulumi.String(stackTagValue(ctx))},
	}
	if a.FinalSnapshot {
		name, err := finalSnapshotName(ctx, a, parent)
		if err != nil {
			return nil, err
		}
		instanceArgs.FinalSnapshotIdentifier = name
	}
	if a.PerformanceInsights {
		instanceArgs.PerformanceInsightsRetentionPeriod = pulumi.Int(7) // the free tier
	}
	db, err := rds.NewInstance(ctx, "db", instanceArgs, parent, pulumi.DependsOn(logGroups), pulumi.Protect(a.Protect))
	if err != nil {
		return nil, err
	}
	d.Address = db.Address
	d.Port = db.Port
	d.InstanceID = db.Identifier
	d.SecretArn = db.MasterUserSecrets.Index(pulumi.Int(0)).SecretArn().Elem()

	return d, ctx.RegisterResourceOutputs(d, pulumi.Map{
		"identifier":      pulumi.String(a.Identifier),
		"address":         d.Address,
		"port":            d.Port,
		"dbName":          pulumi.String(d.DBName),
		"secretArn":       d.SecretArn,
		"securityGroupId": d.SecurityGroupID,
	})
}

// finalSnapshotName is <identifier>-final-<8 hex digits>. RDS refuses a
// final snapshot whose name exists (DBSnapshotAlreadyExists), and a final
// snapshot outlives its instance, so a fixed name breaks the second delete.
// The suffix is a random id kept in state, so ordinary previews show no diff.
// It is drawn anew when the random id is created (first deploy, a stack
// destroyed and created again, dbFinalSnapshot turned back on) and when a
// keeper changes. The keepers are dbName and username, the settings that
// replace the instance (see Changes): the replaced instance is deleted with
// the name in its state, its successor gets a new one. The identifier is a
// keeper too, although pulumi-aws v6 renames the instance in place; the name
// starts with it, so a rename changes the name with or without a new suffix.
func finalSnapshotName(ctx *pulumi.Context, a DatabaseArgs, parent pulumi.ResourceOption) (pulumi.StringOutput, error) {
	id, err := random.NewRandomId(ctx, "final-snapshot", &random.RandomIdArgs{
		ByteLength: pulumi.Int(4),
		Keepers: pulumi.StringMap{
			"identifier": pulumi.String(a.Identifier),
			"dbName":     pulumi.String(a.DBName),
			"username":   pulumi.String(a.Username),
		},
	}, parent)
	if err != nil {
		return pulumi.StringOutput{}, err
	}
	return pulumi.Sprintf("%s-final-%s", a.Identifier, id.Hex), nil
}
