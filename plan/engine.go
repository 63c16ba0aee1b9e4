// Package plan runs the Pulumi program against Pulumi's mock engine and
// records what it would register: the offline plan. Tests, the guardrails,
// the cost estimate and the `plan` command all read the same recording, so
// they all see exactly what `pulumi up` would send to AWS.
package plan

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi/internals"
	"gopkg.in/yaml.v3"
)

// Project is the Pulumi project name from Pulumi.yaml.
const Project = "octabyte"

// Resource is one registered resource as the engine saw it.
type Resource struct {
	Type      string         // type token, e.g. aws:ec2/securityGroup:SecurityGroup
	Name      string         // logical name
	URN       string         //
	Parent    string         // parent URN; empty for the stack's direct children
	Custom    bool           // false for component resources
	Inputs    map[string]any // inputs sent to the provider, JSON-like; Unknown where only apply can tell
	Outputs   map[string]any // inputs plus the attributes the mock computed (Unknown in preview mode)
	DependsOn []string       // explicit and implicit dependencies (URNs)
	// PropertyDeps are, per top-level input, the resources its value was
	// computed from: what ties an unknown input to its source at preview.
	PropertyDeps  map[string][]string `json:",omitempty"`
	Protect       bool
	IgnoreChanges []string `json:",omitempty"` // inputs a later update leaves as deployed
	// DeleteBeforeReplace: a replacement deletes the old resource first
	// (needed when a fixed name cannot exist twice).
	DeleteBeforeReplace bool `json:",omitempty"`
	// Transforms are the transforms declared on the resource. The engine
	// runs them on every child, a remote component's too; the mock engine
	// runs none, so tests apply them to the children they expect.
	Transforms []pulumi.ResourceTransform `json:"-"`
}

// Input returns the input at a dotted path ("healthCheck.path"), or nil.
func (r Resource) Input(path string) any { return Lookup(r.Inputs, path) }

// Refers reports whether the reference input at path (an id, name or ARN,
// or a list of them) names target's attr, tracing values unknown at preview
// to their source resource (see Refs).
func (r Resource) Refers(path string, target Resource, attr string) bool {
	top, _, _ := strings.Cut(path, ".")
	refs, _ := Refs(r.Input(path), r.PropertyDeps[top], target.Type)
	return slices.Contains(refs, SelfRef(target.Outputs[attr], target.URN))
}

// Plan is everything one run of the program registered.
type Plan struct {
	Stack     string
	Mode      Mode
	Config    map[string]string
	Resources []Resource     // in registration order
	Outputs   map[string]any // stack exports, resolved; Unknown in preview mode where only apply can tell
	byURN     map[string]int
}

// Mode is how the engine answers: as after an apply, or as a first preview.
type Mode int

const (
	// Apply gives every resource plausible computed attributes (ids, ARNs,
	// DNS names), as a stack looks once deployed.
	Apply Mode = iota
	// Preview is a first `pulumi preview` of an empty stack: config and
	// literal inputs are known; everything a provider computes, and every
	// value derived from it, is Unknown, and ApplyT callbacks over them
	// never run.
	Preview
)

func (m Mode) String() string {
	if m == Preview {
		return "preview"
	}
	return "apply"
}

// Run executes program under the mock engine with the given stack config
// (keys in "namespace:key" form, values as Pulumi passes them).
func Run(program pulumi.RunFunc, stack string, config map[string]string) (*Plan, error) {
	return RunProject(Project, Apply, program, stack, config)
}

// RunProject is Run for any Pulumi project of this repository (bootstrap/)
// in either mode, in an empty account.
func RunProject(project string, mode Mode, program pulumi.RunFunc, stack string, config map[string]string) (*Plan, error) {
	return RunDeployed(Deployed{}, project, mode, program, stack, config)
}

