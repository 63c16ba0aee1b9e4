// Package appmetrics is the infrastructure's copy of the app's CloudWatch
// Embedded Metric Format contract (app/metrics, a Go module of its own that
// this one cannot import): the names the dashboards query and the series
// the cost estimate prices. A root test fails if the two drift apart.
package appmetrics

import "slices"

// Namespace, metric and dimension names, as the app writes them.
const (
	Namespace      = "Octabyte/App"
	ServerErrors   = "ServerErrors" // Count: requests answered 5xx, health checks aside
	DBErrors       = "DBErrors"     // Count: failed database calls
	DimEnvironment = "Environment"
	DimRoute       = "Route"
	RouteOther     = "other" // the Route of a 5xx on a request outside Routes
)

// Routes are the Route values ServerErrors carries by name.
var Routes = []string{
	"GET /",
	"GET /api/v1/notes",
	"POST /api/v1/notes",
	"GET /api/v1/notes/{id}",
	"DELETE /api/v1/notes/{id}",
}

// Series lists every custom metric the app can create in one environment;
// CloudWatch bills each as one metric for every hour it is published.
func Series() []string {
	out := []string{DBErrors + "{" + DimEnvironment + "}"}
	for _, route := range slices.Concat(Routes, []string{RouteOther}) {
		out = append(out, ServerErrors+"{"+DimEnvironment+", "+DimRoute+"="+route+"}")
	}
	return out
}
