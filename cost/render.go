package cost

import (
	"fmt"
	"io"
	"sort"
	"strings"
)

// Groups returns the subtotal per group, sorted by group name.
func (e *Estimate) Groups() map[string]float64 {
	out := map[string]float64{}
	for _, l := range e.Lines {
		out[l.Group] = round(out[l.Group] + l.Monthly)
	}
	return out
}

// Render writes the estimate per group with its assumptions.
func (e *Estimate) Render(w io.Writer) {
	fmt.Fprintf(w, "Monthly cost estimate for %s in %s (USD, list prices as of %s):\n", e.Stack, e.Region, e.PricesAsOf)
	groups := e.Groups()
	for _, g := range sortedKeys(groups) {
		fmt.Fprintf(w, "  %-12s %9.2f\n", g, groups[g])
		for _, l := range e.Lines {
			if l.Group == g {
				fmt.Fprintf(w, "    %-40s %8.2f  %s\n", l.Item, l.Monthly, l.Detail)
			}
		}
	}
	fmt.Fprintf(w, "  %-12s %9.2f\n", "TOTAL", e.Total)
	a := e.Assumptions
	fmt.Fprintf(w, "  assumptions: %d requests, %d GB NAT traffic + %d GB image pulls, %d GB logs, %d GB access logs, %d app metrics per month\n",
		a.RequestsPerMonth, a.NATGBPerMonth, a.ImagePullGBPerMonth, a.LogGBPerMonth, a.AccessLogGBPerMonth, a.AppMetrics)
	for _, n := range e.Notes {
		fmt.Fprintf(w, "  note: %s\n", n)
	}
	if len(e.NotPriced) > 0 {
		fmt.Fprintf(w, "  not priced: %s\n", strings.Join(e.NotPriced, ", "))
	}
	fmt.Fprintf(w, "  no charge of their own: %d resource types\n", len(e.Free))
	renderLevers(w, e.Levers)
}

// Diff is a Markdown table of the change from base to head, per group.
func Diff(base, head *Estimate) string {
	var b strings.Builder
	fmt.Fprintf(&b, "### Monthly cost estimate: %s (%s)\n\n", head.Stack, head.Region)
	fmt.Fprintf(&b, "| group | base | this change | delta |\n|---|---:|---:|---:|\n")
	bg, hg := map[string]float64{}, head.Groups()
	baseTotal := 0.0
	if base != nil {
		bg, baseTotal = base.Groups(), base.Total
	}
	all := map[string]float64{}
	for k := range bg {
		all[k] = 0
	}
	for k := range hg {
		all[k] = 0
	}
	for _, g := range sortedKeys(all) {
		fmt.Fprintf(&b, "| %s | %.2f | %.2f | %s |\n", g, bg[g], hg[g], signed(hg[g]-bg[g]))
	}
	fmt.Fprintf(&b, "| **total** | **%.2f** | **%.2f** | **%s** |\n\n", baseTotal, head.Total, signed(head.Total-baseTotal))
	if base == nil {
		b.WriteString("The base commit has no estimate; every line counts as new.\n\n")
	}
	fmt.Fprintf(&b, "USD per month at list prices as of %s; assumptions and the per-resource lines are in `make plan STACK=%s`.\n", head.PricesAsOf, head.Stack)
	if len(head.NotPriced) > 0 {
		fmt.Fprintf(&b, "\nNot priced: %s\n", strings.Join(head.NotPriced, ", "))
	}
	b.WriteString(leversMarkdown(head.Levers))
	return b.String()
}

func signed(v float64) string {
	v = round(v)
	if v > 0 {
		return fmt.Sprintf("+%.2f", v)
	}
	return fmt.Sprintf("%.2f", v)
}

func sortedKeys(m map[string]float64) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