// Deployed is what an earlier `pulumi up` left in the account: the program's
// data sources find it, as they do on a second deploy. Zero is an empty
// account, a first deploy.
type Deployed struct {
	// DBInstances are RDS instances as aws:rds/getInstance returns them
	// (dbInstanceIdentifier, dbName, masterUsername, engineVersion, tags).
	DBInstances []map[string]any
}

// RunDeployed is RunProject in an account that already holds deployed.
func RunDeployed(deployed Deployed, project string, mode Mode, program pulumi.RunFunc, stack string, config map[string]string) (*Plan, error) {
	m := newMocks(project, stack, config, mode)
	m.deployed = deployed
	p := &Plan{Stack: stack, Mode: mode, Config: config, Outputs: map[string]any{}, byURN: map[string]int{}}
	var exports map[string]pulumi.Input
	wrapped := func(ctx *pulumi.Context) error {
		if mode == Apply {
			if err := m.readAwsxChildren(ctx); err != nil {
				return err
			}
		}
		if err := program(ctx); err != nil {
			return err
		}
		exports = ctx.GetCurrentExportMap()
		return nil
	}
	err := pulumi.RunErr(wrapped, pulumi.WithMocks(project, stack, m), func(info *pulumi.RunInfo) {
		// Inside a real `pulumi up` (the budget prices the stack offline)
		// the environment names the real engine: never dial it from here.
		info.MonitorAddr, info.EngineAddr = "", ""
		info.Config = config
		// A dry run leaves unknowns unknown; Apply runs ApplyT callbacks on
		// the mock's computed values.
		info.DryRun = mode == Preview
	})
	// The run is over, so every export is resolved or known to be unknown.
	var unknown []string
	for name, value := range exports {
		res, awaitErr := internals.UnsafeAwaitOutput(context.Background(), pulumi.ToOutput(value))
		if awaitErr != nil {
			return p, fmt.Errorf("export %s: %w", name, awaitErr)
		}
		if !res.Known {
			unknown = append(unknown, name)
			continue
		}
		p.Outputs[name] = res.Value
	}
	p.Outputs = jsonLike(p.Outputs)
	for _, name := range unknown {
		p.Outputs[name] = Unknown{}
	}
	p.Resources = m.recorded()
	for i, r := range p.Resources {
		p.byURN[r.URN] = i
	}
	for i, r := range p.Resources {
		if _, ok := p.byURN[r.Parent]; !ok {
			p.Resources[i].Parent = "" // the stack itself is not recorded
		}
	}
	return p, err
}

// LoadStackConfig reads Pulumi.<stack>.yaml from dir into the flat
// "namespace:key" → string form the engine passes to a program.
func LoadStackConfig(dir, stack string) (map[string]string, error) {
	return LoadProjectStackConfig(dir, Project, stack)
}

// LoadProjectStackConfig is LoadStackConfig for another project, whose
// un-namespaced keys belong to that project's namespace.
func LoadProjectStackConfig(dir, project, stack string) (map[string]string, error) {
	path := filepath.Join(dir, "Pulumi."+stack+".yaml")
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("stack %q: %w", stack, err)
	}
	var file struct {
		Config map[string]any `yaml:"config"`
	}
	if err := yaml.Unmarshal(raw, &file); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	out := make(map[string]string, len(file.Config))
	for key, value := range file.Config {
		if !strings.Contains(key, ":") {
			key = project + ":" + key
		}
		s, err := configString(value)
		if err != nil {
			return nil, fmt.Errorf("%s: %s: %w", path, key, err)
		}
		out[key] = s
	}
	return out, nil
}

// configString encodes a YAML value the way the Pulumi CLI hands it to a
// program: strings as they are, everything else as JSON.
func configString(v any) (string, error) {
	if s, ok := v.(string); ok {
		return s, nil
	}
	if m, ok := v.(map[string]any); ok {
		if _, secure := m["secure"]; secure && len(m) == 1 {
			return "", fmt.Errorf("encrypted values cannot be read offline; this project keeps no secrets in config")
		}
	}
	b, err := json.Marshal(v)
	return string(b), err
}

