package database

import (
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strings"
)

// With applyImmediately false, RDS queues most modifications for the
// maintenance window and keeps reporting the old values until then, so
// every `pulumi preview --refresh` shows the change again ("this provider
// may report a difference in its planning phase because a modification has
// not yet taken place", pulumi-aws rds.Instance docs, from the Terraform
// provider's aws_db_instance). ClassifyDrift tells such a diff from drift.

// pendingFields maps rds.Instance inputs to the PendingModifiedValues field
// where DescribeDBInstances reports a queued change of them (RDS API
// reference, PendingModifiedValues).
var pendingFields = map[string]string{
	"instanceClass":                    "DBInstanceClass",
	"allocatedStorage":                 "AllocatedStorage",
	"multiAz":                          "MultiAZ",
	"engineVersion":                    "EngineVersion",
	"backupRetentionPeriod":            "BackupRetentionPeriod",
	"storageType":                      "StorageType",
	"iops":                             "Iops",
	"storageThroughput":                "StorageThroughput",
	"caCertIdentifier":                 "CACertificateIdentifier",
	"dbSubnetGroupName":                "DBSubnetGroupName",
	"port":                             "Port",
	"identifier":                       "DBInstanceIdentifier",
	"licenseModel":                     "LicenseModel",
	"iamDatabaseAuthenticationEnabled": "IAMDatabaseAuthenticationEnabled",
	"dedicatedLogVolume":               "DedicatedLogVolume",
	"multiTenant":                      "MultiTenant",
	"enabledCloudwatchLogsExports":     "PendingCloudwatchLogsExports",
}

// previewStep is the part of a `pulumi preview --json` step (Pulumi's
// display.PreviewStep) the classification reads.
type previewStep struct {
	Op           string   `json:"op"`
	URN          string   `json:"urn"`
	OldState     *state   `json:"oldState"`
	NewState     *state   `json:"newState"`
	DiffReasons  []string `json:"diffReasons"`
	DetailedDiff map[string]struct {
		Kind string `json:"kind"`
	} `json:"detailedDiff"`
}

type state struct {
	Type    string         `json:"type"`
	Inputs  map[string]any `json:"inputs"`
	Outputs map[string]any `json:"outputs"`
}

// dbInstance is the part of an `aws rds describe-db-instances` instance the
// classification reads.
type dbInstance struct {
	DBInstanceIdentifier       string
	PreferredMaintenanceWindow string
	PendingModifiedValues      map[string]any
}

// DriftReport sorts a preview's changes.
type DriftReport struct {
	Pending []string // "octabyte-prod: instanceClass db.t3.micro → db.t3.small (maintenance window sun:20:30-sun:21:30)"
	Drift   []string // "update aws:ec2/securityGroup:SecurityGroup task: description"
}

// Drifted reports whether anything beyond queued maintenance changed.
func (r DriftReport) Drifted() bool { return len(r.Drift) > 0 }

// Render writes one line per finding.
func (r DriftReport) Render(w io.Writer) {
	for _, p := range r.Pending {
		fmt.Fprintln(w, "pending maintenance:", p)
	}
	for _, d := range r.Drift {
		fmt.Fprintln(w, "drift:", d)
	}
	if len(r.Pending)+len(r.Drift) == 0 {
		fmt.Fprintln(w, "no changes")
	}
}

// noChange are the step operations that change nothing.
var noChange = []string{"same", "read", "refresh", "discard"}

