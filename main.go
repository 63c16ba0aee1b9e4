// Command octabyte is the Pulumi program for the octabyte web service on
// AWS. Run by the Pulumi CLI it deploys a stack; run as `go run . plan` it
// shows the stack's full plan offline, with no AWS account; `go run . drift`
// sorts a preview's changes into pending maintenance and drift.
package main

import (
	"os"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/iam"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/octabyte/octabyte/compute"
	"github.com/octabyte/octabyte/config"
	"github.com/octabyte/octabyte/database"
	"github.com/octabyte/octabyte/internal/cli"
	"github.com/octabyte/octabyte/logging"
	"github.com/octabyte/octabyte/monitoring"
	"github.com/octabyte/octabyte/network"
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

// run is the whole stack: network, logging, database, compute, monitoring.
func run(ctx *pulumi.Context) error {
	cfg, err := config.Load(ctx)
	if err != nil {
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

	app := &cfg.Compute
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
	mon.ClusterName, mon.ClusterArn, mon.ServiceName, mon.ExpectedTasks = web.ClusterName, web.ClusterArn, web.ServiceName, web.RunningTasks
	mon.AlbArnSuffix, mon.TargetGroupArnSuffix = web.AlbArnSuffix, web.TargetGroupArnSuffix
	mon.DBInstanceID, mon.AppLogGroupName = db.InstanceID, logs.AppLogGroupName
	watch, err := monitoring.NewMonitoring(ctx, "monitoring", mon)
	if err != nil {
		return err
	}

	ctx.Export("appImage", pulumi.String(cfg.Compute.Image)) // the deployed image; CI copies it back into config
	ctx.Export("albUrl", web.URL)
	ctx.Export("albDnsName", web.AlbDNSName)
	ctx.Export("ecrRepositoryUrl", web.RepositoryURL)
	ctx.Export("clusterName", web.ClusterName)
	ctx.Export("serviceName", web.ServiceName)
	ctx.Export("appLogGroupName", logs.AppLogGroupName)
	ctx.Export("dbAddress", db.Address)
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

// scopeRoles puts every IAM role of the stack under one path with the
// permissions boundary, the only roles the CI deploy roles may manage.
func scopeRoles(path, boundary string) pulumi.ResourceTransformation {
	return func(args *pulumi.ResourceTransformationArgs) *pulumi.ResourceTransformationResult {
		role, ok := args.Props.(*iam.RoleArgs)
		if !ok {
			return nil
		}
		role.Path = pulumi.String(path)
		if boundary != "" {
			role.PermissionsBoundary = pulumi.String(boundary)
		}
		return &pulumi.ResourceTransformationResult{Props: role, Opts: args.Opts}
	}
}