// jsonLike turns Go-typed output values ([]string, int) into the same
// JSON-like shapes resource inputs have, so the two compare directly.
func jsonLike(m map[string]any) map[string]any {
	b, err := json.Marshal(m)
	if err != nil {
		return m
	}
	var out map[string]any
	if json.Unmarshal(b, &out) != nil {
		return m
	}
	return out
}

// ByType returns the resources of one type token, in registration order.
func (p *Plan) ByType(typ string) []Resource {
	var out []Resource
	for _, r := range p.Resources {
		if r.Type == typ {
			out = append(out, r)
		}
	}
	return out
}

// Find returns the resource with this type and logical name.
func (p *Plan) Find(typ, name string) (Resource, bool) {
	for _, r := range p.Resources {
		if r.Type == typ && r.Name == name {
			return r, true
		}
	}
	return Resource{}, false
}

// ByURN returns the resource with this URN.
func (p *Plan) ByURN(urn string) (Resource, bool) {
	i, ok := p.byURN[urn]
	if !ok {
		return Resource{}, false
	}
	return p.Resources[i], true
}

// Children returns the resources whose parent is urn ("" for the stack).
func (p *Plan) Children(urn string) []Resource {
	var out []Resource
	for _, r := range p.Resources {
		if r.Parent == urn {
			out = append(out, r)
		}
	}
	return out
}

// Ancestor returns the nearest component ancestor of r with the given type.
func (p *Plan) Ancestor(r Resource, typ string) (Resource, bool) {
	for parent, ok := p.ByURN(r.Parent); ok; parent, ok = p.ByURN(parent.Parent) {
		if parent.Type == typ {
			return parent, true
		}
	}
	return Resource{}, false
}

// DependsOn reports whether r depends, directly or transitively, on dep.
func (p *Plan) DependsOn(r Resource, dep string) bool {
	seen := map[string]bool{}
	var walk func(urns []string) bool
	walk = func(urns []string) bool {
		for _, u := range urns {
			if u == dep {
				return true
			}
			if seen[u] {
				continue
			}
			seen[u] = true
			if d, ok := p.ByURN(u); ok && walk(d.DependsOn) {
				return true
			}
		}
		return false
	}
	return walk(r.DependsOn)
}

// Lookup returns the value at a dotted path ("healthCheck.path") of a
// JSON-like map, or nil; Unknown when the path runs through an unknown value.
func Lookup(m map[string]any, path string) any {
	var cur any = m
	for _, part := range strings.Split(path, ".") {
		if _, unknown := cur.(Unknown); unknown {
			return cur
		}
		obj, ok := cur.(map[string]any)
		if !ok {
			return nil
		}
		cur = obj[part]
	}
	return cur
}

// Plain converts engine property values to the JSON-like Go values the
// plan records (the policy pack uses it on the real engine's values).
func Plain(pm resource.PropertyMap) map[string]any { return plain(pm) }

// plain converts engine property values to JSON-like Go values.
func plain(pm resource.PropertyMap) map[string]any {
	out := make(map[string]any, len(pm))
	for k, v := range pm {
		out[string(k)] = plainValue(v)
	}
	return out
}

func plainValue(v resource.PropertyValue) any {
	switch {
	case v.IsSecret():
		return plainValue(v.SecretValue().Element)
	case v.IsComputed(), v.IsOutput() && !v.OutputValue().Known:
		return Unknown{}
	case v.IsOutput():
		return plainValue(v.OutputValue().Element)
	case v.IsArray():
		arr := v.ArrayValue()
		out := make([]any, len(arr))
		for i, e := range arr {
			out[i] = plainValue(e)
		}
		return out
	case v.IsObject():
		return plain(v.ObjectValue())
	case v.IsResourceReference():
		return v.ResourceReferenceValue().URN
	default:
		return v.Mappable()
	}
}
