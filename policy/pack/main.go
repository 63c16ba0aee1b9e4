// Command pack is the guardrails as a Pulumi policy pack, for
// `pulumi preview --policy-pack policy/pack` where the Pulumi CLI runs (CI).
// The policies are in package policy.
package main

import (
	"fmt"
	"os"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi/policyx"

	"github.com/octabyte/octabyte/policy"
)

func main() {
	if err := policyx.Main(func(*pulumi.Context) (policyx.PolicyPack, error) { return policy.Pack() }); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
