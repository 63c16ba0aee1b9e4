package config

import (
	"encoding/json"
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/agext/levenshtein"
)

// Key describes one project config key: the same facts Pulumi.yaml declares.
type Key struct {
	Name        string
	Type        string // string, integer, boolean or array (of strings)
	Description string
	Default     any
}

// reader reads typed values, remembering every key it was asked for (the
// schema) and every problem it found (all reported at once).
type reader struct {
	get  func(key string) (string, bool)
	keys []Key
	errs []error
}

func (r *reader) declare(name, typ, desc string, def any) (string, bool) {
	r.keys = append(r.keys, Key{Name: name, Type: typ, Description: desc, Default: def})
	return r.get(Namespace + ":" + name)
}

func (r *reader) fail(name, raw, format string, args ...any) {
	r.errs = append(r.errs, fmt.Errorf("%s:%s = %q: %s", Namespace, name, raw, fmt.Sprintf(format, args...)))
}

// str reads a string; allowed, when given, is the closed set of values.
func (r *reader) str(name, def, desc string, allowed ...string) string {
	raw, ok := r.declare(name, "string", desc, def)
	if !ok {
		return def
	}
	if len(allowed) > 0 && !slices.Contains(allowed, raw) {
		r.fail(name, raw, "must be one of %s", strings.Join(allowed, ", "))
	}
	return raw
}

// integer reads a whole number within [min, max].
func (r *reader) integer(name string, def int, desc string, min, max int) int {
	raw, ok := r.declare(name, "integer", desc, def)
	if !ok {
		return def
	}
	v, err := strconv.Atoi(strings.TrimSpace(raw))
	if err != nil {
		r.fail(name, raw, "must be a whole number between %d and %d", min, max)
		return def
	}
	if v < min || v > max {
		r.fail(name, raw, "must be between %d and %d", min, max)
	}
	return v
}

// oneOf reads a whole number from a closed set (e.g. CloudWatch retentions).
func (r *reader) oneOf(name string, def int, desc string, allowed []int) int {
	raw, ok := r.declare(name, "integer", desc, def)
	if !ok {
		return def
	}
	v, err := strconv.Atoi(strings.TrimSpace(raw))
	if err != nil || !slices.Contains(allowed, v) {
		r.fail(name, raw, "must be one of %s", joinInts(allowed))
		return def
	}
	return v
}

func (r *reader) boolean(name string, def bool, desc string) bool {
	raw, ok := r.declare(name, "boolean", desc, def)
	if !ok {
		return def
	}
	v, err := strconv.ParseBool(strings.TrimSpace(raw))
	if err != nil {
		r.fail(name, raw, "must be true or false")
		return def
	}
	return v
}

// list reads a list of strings (YAML list in the stack file, JSON here).
func (r *reader) list(name, desc string) []string {
	raw, ok := r.declare(name, "array", desc, []string{})
	if !ok {
		return nil
	}
	var v []string
	if err := json.Unmarshal([]byte(raw), &v); err != nil {
		r.fail(name, raw, "must be a list of strings")
		return nil
	}
	return v
}

func joinInts(v []int) string {
	s := make([]string, len(v))
	for i, n := range v {
		s[i] = strconv.Itoa(n)
	}
	return strings.Join(s, ", ")
}

// unknownKeys reports each key of the octabyte namespace that no setting
// declared, with the declared key it most resembles (a typo such as
// octabyte:desiredCont would otherwise be silently ignored).
func (r *reader) unknownKeys(keys []string) {
	sort.Strings(keys)
	for _, key := range keys {
		name, ok := strings.CutPrefix(key, Namespace+":")
		if !ok || slices.ContainsFunc(r.keys, func(k Key) bool { return k.Name == name }) {
			continue
		}
		r.errs = append(r.errs, fmt.Errorf("%s: no such setting; did you mean %s:%s? (every key is listed in Pulumi.yaml)", key, Namespace, r.closest(name)))
	}
}

// closest is the declared key with the smallest edit distance to name,
// ignoring case (desiredcount is desiredCount).
func (r *reader) closest(name string) string {
	best, dist := "", -1
	for _, k := range r.keys {
		if d := levenshtein.Distance(strings.ToLower(name), strings.ToLower(k.Name), nil); dist < 0 || d < dist {
			best, dist = k.Name, d
		}
	}
	return best
}
