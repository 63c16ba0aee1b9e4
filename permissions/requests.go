package permissions

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"

	"github.com/octabyte/octabyte/plan"
)

// request is one authorization AWS makes during an operation, in the shape
// the simulator reads.
type request struct {
	ID             int             `json:"id"`
	Identity       string          `json:"identity"` // the role's logical name in the bootstrap
	Action         string          `json:"action"`
	Resource       string          `json:"resource"` // the acting resource's ARN; the simulator builds one when it does not fit the action
	Name           string          `json:"name"`     // fills the variable parts of a built ARN
	Partition      string          `json:"partition"`
	Region         string          `json:"region"`
	Account        string          `json:"account"`
	Context        map[string]any  `json:"context"`
	ResourcePolicy json.RawMessage `json:"resourcePolicy,omitempty"`

	needs []Need // every reason the request is made
}

// Need says which part of the plan makes a request.
type Need struct {
	Phase    string `json:"phase"`    // create, read, update, delete, or state
	Type     string `json:"type"`     // resource type, or "state backend" and "program"
	Resource string `json:"resource"` // logical name, or the state object
}

// stateBackend is the bootstrap's state bucket and secrets key.
type stateBackend struct {
	bucket, bucketARN, keyARN string
	bucketPolicy, keyPolicy   json.RawMessage
}

func (s *Setup) stateBackend() (*stateBackend, error) {
	buckets := s.Bootstrap.ByType("aws:s3/bucketV2:BucketV2")
	keys := s.Bootstrap.ByType("aws:kms/key:Key")
	policies := s.Bootstrap.ByType("aws:s3/bucketPolicy:BucketPolicy")
	if len(buckets) != 1 || len(keys) != 1 || len(policies) != 1 {
		return nil, fmt.Errorf("the bootstrap should register one state bucket, its policy and one secrets key; found %d, %d and %d", len(buckets), len(policies), len(keys))
	}
	return &stateBackend{
		bucket: str(buckets[0].Outputs["bucket"]), bucketARN: str(buckets[0].Outputs["arn"]),
		keyARN:       str(keys[0].Outputs["arn"]),
		bucketPolicy: json.RawMessage(str(policies[0].Input("policy"))),
		keyPolicy:    json.RawMessage(str(keys[0].Input("policy"))),
	}, nil
}

// builder turns a plan into the requests each job makes.
type builder struct {
	setup   *Setup
	plan    *plan.Plan
	backend *stateBackend
	job     job
	out     []*request
	index   map[string]*request // deduplicates identical requests

	jobs    map[string][]*request // each job's requests
	unknown map[string][]Need     // each job's resources of types actions.yaml does not describe
}

// build makes every job's requests and returns the distinct ones, numbered:
// jobs that assume the same role (preview and drift) share their answers.
func (b *builder) build(jobs []job) []*request {
	b.jobs, b.unknown = map[string][]*request{}, map[string][]Need{}
	var distinct []*request
	ids := map[string]int{}
	for _, j := range jobs {
		if j.identity == nil {
			continue
		}
		b.jobs[j.Name] = b.requests(j)
		for _, r := range b.jobs[j.Name] {
			k := key(r)
			id, seen := ids[k]
			if !seen {
				id = len(distinct)
				ids[k] = id
				distinct = append(distinct, r)
			}
			r.ID = id
		}
	}
	return distinct
}

// subject is the resource a call acts on.
type subject struct {
	arn, name string
	tags      map[string]string
	boundary  string          // an IAM role's permissions boundary
	policy    json.RawMessage // its resource policy (key, bucket or topic policy)
}

func (b *builder) requests(j job) []*request {
	b.job, b.out, b.index = j, nil, map[string]*request{}
	for _, action := range b.setup.Actions.Program.Read {
		b.add(action, subject{}, nil, Need{Phase: string(Read), Type: "program", Resource: "every run"}, existing)
	}
	b.stateRequests()
	for _, r := range b.plan.Resources {
		b.resourceRequests(r)
	}
	return b.out
}

// stateRequests read the stack's state, and write it for jobs that do.
func (b *builder) stateRequests() {
	calls := b.setup.Actions.Backend.Read
	if b.job.Writes {
		calls = append(append([]BackendCall{}, calls...), b.setup.Actions.Backend.Write...)
	}
	be := b.backend
	fill := strings.NewReplacer("{project}", plan.Project, "{stack}", b.plan.Stack)
	for _, c := range calls {
		need := Need{Phase: "state", Type: "state backend"}
		sub := subject{arn: be.bucketARN, name: be.bucket}
		policy := be.bucketPolicy
		ctx := map[string]any{}
		switch {
		case strings.HasPrefix(c.Action, "kms:"):
			sub, policy, need.Resource = subject{arn: be.keyARN, name: "secrets"}, be.keyPolicy, "secrets key"
			if c.Via == "s3" {
				ctx["kms:ViaService"] = "s3." + b.region() + ".amazonaws.com"
				need.Resource = "secrets key, through S3"
			}
		case c.Object != "":
			object := fill.Replace(c.Object)
			sub.arn += "/" + object
			need.Resource = object
		default:
			need.Resource = be.bucket
		}
		sub.policy = policy
		b.add(c.Action, sub, ctx, need, existing)
	}
}