// ClassifyDrift reads a `pulumi preview --refresh --json` document and an
// `aws rds describe-db-instances` document. An update of an RDS instance
// whose every changed input RDS reports as pending, with the value the
// program wants, is pending maintenance; every other change is drift.
func ClassifyDrift(preview, instances io.Reader) (DriftReport, error) {
	var doc struct{ Steps []previewStep }
	if err := json.NewDecoder(preview).Decode(&doc); err != nil {
		return DriftReport{}, fmt.Errorf("preview: not a `pulumi preview --json` document: %w", err)
	}
	var described struct{ DBInstances []dbInstance }
	if err := json.NewDecoder(instances).Decode(&described); err != nil {
		return DriftReport{}, fmt.Errorf("instances: not an `aws rds describe-db-instances` document: %w", err)
	}
	var rep DriftReport
	for _, step := range doc.Steps {
		if slices.Contains(noChange, step.Op) {
			continue
		}
		if pending, ok := pendingChange(step, described.DBInstances); ok {
			rep.Pending = append(rep.Pending, pending)
			continue
		}
		line := step.Op + " " + urnTail(step.URN)
		if keys := changedKeys(step); len(keys) > 0 {
			line += ": " + strings.Join(keys, ", ")
		}
		rep.Drift = append(rep.Drift, line)
	}
	return rep, nil
}

// pendingChange explains step as queued maintenance, if it is one.
func pendingChange(step previewStep, instances []dbInstance) (string, bool) {
	if step.Op != "update" || step.NewState == nil || step.OldState == nil || step.NewState.Type != "aws:rds/instance:Instance" {
		return "", false
	}
	id, _ := step.OldState.Outputs["identifier"].(string)
	i := slices.IndexFunc(instances, func(db dbInstance) bool { return db.DBInstanceIdentifier == id })
	keys := changedKeys(step)
	if i < 0 || len(keys) == 0 {
		return "", false
	}
	db := instances[i]
	var changes []string
	for _, key := range keys {
		field, ok := pendingFields[key]
		pending, queued := db.PendingModifiedValues[field]
		want := step.NewState.Inputs[key]
		if !ok || !queued || !sameValue(key, want, pending, step.OldState.Outputs[key]) {
			return "", false
		}
		changes = append(changes, fmt.Sprintf("%s %v → %v", key, display(step.OldState.Outputs[key]), display(want)))
	}
	return fmt.Sprintf("%s: %s (maintenance window %s UTC)", id, strings.Join(changes, ", "), db.PreferredMaintenanceWindow), true
}

// sameValue compares the program's value with RDS's pending one.
func sameValue(key string, want, pending, current any) bool {
	switch key {
	case "engineVersion": // "17" wants any 17.x
		w, p := fmt.Sprint(want), fmt.Sprint(pending)
		return p == w || strings.HasPrefix(p, w+".")
	case "enabledCloudwatchLogsExports": // {LogTypesToEnable, LogTypesToDisable} applied to the current list
		var exports struct{ LogTypesToEnable, LogTypesToDisable []string }
		raw, _ := json.Marshal(pending)
		if json.Unmarshal(raw, &exports) != nil {
			return false
		}
		after := slices.DeleteFunc(append(strs(current), exports.LogTypesToEnable...), func(s string) bool { return slices.Contains(exports.LogTypesToDisable, s) })
		slices.Sort(after)
		wanted := strs(want)
		slices.Sort(wanted)
		return slices.Equal(slices.Compact(after), wanted)
	}
	return fmt.Sprint(want) == fmt.Sprint(pending)
}

// changedKeys are the top-level inputs a step changes.
func changedKeys(step previewStep) []string {
	keys := slices.Clone(step.DiffReasons)
	for path := range step.DetailedDiff {
		top, _, _ := strings.Cut(strings.SplitN(path, "[", 2)[0], ".")
		keys = append(keys, top)
	}
	slices.Sort(keys)
	return slices.Compact(keys)
}

func strs(v any) []string {
	list, _ := v.([]any)
	out := make([]string, 0, len(list))
	for _, e := range list {
		out = append(out, fmt.Sprint(e))
	}
	return out
}

func display(v any) string {
	if v == nil {
		return "(none)"
	}
	return fmt.Sprint(v)
}

// urnTail is "type name" from a URN.
func urnTail(urn string) string {
	parts := strings.Split(urn, "::")
	if len(parts) < 4 {
		return urn
	}
	types := strings.Split(parts[2], "$")
	return types[len(types)-1] + " " + parts[3]
}
