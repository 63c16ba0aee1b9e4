// Package config reads every stack setting into one typed struct and
// validates all of it before the program registers a single resource.
package config

import (
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"math"
	"net/netip"
	"os"
	"regexp"
	"slices"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	pulumiconfig "github.com/pulumi/pulumi/sdk/v3/go/pulumi/config"

	"github.com/octabyte/octabyte/bootstrap/workload"
	"github.com/octabyte/octabyte/compute"
	"github.com/octabyte/octabyte/cost"
	"github.com/octabyte/octabyte/database"
	"github.com/octabyte/octabyte/dns"
	"github.com/octabyte/octabyte/logging"
	"github.com/octabyte/octabyte/monitoring"
	"github.com/octabyte/octabyte/network"
	"github.com/octabyte/octabyte/sleep"
)

// Namespace is the project's config namespace (the Pulumi project name).
const Namespace = "octabyte"

// LogRetentionDays are the retention periods CloudWatch Logs accepts.
var LogRetentionDays = []int{1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653}

// ProductionStacks are the stack names treated as production: stricter
// guardrails, and no staging-only cost levers.
var ProductionStacks = []string{"prod", "production"}

// IsProduction reports whether stack is a production stack.
func IsProduction(stack string) bool { return slices.Contains(ProductionStacks, stack) }

// RequiredTags must be in aws:defaultTags so every taggable resource says
// which project, environment and owner it belongs to.
var RequiredTags = []string{"Project", "Environment", "Owner"}

// Config is every setting of one stack.
type Config struct {
	Stack string
	// Production stacks (ProductionStacks) refuse to deploy
	// alarms that reach nobody and warn when they serve plain HTTP.
	Production  bool
	Region      string
	DefaultTags map[string]string
	// LogRetentionDays applies to every log group of the stack.
	LogRetentionDays int

	Network    network.NetworkArgs
	Logging    logging.LoggingArgs
	Database   database.DatabaseArgs
	Compute    compute.ComputeArgs
	Domain     dns.DomainArgs // Name empty: the service has no domain of its own
	Monitoring monitoring.MonitoringArgs
	Cost       cost.Assumptions // usage the cost estimate assumes
	// Sleep is when the stack is awake; nil when it never sleeps.
	Sleep *sleep.Window
	// Budget is the monthly cost budget: the plan's estimate plus a margin.
	Budget Budget

	// AppCommit is the git commit appImage was built from: the deploy
	// workflow sets both and refuses to deploy an older commit over it.
	AppCommit string

	// IAMPath is set on every IAM role of the stack, with the permissions
	// boundary RoleBoundary derives from IAMBoundary (the config value):
	// the CI deploy roles (bootstrap/) may only manage roles under this
	// path that carry their boundary.
	IAMPath     string
	IAMBoundary string

	// PrivateEndpoints: the tasks reach AWS through VPC endpoints and have
	// no internet egress.
	PrivateEndpoints bool

	// Warnings are valid but noteworthy settings, shown by the plan and
	// logged by the program.
	Warnings []string
}

// Load reads the running stack's config. Every key the stack sets is
// checked, so a misspelt one is an error rather than a setting that never
// takes effect: the Pulumi CLI hands a Go program the whole stack config as
// JSON in PULUMI_CONFIG (what pulumi.Run itself reads). Under the mock
// engine that variable is unset; the offline plan checks the stack file's
// keys itself.
func Load(ctx *pulumi.Context) (*Config, error) {
	var all map[string]string
	if raw := os.Getenv(pulumi.EnvConfig); raw != "" {
		if err := json.Unmarshal([]byte(raw), &all); err != nil {
			return nil, fmt.Errorf("%s: %w", pulumi.EnvConfig, err)
		}
	}
	return Parse(ctx.Stack(), getter(ctx), slices.Collect(maps.Keys(all))...)
}

func getter(ctx *pulumi.Context) func(string) (string, bool) {
	return func(key string) (string, bool) {
		v, err := pulumiconfig.Try(ctx, key)
		return v, err == nil
	}
}

