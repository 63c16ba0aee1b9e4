package guardrails

import (
	"encoding/json"

	"github.com/octabyte/octabyte/config"
	"github.com/octabyte/octabyte/plan"
)

// FromPlan describes an offline plan to the rules.
func FromPlan(p *plan.Plan) *Stack {
	s := &Stack{DefaultTags: map[string]string{}, Production: config.IsProduction(p.Stack)}
	var tags struct {
		Tags map[string]string `json:"tags"`
	}
	if json.Unmarshal([]byte(p.Config["aws:defaultTags"]), &tags) == nil && tags.Tags != nil {
		s.DefaultTags = tags.Tags
	}
	for _, r := range p.Resources {
		s.Resources = append(s.Resources, Resource{Type: r.Type, Name: r.Name, URN: r.URN, Parent: r.Parent, Inputs: r.Inputs, Outputs: r.Outputs, Deps: r.PropertyDeps})
	}
	return s
}
