package guardrails

import (
	"encoding/json"

	"github.com/octabyte/octabyte/plan"
)

// ProductionStacks get the stricter data-protection rules.
var ProductionStacks = []string{"prod", "production"}

// FromPlan describes an offline plan to the rules.
func FromPlan(p *plan.Plan) *Stack {
	s := &Stack{DefaultTags: map[string]string{}}
	for _, name := range ProductionStacks {
		s.Production = s.Production || p.Stack == name
	}
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
