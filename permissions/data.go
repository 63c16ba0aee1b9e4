package permissions

import (
	"bytes"
	"embed"
	"encoding/json"
	"fmt"
	"path"
	"sort"

	"gopkg.in/yaml.v3"
)

// Phase is one kind of operation on a resource.
type Phase string

const (
	Create Phase = "create"
	Read   Phase = "read"
	Update Phase = "update"
	Delete Phase = "delete"
)

// Phases is every phase, in the order a resource lives them.
var Phases = []Phase{Create, Read, Update, Delete}

//go:embed actions.yaml managed/*.json
var files embed.FS

// Actions is permissions/actions.yaml: what each resource type's operations
// call, with where each entry comes from.
type Actions struct {
	Sources map[string]string `yaml:"sources"`
	Program Entry             `yaml:"program"`
	Backend Backend           `yaml:"backend"`
	Types   map[string]Entry  `yaml:"types"`
}

// Entry is the calls of one resource type (or of the program itself).
type Entry struct {
	Sources           []string `yaml:"sources"`
	Children          []string `yaml:"children"`
	Target            string   `yaml:"target"`
	Calls             `yaml:",inline"`
	When              []Conditional      `yaml:"when"`
	PassRole          []PassRole         `yaml:"passRole"`
	ServiceLinkedRole *ServiceLinkedRole `yaml:"serviceLinkedRole"`
}

// Calls are the actions of each phase.
type Calls struct {
	Create []string `yaml:"create"`
	Read   []string `yaml:"read"`
	Update []string `yaml:"update"`
	Delete []string `yaml:"delete"`
}

// Of returns the actions of one phase.
func (c Calls) Of(p Phase) []string {
	switch p {
	case Create:
		return c.Create
	case Read:
		return c.Read
	case Update:
		return c.Update
	case Delete:
		return c.Delete
	}
	return nil
}

// Conditional calls are made only when the input is set, or with Prefix,
// only when it (or one of its elements) starts with Prefix.
type Conditional struct {
	Input             string `yaml:"input"`
	Prefix            string `yaml:"prefix"`
	Calls             `yaml:",inline"`
	ServiceLinkedRole *ServiceLinkedRole `yaml:"serviceLinkedRole"`
}

// PassRole is a role the create and update hand to a service.
type PassRole struct {
	Input   string `yaml:"input"`
	Via     string `yaml:"via"` // set: Input names a resource whose input Via names the role (an instance profile's role)
	Service string `yaml:"service"`
	Source  string `yaml:"source"`
}

// ServiceLinkedRole is the role a service creates the first time it is used
// in an account.
type ServiceLinkedRole struct {
	Service string `yaml:"service"`
	Role    string `yaml:"role"`
	Source  string `yaml:"source"`
}

// Backend is what the state backend's objects and key need.
type Backend struct {
	Sources []string      `yaml:"sources"`
	Read    []BackendCall `yaml:"read"`
	Write   []BackendCall `yaml:"write"`
}

// BackendCall acts on a state object (Object, relative to the bucket; ""
// for the bucket itself) or, for kms: actions, on the secrets key (Via "s3"
// when S3 calls KMS for an object's encryption).
type BackendCall struct {
	Action string `yaml:"action"`
	Object string `yaml:"object"`
	Via    string `yaml:"via"`
}

// LoadActions reads the embedded actions.yaml.
func LoadActions() (*Actions, error) {
	raw, err := files.ReadFile("actions.yaml")
	if err != nil {
		return nil, err
	}
	return parseActions(raw)
}

// parseActions refuses keys it does not know: a misspelt phase would
// otherwise drop its actions unnoticed.
func parseActions(raw []byte) (*Actions, error) {
	var a Actions
	dec := yaml.NewDecoder(bytes.NewReader(raw))
	dec.KnownFields(true)
	if err := dec.Decode(&a); err != nil {
		return nil, fmt.Errorf("permissions/actions.yaml: %w", err)
	}
	return &a, nil
}

// AllActions lists every action the data names, sorted.
func (a *Actions) AllActions() []string {
	seen := map[string]bool{}
	add := func(calls Calls) {
		for _, p := range Phases {
			for _, action := range calls.Of(p) {
				seen[action] = true
			}
		}
	}
	add(a.Program.Calls)
	for _, e := range a.Types {
		add(e.Calls)
		for _, c := range e.When {
			add(c.Calls)
		}
	}
	for _, c := range append(a.Backend.Read, a.Backend.Write...) {
		seen[c.Action] = true
	}
	out := make([]string, 0, len(seen))
	for action := range seen {
		out = append(out, action)
	}
	sort.Strings(out)
	return out
}

// ManagedPolicy is the published document of an AWS managed policy, with
// where and when it was read.
type ManagedPolicy struct {
	Name           string          `json:"name"`
	ARN            string          `json:"arn"`
	VersionID      string          `json:"versionId"`
	VersionCreated string          `json:"versionCreated"`
	Source         string          `json:"source"`
	Retrieved      string          `json:"retrieved"`
	Document       json.RawMessage `json:"document"`
}

// LoadManaged reads the recorded document of the AWS managed policy with
// this ARN (arn:<partition>:iam::aws:policy/<name>).
func LoadManaged(arn string) (*ManagedPolicy, error) {
	name := path.Base(arn)
	raw, err := files.ReadFile("managed/" + name + ".json")
	if err != nil {
		return nil, fmt.Errorf("no recorded document for the AWS managed policy %s: add permissions/managed/%s.json from its published version", arn, name)
	}
	var m ManagedPolicy
	if err := json.Unmarshal(raw, &m); err != nil {
		return nil, fmt.Errorf("permissions/managed/%s.json: %w", name, err)
	}
	return &m, nil
}