// Raw is the running stack's config in the form Pulumi passes it
// ("namespace:key" → value): every key the program reads that is set. An
// offline run of the program (the budget's estimate) takes it.
func Raw(ctx *pulumi.Context) map[string]string {
	get := getter(ctx)
	out := map[string]string{}
	keys := []string{"aws:region", "aws:defaultTags"}
	for _, k := range Schema() {
		keys = append(keys, Namespace+":"+k.Name)
	}
	for _, k := range keys {
		if v, ok := get(k); ok {
			out[k] = v
		}
	}
	return out
}

// Parse builds a Config from raw values ("namespace:key" → string, as
// Pulumi passes them). keys are the keys the stack sets, when known: one in
// the octabyte namespace that no setting reads is an error. It returns
// every problem found, joined.
func Parse(stack string, get func(key string) (string, bool), keys ...string) (*Config, error) {
	r := &reader{get: get}
	c := read(r, stack)
	r.unknownKeys(keys)
	if len(r.errs) > 0 {
		return nil, fmt.Errorf("invalid config for stack %q:\n%w", stack, errors.Join(r.errs...))
	}
	return c, nil
}

// Schema lists every project config key with its type, default and
// description: what Pulumi.yaml must declare.
func Schema() []Key {
	r := &reader{get: func(string) (string, bool) { return "", false }}
	read(r, "schema")
	return r.keys
}

var boundaryPattern = regexp.MustCompile(`^arn:aws[a-z-]*:iam::\d{12}:policy/[\w+=,.@/-]+$`)

var commitPattern = regexp.MustCompile(`^[0-9a-f]{40}$`)

var regionPattern = regexp.MustCompile(`^[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-\d$`)

func read(r *reader, stack string) *Config {
	c := &Config{Stack: stack, Production: IsProduction(stack)}
	c.Region, c.DefaultTags = readProvider(r)
	c.LogRetentionDays = r.oneOf("logRetentionDays", 14, "Retention in days of every CloudWatch log group of the stack", LogRetentionDays)
	c.Network = readNetwork(r, stack, c.LogRetentionDays)
	c.Network.Region = c.Region
	forceDestroy := r.boolean("forceDestroy", true, "Let `pulumi destroy` delete non-empty buckets and repositories (disposable stacks only)")
	protect := r.boolean("protectResources", false,
		"Pulumi protect on the database, the image repository and the access-log bucket: no delete or replacement until lifted (prod)")
	c.Logging = readLogging(r, c.LogRetentionDays, forceDestroy)
	c.Logging.Region, c.Logging.Protect = c.Region, protect
	c.Database = readDatabase(r, stack, c.LogRetentionDays)
	c.Database.Protect = protect
	c.Compute = readCompute(r, c)
	c.Compute.ForceDelete, c.Compute.ProtectRepository = forceDestroy, protect
	c.AppCommit = r.str("appCommit", "", "Git commit (40 hex digits) appImage was built from; set by the deploy workflow, which never deploys an older commit over it")
	switch {
	case c.AppCommit == "":
	case !commitPattern.MatchString(c.AppCommit):
		r.fail("appCommit", c.AppCommit, "must be a full git commit SHA (40 lowercase hex digits)")
	case c.Compute.Image == "":
		r.fail("appCommit", c.AppCommit, "names the commit of octabyte:appImage, which is not set")
	}
	c.Domain = readDomain(r, c)
	c.PrivateEndpoints = readPrivateEndpoints(r, c)
	c.Monitoring = readMonitoring(r, c)
	c.Cost = readCost(r)
	c.Budget = Budget{
		Enabled:       r.boolean("budget", true, "A monthly AWS Budgets cost budget for the stack's Environment tag, notifying the alarm topic on actual and forecast spend"),
		MarginPercent: r.integer("budgetMarginPercent", 20, "The budget is the plan's monthly estimate plus this percent", 0, 1000),
	}
	c.Monitoring.Budget.TagKey, c.Monitoring.Budget.TagValue = "Environment", c.DefaultTags["Environment"]
	if c.Sleep = readSleep(r, stack); c.Sleep != nil {
		c.Cost.AwakeFraction, c.Cost.DatabaseAwakeFraction = c.Sleep.AwakeFraction(), c.Sleep.DatabaseAwakeFraction()
		c.Compute.ScheduledDesiredCount = true
		c.Monitoring.ScheduledActions = true
	}
	c.IAMPath = workload.RolePath(Namespace, stack)
	c.IAMBoundary = r.str("iamPermissionsBoundaryArn", "", "Permissions boundary on every IAM role: empty for the bootstrap's (what its deploy roles require), another policy ARN, or none")
	if c.IAMBoundary != "" && c.IAMBoundary != NoBoundary && !boundaryPattern.MatchString(c.IAMBoundary) {
		r.fail("iamPermissionsBoundaryArn", c.IAMBoundary, "must be empty (the bootstrap's boundary), an IAM policy ARN (arn:aws:iam::<account>:policy/...) or %q", NoBoundary)
	}
	c.Warnings = warnings(c)
	return c
}

