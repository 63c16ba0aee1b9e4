package config

import (
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/octabyte/octabyte/compute"
	"github.com/octabyte/octabyte/database"
	"github.com/octabyte/octabyte/logging"
)

func readLogging(r *reader, retention int, forceDestroy bool) logging.LoggingArgs {
	l := logging.LoggingArgs{
		RetentionDays:       retention,
		AccessLogIADays:     r.integer("accessLogTransitionDays", 30, "Days before ALB access logs move to S3 Standard-IA (30 is S3's minimum)", 30, 3650),
		AccessLogExpireDays: r.integer("accessLogExpireDays", 90, "Days before ALB access logs are deleted", 31, 3650),
		ForceDestroy:        forceDestroy,
	}
	if l.AccessLogExpireDays <= l.AccessLogIADays {
		r.fail("accessLogExpireDays", fmt.Sprint(l.AccessLogExpireDays), "must be later than octabyte:accessLogTransitionDays (%d)", l.AccessLogIADays)
	}
	return l
}

var (
	instanceClassPattern = regexp.MustCompile(`^db\.[a-z0-9]+\.[a-z0-9]+$`)
	windowPattern        = regexp.MustCompile(`^([01]\d|2[0-3]):[0-5]\d-([01]\d|2[0-3]):[0-5]\d$`)
	maintenancePattern   = regexp.MustCompile(`^(mon|tue|wed|thu|fri|sat|sun):([01]\d|2[0-3]):[0-5]\d-(mon|tue|wed|thu|fri|sat|sun):([01]\d|2[0-3]):[0-5]\d$`)
	identifierPattern    = regexp.MustCompile(`^[a-z][a-z0-9]*(-[a-z0-9]+)*$`)
	dbNamePattern        = regexp.MustCompile(`^[a-z][a-z0-9_]{0,62}$`)
)

// PostgresMajorVersions are the majors RDS offers that this stack supports.
var PostgresMajorVersions = []string{"14", "15", "16", "17"}

// MonitoringIntervals are the enhanced-monitoring intervals RDS accepts.
var MonitoringIntervals = []int{0, 1, 5, 10, 15, 30, 60}

func readDatabase(r *reader, stack string, retention int) database.DatabaseArgs {
	d := database.DatabaseArgs{
		Identifier:            "octabyte-" + stack,
		EngineVersion:         r.str("dbEngineVersion", "17", "PostgreSQL major version (minor versions upgrade automatically)", PostgresMajorVersions...),
		InstanceClass:         r.str("dbInstanceClass", "db.t3.micro", "RDS instance class"),
		AllocatedStorageGB:    r.integer("dbAllocatedStorageGb", 20, "Initial gp3 storage in GiB", 20, 65536),
		MaxAllocatedStorageGB: r.integer("dbMaxAllocatedStorageGb", 100, "Storage autoscaling ceiling in GiB", 20, 65536),
		DBName:                r.str("dbName", "octabyte", "Name of the application database"),
		Username:              r.str("dbUsername", "octabyte", "Master user name (its password is generated and kept by RDS in Secrets Manager)"),
		MultiAZ:               r.boolean("dbMultiAz", false, "Synchronous standby in a second AZ (doubles the instance cost)"),
		BackupRetentionDays:   r.integer("dbBackupRetentionDays", 1, "Days of automated backups (0 disables them)", 0, 35),
		BackupWindow:          r.str("dbBackupWindow", "19:00-20:00", "Daily backup window, UTC hh:mm-hh:mm (19:00 UTC is 00:30 in India)"),
		MaintenanceWindow:     r.str("dbMaintenanceWindow", "sun:20:30-sun:21:30", "Weekly maintenance window, UTC ddd:hh:mm-ddd:hh:mm"),
		DeletionProtection:    r.boolean("dbDeletionProtection", false, "Refuse to delete the database"),
		ApplyImmediately: r.boolean("dbApplyImmediately", true,
			"Apply database changes now (true) or in the maintenance window (false: previews show them until then; the drift check reports them as pending maintenance)"),
		FinalSnapshot:       r.boolean("dbFinalSnapshot", false, "Take a final snapshot when the database is deleted"),
		SlowQueryMs:         r.integer("dbSlowQueryMs", 500, "Log statements slower than this many milliseconds (log_min_duration_statement)", 1, 3600000),
		PerformanceInsights: r.boolean("dbPerformanceInsights", true, "Performance Insights / Database Insights standard mode (7 days free)"),
		MonitoringInterval:  r.oneOf("dbMonitoringInterval", 0, "Enhanced monitoring interval in seconds (0 turns it off)", MonitoringIntervals),
		LogRetentionDays:    retention,
	}
	if !instanceClassPattern.MatchString(d.InstanceClass) {
		r.fail("dbInstanceClass", d.InstanceClass, "must look like db.<family>.<size>, e.g. db.t3.micro")
	}
	// Storage autoscaling needs room above the allocated storage: RDS
	// rejects a MaxAllocatedStorage equal to AllocatedStorage.
	if d.MaxAllocatedStorageGB <= d.AllocatedStorageGB {
		r.fail("dbMaxAllocatedStorageGb", fmt.Sprint(d.MaxAllocatedStorageGB), "must be greater than octabyte:dbAllocatedStorageGb (%d)", d.AllocatedStorageGB)
	}
	backupOK, maintenanceOK := windowPattern.MatchString(d.BackupWindow), maintenancePattern.MatchString(d.MaintenanceWindow)
	if !backupOK {
		r.fail("dbBackupWindow", d.BackupWindow, "must be hh:mm-hh:mm in UTC, e.g. 19:00-20:00")
	}
	if !maintenanceOK {
		r.fail("dbMaintenanceWindow", d.MaintenanceWindow, "must be ddd:hh:mm-ddd:hh:mm in UTC, e.g. sun:20:30-sun:21:30")
	}
	if backupOK && maintenanceOK {
		checkWindows(r, d.BackupWindow, d.MaintenanceWindow)
	}
	if !dbNamePattern.MatchString(d.DBName) {
		r.fail("dbName", d.DBName, "must start with a letter and hold only lowercase letters, digits and _ (at most 63)")
	}
	if !dbNamePattern.MatchString(d.Username) || slices.Contains([]string{"postgres", "rdsadmin", "admin"}, d.Username) {
		r.fail("dbUsername", d.Username, "must start with a letter, hold only lowercase letters, digits and _, and not be a reserved name")
	}
	if !identifierPattern.MatchString(d.Identifier) || len(d.Identifier) > 63 {
		r.errs = append(r.errs, fmt.Errorf("stack name %q gives the database identifier %q: use lowercase letters, digits and single hyphens", stack, d.Identifier))
	}
	return d
}

