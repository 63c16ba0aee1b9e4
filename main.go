// Command octabyte is the Pulumi program for the octabyte web service on
// AWS. Run by the Pulumi CLI it deploys a stack; run as `go run . plan` it
// shows the stack's full plan offline, with no AWS account; `go run . drift`
// sorts a preview's changes into pending maintenance and drift.
package main

import (
	"fmt"
	"os"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/iam"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/octabyte/octabyte/compute"
	"github.com/octabyte/octabyte/config"
	"github.com/octabyte/octabyte/database"
	"github.com/octabyte/octabyte/dns"
	"github.com/octabyte/octabyte/internal/cli"
	"github.com/octabyte/octabyte/logging"
	"github.com/octabyte/octabyte/monitoring"
	"github.com/octabyte/octabyte/network"
	"github.com/octabyte/octabyte/sleep"
)

func main() {
	if len(os.Args) > 1 {
		switch os.Args[1] {
		case "plan":
			os.Exit(cli.Plan(os.Args[2:], run, os.Stdout, os.Stderr))
		case "drift": // the drift check: pending maintenance or drift?
			os.Exit(cli.Drift(os.Args[2:], os.Stdout, os.Stderr))
		}
	}
	pulumi.Run(run)
}

// run is the whole stack: the domain, network, logging, database, compute,
// monitoring.
func run(ctx *pulumi.Context) error {
	cfg, err := config.Load(ctx)
	if err != nil {
		return err
	}
	if err := cfg.DeployError(!ctx.DryRun() && !ctx.RunningWithMocks()); err != nil {
		return err
	}
	// Before anything is registered: a config that would replace the
	// database is refused in protected stacks, warned in others.
	replacing, err := database.GuardReplacement(ctx, &cfg.Database)
	if err != nil {
		return err
	}
	for _, w := range append(cfg.Warnings, replacing...) { // e.g. no image yet: the service runs 0 tasks
		if err := ctx.Log.Warn(w, nil); err != nil {
			return err
		}
	}
	identity, err := aws.GetCallerIdentity(ctx, nil)
	if err != nil {
		return err
	}
	partition, err := aws.GetPartition(ctx, nil)
	if err != nil {
		return err
	}
	cfg.SetAccount(identity.AccountId)
	boundary := cfg.RoleBoundary(partition.Partition, identity.AccountId)
	if err := ctx.RegisterStackTransformation(scopeRoles(cfg.IAMPath, boundary)); err != nil {
		return err
	}

	// The domain comes first: a hosted zone that does not serve the name
	// fails the run before anything is created.
	app := &cfg.Compute
	if cfg.Domain.Name != "" {
		domain, err := dns.NewDomain(ctx, "domain", &cfg.Domain)
		if err != nil {
			return fmt.Errorf("octabyte:domainName %s: %w", cfg.Domain.Name, err)
		}
		app.Certificate, app.DomainName, app.HostedZoneID = domain.CertificateArn, domain.Name, domain.ZoneID
	}

	net, err := network.NewNetwork(ctx, "network", &cfg.Network)
	if err != nil {
		return err
	}
	logs, err := logging.NewLogging(ctx, "logging", &cfg.Logging)
	if err != nil {
		return err
	}

	cfg.Database.VpcID, cfg.Database.SubnetIDs = net.VpcID, net.PrivateSubnetIDs
	db, err := database.NewDatabase(ctx, "database", &cfg.Database)
	if err != nil {
		return err
	}

	app.VpcID, app.PublicSubnetIDs, app.PrivateSubnetIDs = net.VpcID, net.PublicSubnetIDs, net.PrivateSubnetIDs
	app.AppLogGroupName, app.AppLogGroupArn, app.AccessLogBucket = logs.AppLogGroupName, logs.AppLogGroupArn, logs.AccessLogBucket
	app.Database.Address, app.Database.SecretArn, app.Database.SecurityGroupID = db.Address, db.SecretArn, db.SecurityGroupID
	if cfg.PrivateEndpoints {
		app.Endpoints = &compute.VPCEndpoints{SecurityGroupID: net.EndpointSecurityGroupID, S3PrefixListID: net.S3PrefixListID}
	}
	web, err := compute.NewCompute(ctx, "compute", app)
	if err != nil {
		return err
	}

	mon := &cfg.Monitoring
	if cfg.Budget.Enabled {
		if mon.Budget.LimitUSD, err = budgetLimit(ctx, cfg); err != nil {
			return err
		}
	}
	mon.ClusterName, mon.ClusterArn, mon.ServiceName, mon.ExpectedTasks = web.ClusterName, web.ClusterArn, web.ServiceName, web.RunningTasks
	mon.AlbArnSuffix, mon.TargetGroupArnSuffix = web.AlbArnSuffix, web.TargetGroupArnSuffix
	mon.DBInstanceID, mon.AppLogGroupName = db.InstanceID, logs.AppLogGroupName
	if cfg.Network.NAT == network.NATInstance {
		mon.NATInstanceID = net.NATInstanceID
	}
	mon.NATGateways, mon.NATGatewayIDs = net.NATGateways, net.NATGatewayIDs
	watch, err := monitoring.NewMonitoring(ctx, "monitoring", mon)
	if err != nil {
		return err
	}

	if cfg.Sleep != nil {
		nights, err := sleep.NewSchedule(ctx, "sleep", &sleep.ScheduleArgs{
			Window: *cfg.Sleep, Region: cfg.Region, AccountID: identity.AccountId,
			DBInstanceID: db.InstanceID, ClusterName: web.ClusterName, ServiceName: web.ServiceName,
			AwakeTasks: web.RunningTasks, AlarmNames: watch.ActiveAlarmNames,
		})
		if err != nil {
			return err
		}
		ctx.Export("sleepScheduleGroup", nights.GroupName) // the deploy wakes a stack that has one
	}

	// The deployed image and its commit; CI copies both back into config and
	// never deploys an older commit over appCommit.
	ctx.Export("appImage", pulumi.String(cfg.Compute.Image))
	ctx.Export("appCommit", pulumi.String(cfg.AppCommit))
	ctx.Export("awakeDesiredCount", pulumi.Int(web.RunningTasks)) // what a sleeping stack's service runs once woken
	ctx.Export("url", web.URL)
	ctx.Export("albUrl", web.URL)
	ctx.Export("albDnsName", web.AlbDNSName)
	ctx.Export("ecrRepositoryUrl", web.RepositoryURL)
	ctx.Export("clusterName", web.ClusterName)
	ctx.Export("serviceName", web.ServiceName)
	ctx.Export("appLogGroupName", logs.AppLogGroupName)
	ctx.Export("dbAddress", db.Address)
	ctx.Export("dbInstanceId", db.InstanceID)
	ctx.Export("dbSecretArn", db.SecretArn)
	ctx.Export("vpcId", net.VpcID)
	ctx.Export("privateSubnetIds", net.PrivateSubnetIDs)
	ctx.Export("publicSubnetIds", net.PublicSubnetIDs)
	ctx.Export("alarmTopicArn", watch.AlarmTopicArn)
	ctx.Export("ecsEventsLogGroupName", watch.EcsEventsLogGroupName)
	ctx.Export("infrastructureDashboardName", watch.InfrastructureDashboardName)
	ctx.Export("infrastructureDashboardUrl", watch.InfrastructureDashboardURL)
	ctx.Export("applicationDashboardName", watch.ApplicationDashboardName)
	ctx.Export("applicationDashboardUrl", watch.ApplicationDashboardURL)
	return nil
}

