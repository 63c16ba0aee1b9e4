// Command octabyte is the Pulumi program for the octabyte web service on
// AWS. Run by the Pulumi CLI it deploys a stack; run as `go run . plan` it
// shows the stack's full plan offline, with no AWS account.
package main

import (
	"os"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/octabyte/octabyte/config"
	"github.com/octabyte/octabyte/internal/cli"
	"github.com/octabyte/octabyte/network"
)

func main() {
	if len(os.Args) > 1 && os.Args[1] == "plan" {
		os.Exit(cli.Plan(os.Args[2:], run, os.Stdout, os.Stderr))
	}
	pulumi.Run(run)
}

// run is the whole stack: network, then database and compute, then monitoring.
func run(ctx *pulumi.Context) error {
	cfg, err := config.Load(ctx)
	if err != nil {
		return err
	}
	for _, w := range cfg.Warnings {
		ctx.Log.Warn(w, nil)
	}
	identity, err := aws.GetCallerIdentity(ctx, nil)
	if err != nil {
		return err
	}
	cfg.SetAccount(identity.AccountId)

	net, err := network.NewNetwork(ctx, "network", &cfg.Network)
	if err != nil {
		return err
	}

	ctx.Export("vpcId", net.VpcID)
	ctx.Export("publicSubnetIds", net.PublicSubnetIDs)
	ctx.Export("privateSubnetIds", net.PrivateSubnetIDs)
	return nil
}
