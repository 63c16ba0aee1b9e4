package config

import "github.com/octabyte/octabyte/cost"

// readCost reads the usage the cost estimate assumes.
func readCost(r *reader) cost.Assumptions {
	d := cost.DefaultAssumptions
	return cost.Assumptions{
		RequestsPerMonth:    r.integer("costRequestsPerMonth", d.RequestsPerMonth, "Cost estimate: HTTP requests per month through the ALB", 0, 1_000_000_000_000),
		NATGBPerMonth:       r.integer("costNatGbPerMonth", d.NATGBPerMonth, "Cost estimate: GB per month of outbound traffic through NAT, besides image pulls", 0, 1_000_000),
		ImagePullGBPerMonth: r.integer("costImagePullGbPerMonth", d.ImagePullGBPerMonth, "Cost estimate: GB per month of ECR image layers pulled by tasks", 0, 1_000_000),
		LogGBPerMonth:       r.integer("costLogGbPerMonth", d.LogGBPerMonth, "Cost estimate: GB per month ingested into CloudWatch Logs", 0, 1_000_000),
		AccessLogGBPerMonth: r.integer("costAccessLogGbPerMonth", d.AccessLogGBPerMonth, "Cost estimate: GB per month of ALB access logs", 0, 1_000_000),
		AppMetrics:          r.integer("costAppMetrics", d.AppMetrics, "Cost estimate: custom metrics the app creates (the plan lists them)", 0, 100_000),
	}
}