// warnings are valid settings that deserve a second look.
func warnings(c *Config) []string {
	var w []string
	if c.Compute.Image == "" {
		w = append(w, compute.NoImageNotice)
	}
	if c.Database.DeletionProtection && !c.Database.FinalSnapshot {
		w = append(w, "octabyte:dbFinalSnapshot is false: deleting the database (after lifting protection) keeps no final snapshot")
	}
	if c.Production && c.Domain.Name == "" && c.Domain.CertificateArn == "" {
		w = append(w, noHTTPSNotice(c.Stack))
	}
	if notice := backupWhileAsleep(c.Sleep, c.Database.BackupWindow); notice != "" {
		w = append(w, notice)
	}
	if !c.Monitoring.NotifiesSomebody() {
		notice := "alarms reach nobody: " + monitoring.NoDestinationNotice
		if c.Production {
			notice += ". `pulumi up` refuses to deploy " + c.Stack + " until one is set (previews and the offline plan go ahead)"
		}
		w = append(w, notice)
	}
	return w
}

// Budget says whether the stack has a cost budget and how far above the
// estimate it is set.
type Budget struct {
	Enabled       bool
	MarginPercent int
}

// Limit is the budget for a monthly estimate: the estimate plus the margin,
// rounded up to the dollar.
func (b Budget) Limit(estimate float64) float64 {
	return math.Ceil(estimate * (1 + float64(b.MarginPercent)/100))
}

// DeployError is why `pulumi up` must not go ahead, or nil: a production
// stack's alarms must reach somebody. Only a real deployment is refused
// (deploying: not a preview, not the mock engine), so a fork's first
// preview and the offline plan still show everything, with the warning.
func (c *Config) DeployError(deploying bool) error {
	if deploying && c.Production && !c.Monitoring.NotifiesSomebody() {
		return fmt.Errorf("stack %s is production and its alarms reach nobody: %s", c.Stack, monitoring.NoDestinationNotice)
	}
	return nil
}

// NoBoundary as octabyte:iamPermissionsBoundaryArn creates roles without a
// permissions boundary (for accounts deployed without the bootstrap's roles).
const NoBoundary = "none"

// RoleBoundary is the permissions boundary ARN every role of the stack
// carries in this account: by default the bootstrap's, which its deploy
// roles require; "" when the config says none.
func (c *Config) RoleBoundary(partition, account string) string {
	switch c.IAMBoundary {
	case "":
		return workload.BoundaryARN(partition, account, Namespace)
	case NoBoundary:
		return ""
	}
	return c.IAMBoundary
}

// SetAccount records the deploying account, which trust policies name.
func (c *Config) SetAccount(id string) {
	c.Network.AccountID = id
	c.Logging.AccountID = id
	c.Database.AccountID = id
	c.Compute.AccountID = id
	c.Monitoring.AccountID = id
}

// Provider validates the aws: keys every stack (and bootstrap/) must set:
// a region, and default tags that name the project, environment and owner.
func Provider(get func(key string) (string, bool)) (region string, tags map[string]string, errs []error) {
	region, ok := get("aws:region")
	if !ok || !regionPattern.MatchString(region) {
		errs = append(errs, fmt.Errorf("aws:region = %q: must be set to an AWS region such as ap-south-1", region))
	}
	raw, _ := get("aws:defaultTags")
	var dt struct {
		Tags map[string]string `json:"tags"`
	}
	if err := json.Unmarshal([]byte(raw), &dt); err != nil && raw != "" {
		errs = append(errs, fmt.Errorf("aws:defaultTags = %q: must be {tags: {Key: value, ...}}", raw))
	}
	var missing []string
	for _, k := range RequiredTags {
		if strings.TrimSpace(dt.Tags[k]) == "" {
			missing = append(missing, k)
		}
	}
	if len(missing) > 0 {
		errs = append(errs, fmt.Errorf("aws:defaultTags: tags %s are required (every taggable resource carries them)", strings.Join(missing, ", ")))
	}
	return region, dt.Tags, errs
}