func (b *builder) resourceRequests(r plan.Resource) {
	entry, known := b.setup.Actions.Types[r.Type]
	if !known {
		if !r.Custom && strings.HasPrefix(r.Type, plan.Project+":") {
			return // this program's own components make no calls
		}
		b.unknown[b.job.Name] = append(b.unknown[b.job.Name], Need{Phase: "any", Type: r.Type, Resource: r.Name})
		return
	}
	self := b.subjectOf(r)
	if entry.Target != "" {
		self = b.find(str(r.Input(entry.Target)))
	}
	b.entryRequests(r, entry, self)
}

// entryRequests are the calls of one type's entry (and of its children) on a
// resource, for every phase the job runs.
func (b *builder) entryRequests(r plan.Resource, entry Entry, self subject) {
	var when []Conditional
	linkedRoles := []*ServiceLinkedRole{entry.ServiceLinkedRole}
	for _, c := range entry.When {
		if c.applies(r.Input(c.Input)) {
			when = append(when, c)
			linkedRoles = append(linkedRoles, c.ServiceLinkedRole)
		}
	}
	for _, phase := range b.job.Phases {
		need := Need{Phase: string(phase), Type: r.Type, Resource: r.Name}
		calls := append([]string{}, entry.Of(phase)...)
		for _, c := range when {
			calls = append(calls, c.Of(phase)...)
		}
		for i, action := range calls {
			tags := existing
			switch {
			case phase == Create && i == 0 && entry.Target == "": // a target exists already
				tags = creating
			case phase == Create || phase == Update:
				tags = retagging
			}
			b.add(action, self, nil, need, tags)
		}
		if phase == Create || phase == Update {
			b.passRoles(r, entry, need)
		}
		for _, slr := range linkedRoles {
			if phase == Create && slr != nil {
				arn := fmt.Sprintf("arn:%s:iam::%s:role/aws-service-role/%s/%s", b.partition(), plan.AccountID, slr.Service, slr.Role)
				b.add("iam:CreateServiceLinkedRole", subject{arn: arn, name: slr.Role}, map[string]any{"iam:AWSServiceName": slr.Service}, need, creating)
			}
		}
	}
	for _, child := range entry.Children {
		if e, ok := b.setup.Actions.Types[child]; ok {
			b.entryRequests(plan.Resource{Type: child, Name: r.Name + " (" + child + ")", Inputs: r.Inputs}, e, self)
		} else {
			b.unknown[b.job.Name] = append(b.unknown[b.job.Name], Need{Phase: "any", Type: child, Resource: r.Name})
		}
	}
}

// passRoles are the iam:PassRole checks a create or update makes for every
// role input that is set.
func (b *builder) passRoles(r plan.Resource, entry Entry, need Need) {
	for _, pr := range entry.PassRole {
		arn := str(r.Input(pr.Input))
		if pr.Via != "" { // the input names a resource (an instance profile) whose input names the role
			if holder, ok := b.named(arn); ok {
				arn = str(holder.Input(pr.Via))
			}
		}
		if arn == "" {
			continue
		}
		role := b.find(arn)
		b.add("iam:PassRole", role, map[string]any{"iam:PassedToService": pr.Service}, need, existing)
	}
}

// tagMode says which tags a request carries: a create call sends the new
// resource's tags (aws:RequestTag); a call on an existing resource sees its
// tags (aws:ResourceTag), and during a create or update may send them again.
type tagMode int

const (
	existing  tagMode = iota // acts on a tagged resource
	creating                 // creates the resource with these tags
	retagging                // acts on a tagged resource and may send its tags
)

// add records a request, or one more need of an identical request.
func (b *builder) add(action string, sub subject, extra map[string]any, need Need, tags tagMode) {
	ctx := map[string]any{
		"aws:PrincipalArn":     b.job.identity.ARN,
		"aws:PrincipalAccount": plan.AccountID,
		"aws:RequestedRegion":  b.region(),
		"aws:SecureTransport":  "true",
	}
	if tags != creating {
		for k, v := range sub.tags {
			ctx["aws:ResourceTag/"+k] = v
		}
	}
	if tags != existing {
		requestTags(sub.tags, ctx)
	}
	if sub.boundary != "" {
		ctx["iam:PermissionsBoundary"] = sub.boundary
	}
	for k, v := range extra {
		ctx[k] = v
	}
	req := &request{
		Identity: b.job.identity.Logical, Action: action, Resource: sub.arn, Name: sub.name,
		Partition: b.partition(), Region: b.region(), Account: plan.AccountID, Context: ctx, ResourcePolicy: sub.policy,
	}
	k := key(req)
	if prev, ok := b.index[k]; ok {
		prev.needs = append(prev.needs, need)
		return
	}
	req.needs = []Need{need}
	b.index[k] = req
	b.out = append(b.out, req)
}