// budgetLimit is the plan's own monthly estimate plus the margin: the
// program prices itself offline, running once more under the mock engine
// (a fraction of a second); cli.Price leaves the budget out, so this does
// not recurse.
func budgetLimit(ctx *pulumi.Context, cfg *config.Config) (float64, error) {
	estimate, err := cli.Price(run, ctx.Stack(), config.Raw(ctx))
	if err != nil {
		return 0, fmt.Errorf("pricing the stack for its budget: %w", err)
	}
	return cfg.Budget.Limit(estimate.Total), nil
}

// scopeRoles puts every IAM role and instance profile of the stack under one
// path, roles with the permissions boundary: the only ones the CI deploy
// roles may manage.
func scopeRoles(path, boundary string) pulumi.ResourceTransformation {
	return func(args *pulumi.ResourceTransformationArgs) *pulumi.ResourceTransformationResult {
		switch props := args.Props.(type) {
		case *iam.RoleArgs:
			props.Path = pulumi.String(path)
			if boundary != "" {
				props.PermissionsBoundary = pulumi.String(boundary)
			}
		case *iam.InstanceProfileArgs:
			props.Path = pulumi.String(path)
		default:
			return nil
		}
		return &pulumi.ResourceTransformationResult{Props: args.Props, Opts: args.Opts}
	}
}
