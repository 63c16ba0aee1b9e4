package guardrails

import (
	"encoding/json"
	"fmt"
	"slices"

	"github.com/octabyte/octabyte/plan"
)

const (
	typeSubnetGroup    = "aws:rds/subnetGroup:SubnetGroup"
	typeParameterGroup = "aws:rds/parameterGroup:ParameterGroup"
	typeBucket         = "aws:s3/bucketV2:BucketV2"
	typeBucketLegacy   = "aws:s3/bucket:Bucket"
	typePAB            = "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock"
	typeSSE            = "aws:s3/bucketServerSideEncryptionConfigurationV2:BucketServerSideEncryptionConfigurationV2"
	typeBucketPolicy   = "aws:s3/bucketPolicy:BucketPolicy"
	typeLifecycle      = "aws:s3/bucketLifecycleConfigurationV2:BucketLifecycleConfigurationV2"
	typeECR            = "aws:ecr/repository:Repository"
)

// MinBackupDays is the least automated-backup retention per kind of stack.
var MinBackupDays = map[bool]float64{false: 1, true: 7}

// forBuckets checks every bucket for a companion resource of typ (public
// access block, encryption, policy, lifecycle) that names it and is
// configured well: ok says whether a companion is, or which of its inputs
// are unknown until apply.
func forBuckets(s *Stack, typ string, ok func(companion Resource) (bool, []string), message string) []Finding {
	var out []Finding
	for _, b := range s.ByType(typeBucket, typeBucketLegacy) {
		self := []string{b.self("id"), b.self("bucket")}
		covered, pendingOn := false, []string(nil)
		for _, c := range s.ByType(typ) {
			target, traced := c.refs("bucket", typeBucket, typeBucketLegacy)
			if !traced {
				pendingOn = append(pendingOn, c.Name+".bucket")
				continue
			}
			if !slices.ContainsFunc(target, func(t string) bool { return slices.Contains(self, t) }) {
				continue
			}
			good, unknown := ok(c)
			covered = covered || good
			pendingOn = append(pendingOn, unknown...)
		}
		switch {
		case covered:
		case len(pendingOn) > 0:
			out = append(out, pending(b, pendingOn, "%s (known after apply)", message))
		default:
			out = append(out, find(b, "%s", message))
		}
	}
	return out
}

// want is a setting a rule expects: the value at path satisfies ok.
type want struct {
	path string
	ok   func(v any) bool
}

func is(path string, v any) want { return want{path, func(x any) bool { return x == v }} }

// expect checks settings of r: one known bad value is a violation, even
// when another is unknown; otherwise an unknown one leaves it to apply. A
// value that is partly unknown (a list holding an unknown ARN) passes when
// ok accepts it as it is, so ok must only accept what it positively knows.
func expect(r Resource, message string, wants ...want) []Finding {
	var unknown []string
	for _, w := range wants {
		switch v := r.Get(w.path); {
		case w.ok(v) && !isUnknown(v):
		case plan.IsUnknown(v):
			unknown = append(unknown, w.path)
		default:
			return []Finding{find(r, "%s", message)}
		}
	}
	if len(unknown) > 0 {
		return []Finding{pending(r, unknown, "%s", message)}
	}
	return nil
}

func rdsCheck(s *Stack, message string, wants ...want) []Finding {
	var out []Finding
	for _, db := range s.ByType(typeRDS) {
		out = append(out, expect(db, message, wants...)...)
	}
	return out
}

