package cost

import (
	"fmt"
	"io"
	"sort"
	"strings"
)

// Lever is a config change that lowers a stack's bill, with what it trades
// away. The plan tries each one the stack does not use yet on a copy of the
// stack's config, and prices the result with the same tables.
type Lever struct {
	Key      string // octabyte:<Key>
	Value    string
	Tradeoff string
}

// Levers are every lever the estimate knows, in the order the README lists
// them. A lever whose config the stack refuses (a staging-only lever in
// production) is not offered.
var Levers = []Lever{
	{"natGateways", "instance", "one t4g.nano NAT instance instead of managed NAT gateways: no managed availability (non-production only)"},
	{"natGateways", "single", "one NAT gateway for all AZs: an AZ outage cuts the other AZ's egress"},
	{"sleepSchedule", "mon-fri 08:00-20:00", "database stopped and 0 tasks outside weekday working hours (set sleepTimeZone; non-production only)"},
	{"fargateSpot", "true", "tasks on Fargate Spot: interrupted with 2 minutes' notice"},
	{"cpuArchitecture", "ARM64", "Graviton tasks: the image must be built for arm64"},
	{"containerInsights", "false", "no per-task Container Insights metrics"},
	{"s3GatewayEndpoint", "true", "image layers through the free S3 gateway endpoint instead of NAT"},
	{"dbMultiAz", "false", "no synchronous standby: minutes of downtime when the database's AZ fails"},
	{"dbInstanceClass", "db.t4g.micro", "Graviton database instance of the same size"},
	{"logRetentionDays", "7", "logs kept a week"},
}

// LeverEffect is one lever priced for one stack.
type LeverEffect struct {
	Lever
	Monthly float64 `json:"monthly"` // change to the total; negative saves
}

// Setting is how the lever reads in a stack file.
func (l Lever) Setting() string { return fmt.Sprintf("%s: %s", l.Key, l.Value) }

// SortLevers orders levers by what they save, most first.
func SortLevers(levers []LeverEffect) {
	sort.SliceStable(levers, func(i, j int) bool { return levers[i].Monthly < levers[j].Monthly })
}

// renderLevers writes the levers a stack does not use yet.
func renderLevers(w io.Writer, levers []LeverEffect) {
	if len(levers) == 0 {
		return
	}
	fmt.Fprintln(w, "  ways to pay less (each alone, from this plan):")
	for _, l := range levers {
		fmt.Fprintf(w, "    %-40s %8s  %s\n", l.Setting(), signed(l.Monthly), l.Tradeoff)
	}
}

// leversMarkdown is the same list for a pull request comment.
func leversMarkdown(levers []LeverEffect) string {
	if len(levers) == 0 {
		return ""
	}
	var b strings.Builder
	b.WriteString("\nWays to pay less, not used by this stack yet:\n\n| setting | USD/month | trade-off |\n|---|---:|---|\n")
	for _, l := range levers {
		fmt.Fprintf(&b, "| `%s` | %s | %s |\n", l.Setting(), signed(l.Monthly), l.Tradeoff)
	}
	return b.String()
}
