package workflows

import (
	"encoding/json"
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/rhysd/actionlint"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// This file evaluates GitHub Actions expressions as the runner does
// (docs: "Evaluate expressions in workflows and actions"), on the syntax
// tree of actionlint's exported parser: values are null, booleans, numbers,
// strings, objects and arrays; == compares loosely (numbers coerced, strings
// case-insensitively); && and || return an operand; status functions are
// answered by the caller.

// status answers success(), failure(), always() and cancelled().
type status func(fn string) bool

// exprContext is what an expression can see.
type exprContext struct {
	vars   map[string]any // github, env, vars, secrets, inputs, needs, steps, matrix, job, runner
	status status
}

func parseExpr(src string) (actionlint.ExprNode, int, error) {
	lex := actionlint.NewExprLexer(src)
	node, err := actionlint.NewExprParser().Parse(lex)
	if err != nil {
		return nil, 0, fmt.Errorf("%s: %s", src, err.Message)
	}
	return node, lex.Offset(), nil
}

// eval evaluates a bare expression (an `if:` without ${{ }}).
func (c *exprContext) eval(expr string) (any, error) {
	expr = strings.TrimSpace(expr)
	if strings.HasPrefix(expr, "${{") && strings.HasSuffix(expr, "}}") && strings.Count(expr, "${{") == 1 {
		expr = strings.TrimSpace(expr[3 : len(expr)-2])
	}
	node, _, err := parseExpr(expr + "}}")
	if err != nil {
		return nil, err
	}
	return c.value(node)
}

// condition is an `if:` as the runner evaluates it: "A default status
// check of success() is applied unless you include one of these
// functions" (success, failure, always, cancelled).
func (c *exprContext) condition(cond string) (bool, error) {
	cond = strings.TrimSpace(cond)
	if cond == "" {
		cond = "success()"
	}
	if strings.HasPrefix(cond, "${{") && strings.HasSuffix(cond, "}}") {
		cond = strings.TrimSpace(cond[3 : len(cond)-2])
	}
	node, _, err := parseExpr(cond + "}}")
	if err != nil {
		return false, err
	}
	hasStatus := false
	actionlint.VisitExprNode(node, func(n, _ actionlint.ExprNode, entering bool) {
		if f, ok := n.(*actionlint.FuncCallNode); ok && entering {
			switch strings.ToLower(f.Callee) {
			case "success", "failure", "always", "cancelled":
				hasStatus = true
			}
		}
	})
	v, err := c.value(node)
	if err != nil {
		return false, err
	}
	return truthy(v) && (hasStatus || c.status("success")), nil
}

// interpolate replaces every ${{ expr }} in s by its string value.
func (c *exprContext) interpolate(s string) (string, error) {
	var b strings.Builder
	for {
		i := strings.Index(s, "${{")
		if i < 0 {
			b.WriteString(s)
			return b.String(), nil
		}
		b.WriteString(s[:i])
		node, end, err := parseExpr(s[i+3:])
		if err != nil {
			return "", err
		}
		v, err := c.value(node)
		if err != nil {
			return "", err
		}
		b.WriteString(str(v))
		s = s[i+3+end:]
	}
}

func (c *exprContext) value(n actionlint.ExprNode) (any, error) {
	switch n := n.(type) {
	case *actionlint.NullNode:
		return nil, nil
	case *actionlint.BoolNode:
		return n.Value, nil
	case *actionlint.IntNode:
		return float64(n.Value), nil
	case *actionlint.FloatNode:
		return n.Value, nil
	case *actionlint.StringNode:
		return n.Value, nil
	case *actionlint.VariableNode:
		return lookup(c.vars, n.Name), nil
	case *actionlint.ObjectDerefNode:
		recv, err := c.value(n.Receiver)
		if err != nil {
			return nil, err
		}
		if list, ok := recv.([]any); ok { // a filter: foo.*.bar
			out := []any{}
			for _, e := range list {
				if m, ok := e.(map[string]any); ok {
					out = append(out, lookup(m, n.Property))
				}
			}
			return out, nil
		}
		m, _ := recv.(map[string]any)
		return lookup(m, n.Property), nil
	case *actionlint.ArrayDerefNode:
		recv, err := c.value(n.Receiver)
		if err != nil {
			return nil, err
		}
		switch r := recv.(type) {
		case []any:
			return r, nil
		case map[string]any:
			keys := make([]string, 0, len(r))
			for k := range r {
				keys = append(keys, k)
			}
			sort.Strings(keys)
			out := make([]any, 0, len(r))
			for _, k := range keys {
				out = append(out, r[k])
			}
			return out, nil
		}
		return []any{}, nil
	case *actionlint.IndexAccessNode:
		recv, idx, err := c.pair(n.Operand, n.Index)
		if err != nil {
			return nil, err
		}
		switch r := recv.(type) {
		case map[string]any:
			return lookup(r, str(idx)), nil
		case []any:
			if f, ok := idx.(float64); ok && int(f) >= 0 && int(f) < len(r) {
				return r[int(f)], nil
			}
		}
		return nil, nil
	case *actionlint.NotOpNode:
		v, err := c.value(n.Operand)
		return !truthy(v), err
	case *actionlint.LogicalOpNode:
		l, err := c.value(n.Left)
		if err != nil {
			return nil, err
		}
		if (n.Kind == actionlint.LogicalOpNodeKindAnd) != truthy(l) {
			return l, nil
		}
		return c.value(n.Right)
	case *actionlint.CompareOpNode:
		l, r, err := c.pair(n.Left, n.Right)
		if err != nil {
			return nil, err
		}
		return compare(n.Kind, l, r), nil
	case *actionlint.FuncCallNode:
		return c.call(n)
	}
	return nil, fmt.Errorf("unsupported expression node %T", n)
}

// pair evaluates two operands.
func (c *exprContext) pair(a, b actionlint.ExprNode) (any, any, error) {
	l, err := c.value(a)
	if err != nil {
		return nil, nil, err
	}
	r, err := c.value(b)
	return l, r, err
}

func (c *exprContext) call(n *actionlint.FuncCallNode) (any, error) {
	name := strings.ToLower(n.Callee)
	switch name {
	case "success", "failure", "always", "cancelled":
		return c.status(name), nil
	}
	args := make([]any, len(n.Args))
	for i, a := range n.Args {
		v, err := c.value(a)
		if err != nil {
			return nil, err
		}
		args[i] = v
	}
	switch name {
	case "contains":
		if list, ok := args[0].([]any); ok {
			for _, e := range list {
				if compare(actionlint.CompareOpNodeKindEq, e, args[1]) {
					return true, nil
				}
			}
			return false, nil
		}
		return strings.Contains(strings.ToLower(str(args[0])), strings.ToLower(str(args[1]))), nil
	case "startswith":
		return strings.HasPrefix(strings.ToLower(str(args[0])), strings.ToLower(str(args[1]))), nil
	case "endswith":
		return strings.HasSuffix(strings.ToLower(str(args[0])), strings.ToLower(str(args[1]))), nil
	case "format":
		out := str(args[0])
		for i, a := range args[1:] {
			out = strings.ReplaceAll(out, "{"+strconv.Itoa(i)+"}", str(a))
		}
		return out, nil
	case "join":
		sep := ","
		if len(args) > 1 {
			sep = str(args[1])
		}
		list, ok := args[0].([]any)
		if !ok {
			return str(args[0]), nil
		}
		parts := make([]string, len(list))
		for i, e := range list {
			parts[i] = str(e)
		}
		return strings.Join(parts, sep), nil
	case "tojson":
		b, err := json.MarshalIndent(args[0], "", "  ")
		return string(b), err
	case "fromjson":
		var v any
		err := json.Unmarshal([]byte(str(args[0])), &v)
		return v, err
	case "hashfiles":
		return "", nil
	}
	return nil, fmt.Errorf("unknown function %s", n.Callee)
}

// lookup reads a property; GitHub's property names are case-insensitive.
func lookup(m map[string]any, key string) any {
	if v, ok := m[key]; ok {
		return v
	}
	for k, v := range m {
		if strings.EqualFold(k, key) {
			return v
		}
	}
	return nil
}

func truthy(v any) bool {
	switch v := v.(type) {
	case nil:
		return false
	case bool:
		return v
	case float64:
		return v != 0 && !math.IsNaN(v)
	case string:
		return v != ""
	}
	return true
}

// num coerces as GitHub does for comparisons of different types.
func num(v any) float64 {
	switch v := v.(type) {
	case nil:
		return 0
	case bool:
		if v {
			return 1
		}
		return 0
	case float64:
		return v
	case string:
		if strings.TrimSpace(v) == "" {
			return 0
		}
		f, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
		if err != nil {
			return math.NaN()
		}
		return f
	}
	return math.NaN()
}

func compare(kind actionlint.CompareOpNodeKind, l, r any) bool {
	ls, lok := l.(string)
	rs, rok := r.(string)
	var c int
	switch {
	case lok && rok:
		c = strings.Compare(strings.ToLower(ls), strings.ToLower(rs))
	case l == nil && r == nil:
		c = 0
	default:
		_, lobj := l.(map[string]any)
		_, robj := r.(map[string]any)
		_, larr := l.([]any)
		_, rarr := r.([]any)
		if lobj || robj || larr || rarr { // objects are equal only to themselves
			return kind == actionlint.CompareOpNodeKindNotEq
		}
		a, b := num(l), num(r)
		if math.IsNaN(a) || math.IsNaN(b) {
			return kind == actionlint.CompareOpNodeKindNotEq
		}
		switch {
		case a < b:
			c = -1
		case a > b:
			c = 1
		}
	}
	switch kind {
	case actionlint.CompareOpNodeKindEq:
		return c == 0
	case actionlint.CompareOpNodeKindNotEq:
		return c != 0
	case actionlint.CompareOpNodeKindLess:
		return c < 0
	case actionlint.CompareOpNodeKindLessEq:
		return c <= 0
	case actionlint.CompareOpNodeKindGreater:
		return c > 0
	case actionlint.CompareOpNodeKindGreaterEq:
		return c >= 0
	}
	return false
}

// str is how a value is written into a string (${{ }} in YAML).
func str(v any) string {
	switch v := v.(type) {
	case nil:
		return ""
	case bool:
		return strconv.FormatBool(v)
	case float64:
		return strconv.FormatFloat(v, 'f', -1, 64)
	case string:
		return v
	}
	b, _ := json.MarshalIndent(v, "", "  ")
	return string(b)
}

func TestExpressionsEvaluateAsOnGitHub(t *testing.T) {
	c := &exprContext{vars: map[string]any{
		"needs": map[string]any{
			"build": map[string]any{"result": "success", "outputs": map[string]any{"digest": "sha256:ab"}},
			"scan":  map[string]any{"result": "skipped", "outputs": map[string]any{}},
		},
		"inputs":  map[string]any{"rollback": false, "digest": ""},
		"secrets": map[string]any{},
		"env":     map[string]any{"HAS_SLACK": "true"},
	}, status: func(fn string) bool { return fn == "always" }}
	cases := map[string]any{
		"needs.build.outputs.digest || 'none'":                   "sha256:ab",
		"needs.scan.outputs.digest || 'none'":                    "none",
		"needs.build.result == 'SUCCESS'":                        true,
		"secrets.SLACK_WEBHOOK_URL != ''":                        false,
		"env.HAS_SLACK == 'true'":                                true,
		"!cancelled() && needs.scan.result == 'success'":         false,
		"contains(needs.*.result, 'skipped')":                    true,
		"inputs.rollback == false && inputs.digest == ''":        true,
		"format('{0}-{1}', 'a', 1)":                              "a-1",
		"always() && (needs.build.result == 'success' || false)": true,
		"fromJSON('{\"a\": [1, 2]}').a[1]":                       2.0,
		"1 == '1'":                                               true,
		"toJSON(needs.build.outputs)":                            "{\n  \"digest\": \"sha256:ab\"\n}",
	}
	for expr, want := range cases {
		got, err := c.eval(expr)
		require.NoError(t, err, expr)
		assert.Equal(t, want, got, expr)
	}
	for cond, want := range map[string]bool{"needs.build.result == 'success'": false, "always() && true": true, "": false} {
		got, err := c.condition(cond) // the status says only always()
		require.NoError(t, err)
		assert.Equal(t, want, got, "implicit success() in %q", cond)
	}
	out, err := c.interpolate("d=${{ needs.build.outputs.digest }} s=${{ needs.scan.result }}!")
	require.NoError(t, err)
	assert.Equal(t, "d=sha256:ab s=skipped!", out)
}
