package permissions

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
)

// SimulatorDir is the Node tool, relative to the repository root.
const SimulatorDir = "permissions/simulator"

// Versions are the evaluator's and its IAM data's.
type Versions struct {
	IAMSimulate    string `json:"iamSimulate"`
	IAMData        string `json:"iamData"`
	IAMDataUpdated string `json:"iamDataUpdated"`
}

// simIdentity is a principal in the simulator's input.
type simIdentity struct {
	Principal string        `json:"principal"`
	Policies  []NamedPolicy `json:"policies"`
	Boundary  *NamedPolicy  `json:"boundary,omitempty"`
}

// simResult is the simulator's answer to one request.
type simResult struct {
	ID       int      `json:"id"`
	Resource string   `json:"resource"` // the ARN it evaluated
	Decision string   `json:"decision"` // Allowed, ImplicitlyDenied, ExplicitlyDenied
	Denials  []denial `json:"denials"`
	Error    string   `json:"error"`
}

// denial is one reason iam-simulate gives for a denied request.
type denial struct {
	DenialType       string `json:"denialType"` // Implicit, Explicit
	PolicyType       string `json:"policyType"` // identity, pb (boundary), resource, ...
	PolicyIdentifier string `json:"policyIdentifier"`
	StatementID      string `json:"statementId"`
	StatementIndex   int    `json:"statementIndex"`
}

type simOutput struct {
	Results              []simResult `json:"results"`
	UnknownActions       []string    `json:"unknownActions"`
	UnknownConditionKeys []string    `json:"unknownConditionKeys"`
	Versions             Versions    `json:"versions"`
}

// identities are the principals the jobs assume: a session of each role,
// by the role's logical name.
func identities(jobs []job) map[string]simIdentity {
	out := map[string]simIdentity{}
	for _, j := range jobs {
		id := j.identity
		if id == nil {
			continue
		}
		session := strings.Replace(id.ARN, ":iam::", ":sts::", 1)
		session = session[:strings.Index(session, ":role/")] + ":assumed-role/" + id.Name + "/" + j.Name
		out[id.Logical] = simIdentity{Principal: session, Policies: id.Policies, Boundary: id.Boundary}
	}
	return out
}

// simulate evaluates the requests, split over one simulator per CPU (each
// request costs a few milliseconds of one core).
func simulate(root string, ids map[string]simIdentity, reqs []*request) (*simOutput, error) {
	n := min(runtime.NumCPU(), 4, max(len(reqs)/100, 1))
	outs, errs := make([]*simOutput, n), make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			outs[i], errs[i] = runNode(root, map[string]any{"mode": "simulate", "identities": ids, "requests": reqs[i*len(reqs)/n : (i+1)*len(reqs)/n]})
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	for _, o := range outs[1:] {
		outs[0].Results = append(outs[0].Results, o.Results...)
	}
	return outs[0], nil
}

// Validate returns the actions and condition keys, of those given, that AWS
// does not document (wildcard actions must match at least one action).
func Validate(root string, actions, conditionKeys []string) (unknownActions, unknownKeys []string, err error) {
	out, err := runNode(root, map[string]any{"mode": "validate", "actions": actions, "conditionKeys": conditionKeys})
	if err != nil {
		return nil, nil, err
	}
	return out.UnknownActions, out.UnknownConditionKeys, nil
}

// runNode runs the simulator with one JSON input.
func runNode(root string, input any) (*simOutput, error) {
	dir := filepath.Join(root, SimulatorDir)
	node, err := exec.LookPath("node")
	if err != nil {
		return nil, errors.New("the deploy-permission check needs Node.js 18 or later: apt-get install nodejs npm")
	}
	if _, err := os.Stat(filepath.Join(dir, "node_modules", "@cloud-copilot", "iam-simulate")); err != nil {
		return nil, fmt.Errorf("the IAM simulator is not installed: run `npm ci --prefix %s` (make plan does)", dir)
	}
	// Checked here, in this process, also so that go test's result cache
	// notices an edited script: it records only the files a test's own
	// process looks at, not what node reads.
	script := filepath.Join(dir, "simulate.mjs")
	if _, err := os.Stat(script); err != nil {
		return nil, fmt.Errorf("the IAM simulator's script is missing: %w", err)
	}
	in, err := json.Marshal(input)
	if err != nil {
		return nil, err
	}
	var stdout, stderr bytes.Buffer
	cmd := exec.Command(node, script)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = bytes.NewReader(in), &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return nil, fmt.Errorf("IAM simulator: %w: %s", err, strings.TrimSpace(stderr.String()))
	}
	var out simOutput
	if err := json.Unmarshal(stdout.Bytes(), &out); err != nil {
		return nil, fmt.Errorf("IAM simulator output: %w", err)
	}
	return &out, nil
}