var dataRules = []Rule{
	{ID: "DATA-001", Severity: Mandatory, Rationale: "Data at rest is encrypted.", Fix: "Set storageEncrypted true.",
		Check: func(s *Stack) []Finding {
			return rdsCheck(s, "storage is not encrypted", is("storageEncrypted", true))
		}},
	{ID: "DATA-002", Severity: Mandatory, Rationale: "The database has no public endpoint.", Fix: "Set publiclyAccessible false.",
		Check: func(s *Stack) []Finding {
			return rdsCheck(s, "publicly accessible", want{"publiclyAccessible", func(v any) bool { return v != true }})
		}},
	{ID: "DATA-003", Severity: Mandatory, Rationale: "The database lives in private subnets only.", Fix: "Build the DB subnet group from the VPC's private subnets.",
		Check: func(s *Stack) []Finding {
			var out []Finding
			for _, g := range s.ByType(typeSubnetGroup) {
				out = append(out, subnetProblems(s, g, "subnetIds", "the database's subnets")...)
			}
			return out
		}},
	{ID: "DATA-004", Severity: Mandatory, Rationale: "No database password in code, config or state.", Fix: "Set manageMasterUserPassword true and drop password.",
		Check: func(s *Stack) []Finding {
			return rdsCheck(s, "master password is not managed by RDS in Secrets Manager",
				is("manageMasterUserPassword", true), want{"password", func(v any) bool { return v == nil }})
		}},
	{ID: "DATA-005", Severity: Mandatory, Rationale: "Every database connection is encrypted in transit.", Fix: "Attach a parameter group with rds.force_ssl = 1.",
		Check: func(s *Stack) []Finding {
			forced, pendingGroups := map[string]bool{}, map[string]bool{}
			for _, g := range s.ByType(typeParameterGroup) {
				if g.unknown("parameters") {
					pendingGroups[g.self("name")] = true
					continue
				}
				list, _ := g.Get("parameters").([]any)
				for _, p := range list {
					m, _ := p.(map[string]any)
					if m["name"] == "rds.force_ssl" && m["value"] == "1" {
						forced[g.self("name")] = true
					}
				}
			}
			var out []Finding
			for _, db := range s.ByType(typeRDS) {
				group, traced := db.refs("parameterGroupName", typeParameterGroup)
				switch {
				case !traced:
					out = append(out, pending(db, []string{"parameterGroupName"}, "parameter group"))
				case len(group) == 1 && forced[group[0]]:
				case len(group) == 1 && pendingGroups[group[0]]:
					out = append(out, pending(db, []string{"parameters of the parameter group"}, "parameter group"))
				default:
					out = append(out, find(db, "parameter group does not force TLS"))
				}
			}
			return out
		}},
	{ID: "DATA-006", Severity: Mandatory, Rationale: "Automated backups cover at least the stack's minimum (1 day, 7 in production).", Fix: "Raise backupRetentionPeriod.",
		Check: func(s *Stack) []Finding {
			return rdsCheck(s, "backup retention below the stack minimum", want{"backupRetentionPeriod", func(v any) bool {
				days, _ := num(v)
				return days >= MinBackupDays[s.Production]
			}})
		}},
	{ID: "DATA-007", Severity: Mandatory, Rationale: "A production database survives a mistaken delete.", Fix: "Set deletionProtection true and skipFinalSnapshot false.",
		Check: func(s *Stack) []Finding {
			if !s.Production {
				return nil
			}
			return rdsCheck(s, "production database without deletion protection or final snapshot",
				is("deletionProtection", true), is("skipFinalSnapshot", false))
		}},
	{ID: "DATA-008", Severity: Mandatory, Rationale: "No bucket can be made public by an ACL or policy.", Fix: "Add a BucketPublicAccessBlock with all four settings true.",
		Check: func(s *Stack) []Finding {
			return forBuckets(s, typePAB, func(c Resource) (bool, []string) {
				return settled(c, is("blockPublicAcls", true), is("blockPublicPolicy", true), is("ignorePublicAcls", true), is("restrictPublicBuckets", true))
			}, "public access is not fully blocked")
		}},
	{ID: "DATA-009", Severity: Mandatory, Rationale: "Objects are encrypted at rest.", Fix: "Add a server-side encryption configuration (AES256 or aws:kms).",
		Check: func(s *Stack) []Finding {
			return forBuckets(s, typeSSE, func(Resource) (bool, []string) { return true, nil }, "no default encryption")
		}},
	{ID: "DATA-010", Severity: Mandatory, Rationale: "Requests over plain HTTP are refused.", Fix: "Add a bucket policy statement denying aws:SecureTransport false.",
		Check: func(s *Stack) []Finding {
			return forBuckets(s, typeBucketPolicy, func(c Resource) (bool, []string) {
				if c.unknown("policy") {
					return false, []string{c.Name + ".policy"}
				}
				return deniesInsecureTransport(c.str("policy")), nil
			}, "bucket policy does not deny plain HTTP")
		}},
	{ID: "DATA-011", Severity: Mandatory, Rationale: "Buckets do not grow forever.", Fix: "Add lifecycle rules (expiry, abort incomplete uploads).",
		Check: func(s *Stack) []Finding {
			return forBuckets(s, typeLifecycle, func(c Resource) (bool, []string) {
				return settled(c, want{"rules", nonEmpty})
			}, "no lifecycle rules")
		}},
	{ID: "DATA-012", Severity: Mandatory, Rationale: "Images are scanned on push and a tag always means the same image.", Fix: "Set scanOnPush true and imageTagMutability IMMUTABLE.",
		Check: func(s *Stack) []Finding {
			var out []Finding
			for _, r := range s.ByType(typeECR) {
				out = append(out, expect(r, fmt.Sprintf("scan on push %v, tag mutability %v", r.Get("imageScanningConfiguration.scanOnPush"), r.Get("imageTagMutability")),
					is("imageScanningConfiguration.scanOnPush", true), is("imageTagMutability", "IMMUTABLE"))...)
			}
			return out
		}},
}

// settled is expect for a companion: whether its settings are all as
// wanted, and which inputs are unknown until apply.
func settled(r Resource, wants ...want) (bool, []string) {
	f := expect(r, "", wants...)
	if len(f) == 0 {
		return true, nil
	}
	for i := range f[0].Unknown {
		f[0].Unknown[i] = r.Name + "." + f[0].Unknown[i]
	}
	return false, f[0].Unknown
}

func deniesInsecureTransport(policy string) bool {
	var doc struct{ Statement []statement }
	if json.Unmarshal([]byte(policy), &doc) != nil {
		return false
	}
	for _, st := range doc.Statement {
		if st.Effect == "Deny" && st.Condition["Bool"]["aws:SecureTransport"] == "false" {
			return true
		}
	}
	return false
}