// requestTags puts the tags a request sends into ctx.
func requestTags(tags map[string]string, ctx map[string]any) {
	keys := make([]string, 0, len(tags))
	for k, v := range tags {
		ctx["aws:RequestTag/"+k] = v
		keys = append(keys, k)
	}
	sort.Strings(keys)
	if len(keys) > 0 {
		ctx["aws:TagKeys"] = keys
	}
}

func key(r *request) string {
	b, _ := json.Marshal([]any{r.Identity, r.Action, r.Resource, r.Name, r.Context, r.ResourcePolicy})
	return string(b)
}

// subjectOf describes a resource of the plan as the calls on it see it.
func (b *builder) subjectOf(r plan.Resource) subject {
	name := str(r.Outputs["name"])
	if bucket := str(r.Outputs["bucket"]); bucket != "" {
		name = bucket
	}
	if name == "" {
		name = r.Name
	}
	return subject{arn: str(r.Outputs["arn"]), name: name, tags: b.tags(r), boundary: str(r.Input("permissionsBoundary")), policy: b.policyOf(r)}
}

// policyOf is the resource policy AWS evaluates with calls on r: a KMS key's
// key policy (which must allow every use of the key), a bucket's or a
// topic's policy.
func (b *builder) policyOf(r plan.Resource) json.RawMessage {
	var doc string
	switch r.Type {
	case "aws:kms/key:Key":
		doc = str(r.Input("policy"))
	case "aws:s3/bucketV2:BucketV2":
		doc = b.attached("aws:s3/bucketPolicy:BucketPolicy", "bucket", str(r.Outputs["id"]))
	case "aws:sns/topic:Topic":
		doc = b.attached("aws:sns/topicPolicy:TopicPolicy", "arn", str(r.Outputs["arn"]))
	}
	if doc == "" {
		return nil
	}
	return json.RawMessage(doc)
}

// attached is the policy of the resource of type typ whose input key names value.
func (b *builder) attached(typ, key, value string) string {
	for _, r := range b.plan.ByType(typ) {
		if value != "" && r.Input(key) == value {
			return str(r.Input("policy"))
		}
	}
	return ""
}

// named is the resource an input names by its ARN, id, name or bucket.
// The check runs on an apply-mode plan, where every value is known.
func (b *builder) named(value string) (plan.Resource, bool) {
	for _, k := range []string{"arn", "id", "name", "bucket"} {
		if r, ok := byOutput(b.plan, k, value); ok {
			return r, true
		}
	}
	return plan.Resource{}, false
}

// find resolves an input that names another resource.
func (b *builder) find(value string) subject {
	if r, ok := b.named(value); ok {
		return b.subjectOf(r)
	}
	if strings.HasPrefix(value, "arn:") {
		return subject{arn: value, name: value[strings.LastIndexAny(value, ":/")+1:]}
	}
	return subject{name: value}
}

// tags are the tags a resource carries: the provider's default tags and its own.
func (b *builder) tags(r plan.Resource) map[string]string {
	var cfg struct {
		Tags map[string]string `json:"tags"`
	}
	_ = json.Unmarshal([]byte(b.plan.Config["aws:defaultTags"]), &cfg)
	out := map[string]string{}
	for k, v := range cfg.Tags {
		out[k] = v
	}
	if own, ok := r.Inputs["tags"].(map[string]any); ok {
		for k, v := range own {
			out[k] = str(v)
		}
	}
	return out
}

func (b *builder) region() string { return b.plan.Config["aws:region"] }

// partition is the AWS partition of the stack's region.
func (b *builder) partition() string {
	switch r := b.region(); {
	case strings.HasPrefix(r, "cn-"):
		return "aws-cn"
	case strings.HasPrefix(r, "us-gov-"):
		return "aws-us-gov"
	}
	return "aws"
}

// applies reports whether a conditional's calls are made for an input
// value: one unknown until apply counts, as the calls may be made.
func (c Conditional) applies(v any) bool {
	if c.Prefix == "" || !set(v) {
		return set(v)
	}
	values, ok := v.([]any)
	if !ok {
		values = []any{v}
	}
	for _, e := range values {
		s, isString := e.(string)
		if !isString || strings.HasPrefix(s, c.Prefix) {
			return true
		}
	}
	return false
}

// set reports whether an input holds a value (not absent, false or empty).
func set(v any) bool {
	switch x := v.(type) {
	case nil:
		return false
	case bool:
		return x
	case string:
		return x != ""
	case []any:
		return len(x) > 0
	}
	return true
}