// FargateMemory lists the memory sizes (MiB) Fargate offers per CPU size.
var FargateMemory = map[int][]int{
	256:   {512, 1024, 2048},
	512:   steps(1024, 4096, 1024),
	1024:  steps(2048, 8192, 1024),
	2048:  steps(4096, 16384, 1024),
	4096:  steps(8192, 30720, 1024),
	8192:  steps(16384, 61440, 4096),
	16384: steps(32768, 122880, 8192),
}

func steps(from, to, by int) []int {
	var out []int
	for v := from; v <= to; v += by {
		out = append(out, v)
	}
	return out
}

var tagPattern = regexp.MustCompile(`^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$`)

func readCompute(r *reader, c *Config) compute.ComputeArgs {
	a := compute.ComputeArgs{
		Region:       c.Region,
		Image:        r.str("appImage", "", "App image in this stack's ECR repository: sha256:<digest> (preferred) or a tag; empty: no ECS service yet"),
		DesiredCount: r.integer("desiredCount", 1, "Number of app tasks", 1, 100),
		CPU:          r.integer("cpu", 256, "Task CPU units (256 = 0.25 vCPU)", 256, 16384),
		Memory:       r.integer("memory", 512, "Task memory in MiB (must be a size Fargate offers for the CPU)", 512, 122880),
		Architecture: compute.Architecture(r.str("cpuArchitecture", string(compute.ARM64),
			"Task CPU architecture: ARM64 (Graviton, ~20% cheaper) or X86_64", string(compute.ARM64), string(compute.X8664))),
		FargateSpot:             r.boolean("fargateSpot", false, "Run tasks on Fargate Spot (X86_64 or ARM64 on platform 1.4.0, the LATEST a service gets): about 70% cheaper, may be interrupted with 2 minutes' notice"),
		ContainerInsights:       r.boolean("containerInsights", false, "ECS Container Insights (per-task metrics, billed as custom metrics)"),
		EnableExecuteCommand:    r.boolean("enableExecuteCommand", false, "Allow ECS Exec into running tasks"),
		KeepImages:              r.integer("ecrKeepImages", 20, "Release images ECR keeps; older ones expire", 1, 1000),
		HealthCheckGraceSeconds: r.integer("healthCheckGraceSeconds", 60, "Seconds ECS ignores ALB health checks after a task starts", 0, 3600),
		DeletionProtection:      r.boolean("albDeletionProtection", false, "Refuse to delete the load balancer"),
		Autoscaling: compute.AutoscalingArgs{
			Enabled:           r.boolean("autoscaling", false, "Target-tracking autoscaling on CPU and requests per task"),
			Min:               r.integer("autoscalingMin", 1, "Fewest tasks when autoscaling", 1, 100),
			Max:               r.integer("autoscalingMax", 4, "Most tasks when autoscaling", 1, 100),
			CPUTargetPercent:  r.integer("autoscalingCpuPercent", 60, "Average CPU the scaler aims for", 10, 90),
			RequestsPerTarget: r.integer("autoscalingRequestsPerTask", 1000, "ALB requests per task per minute the scaler aims for", 10, 100000),
		},
		Database: compute.DatabaseEndpoint{
			Port:    database.Port,
			Name:    c.Database.DBName,
			SSLMode: r.str("dbSslMode", "require", "How the app verifies the database's TLS (libpq sslmode)", "require", "verify-full"),
		},
	}
	switch {
	case a.Image == "":
	case strings.HasPrefix(a.Image, "sha256:"):
		if !compute.DigestPattern.MatchString(a.Image) {
			r.fail("appImage", a.Image, "a digest must be sha256: followed by 64 hex digits")
		}
	case !tagPattern.MatchString(a.Image):
		r.fail("appImage", a.Image, "must be sha256:<64 hex digits> or an image tag ([A-Za-z0-9_.-], at most 128)")
	}
	if mem, ok := FargateMemory[a.CPU]; !ok {
		r.fail("cpu", fmt.Sprint(a.CPU), "must be one of 256, 512, 1024, 2048, 4096, 8192, 16384")
	} else if !slices.Contains(mem, a.Memory) {
		r.fail("memory", fmt.Sprint(a.Memory), "Fargate offers %s MiB with cpu %d", joinInts(mem), a.CPU)
	}
	if s := a.Autoscaling; s.Enabled && s.Min > s.Max {
		r.fail("autoscalingMin", fmt.Sprint(s.Min), "must not exceed octabyte:autoscalingMax (%d)", s.Max)
	}
	return a
}