func readProvider(r *reader) (string, map[string]string) {
	region, tags, errs := Provider(r.get)
	r.errs = append(r.errs, errs...)
	return region, tags
}

func readNetwork(r *reader, stack string, retention int) network.NetworkArgs {
	n := network.NetworkArgs{
		CIDR:    r.str("vpcCidr", "10.0.0.0/16", "Private IPv4 CIDR block of the VPC, /16 or /17 (/18 fits 2 AZs only): awsx gives each AZ an equal block holding a /24 public and a /20 private subnet"),
		AZCount: r.integer("azCount", 2, "Availability zones; each gets one public and one private subnet", 2, 3),
		NAT: network.NATStrategy(r.str("natGateways", string(network.NATSingle),
			"Outbound NAT: single (one NAT gateway), onePerAz (no cross-AZ dependency) or instance (one t4g.nano NAT instance, non-production only)",
			string(network.NATSingle), string(network.NATOnePerAZ), string(network.NATInstance))),
		FlowLogRetentionDays: retention,
		S3GatewayEndpoint:    r.boolean("s3GatewayEndpoint", true, "Free S3 gateway endpoint, so ECR image layers do not pay the NAT gateway's per-GB charge"),
	}
	if err := checkCIDR(n.CIDR, n.AZCount); err != nil {
		r.fail("vpcCidr", n.CIDR, "%s", err)
	}
	if n.NAT == network.NATInstance && IsProduction(stack) {
		r.fail("natGateways", string(n.NAT), "a NAT instance has no managed availability: production stacks use single or onePerAz")
	}
	return n
}

// readPrivateEndpoints gives the network an interface endpoint for each AWS
// service the tasks use (ECS Exec's too, when it is on).
func readPrivateEndpoints(r *reader, c *Config) bool {
	on := r.boolean("privateEndpoints", false,
		"Tasks reach ECR, CloudWatch Logs and Secrets Manager through interface endpoints and get no internet egress (each endpoint is billed per AZ-hour)")
	if !on {
		return false
	}
	c.Network.InterfaceEndpoints = slices.Clone(compute.EndpointServices)
	if c.Compute.EnableExecuteCommand {
		c.Network.InterfaceEndpoints = append(c.Network.InterfaceEndpoints, compute.ExecEndpointService)
	}
	if !c.Network.S3GatewayEndpoint {
		r.fail("s3GatewayEndpoint", "false", "must be true when octabyte:privateEndpoints is true: ECR serves image layers from S3, which tasks without internet egress reach only through the gateway endpoint")
	}
	return true
}

// checkCIDR accepts a private IPv4 block in which awsx can allocate the
// subnet layout (network.SubnetLayout models its allocator).
func checkCIDR(cidr string, azs int) error {
	prefix, err := netip.ParsePrefix(cidr)
	if err != nil || !prefix.Addr().Is4() {
		return fmt.Errorf("must be an IPv4 CIDR block such as 10.0.0.0/16")
	}
	if prefix.Masked() != prefix {
		return fmt.Errorf("has host bits set; did you mean %s?", prefix.Masked())
	}
	private := []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("172.16.0.0/12"), netip.MustParsePrefix("192.168.0.0/16")}
	if !slices.ContainsFunc(private, func(p netip.Prefix) bool { return p.Contains(prefix.Addr()) }) {
		return fmt.Errorf("must be in a private range (10.0.0.0/8, 172.16.0.0/12, 192.168.0.0/16)")
	}
	// AWS allows VPC blocks from /16 to /28.
	if prefix.Bits() < 16 {
		return fmt.Errorf("must be /16 or smaller (AWS's largest VPC block)")
	}
	if prefix.Bits() > 28 {
		return fmt.Errorf("must be /28 or larger (AWS's smallest VPC block)")
	}
	if _, err := network.SubnetLayout(cidr, azs); err != nil {
		return fmt.Errorf("is too small for %d AZs: %s; use a /16 or /17", azs, err)
	}
	return nil
}
