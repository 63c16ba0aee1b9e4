package guardrails

import (
	"encoding/json"
	"slices"
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

// bucketFacts finds, per bucket, the companion resources that configure it
// (they name the bucket by its id or name).
func bucketFacts(s *Stack, typ string) map[string]Resource {
	out := map[string]Resource{}
	for _, r := range s.ByType(typ) {
		out[r.str("bucket")] = r
	}
	return out
}

func bucketID(b Resource) []string {
	return []string{b.str("id"), b.str("bucket")}
}

func forBuckets(s *Stack, typ string, ok func(companion Resource) bool, message string) []Finding {
	facts := bucketFacts(s, typ)
	var out []Finding
	for _, b := range s.ByType(typeBucket, typeBucketLegacy) {
		found := false
		for _, id := range bucketID(b) {
			if c, has := facts[id]; has && id != "" && ok(c) {
				found = true
			}
		}
		if !found {
			out = append(out, find(b, "%s", message))
		}
	}
	return out
}

func rdsCheck(s *Stack, bad func(db Resource) (string, bool)) []Finding {
	var out []Finding
	for _, db := range s.ByType(typeRDS) {
		if msg, broken := bad(db); broken {
			out = append(out, find(db, "%s", msg))
		}
	}
	return out
}

var dataRules = []Rule{
	{ID: "DATA-001", Severity: Mandatory, Rationale: "Data at rest is encrypted.", Fix: "Set storageEncrypted true.",
		Check: func(s *Stack) []Finding {
			return rdsCheck(s, func(db Resource) (string, bool) {
				return "storage is not encrypted", db.Get("storageEncrypted") != true
			})
		}},
	{ID: "DATA-002", Severity: Mandatory, Rationale: "The database has no public endpoint.", Fix: "Set publiclyAccessible false.",
		Check: func(s *Stack) []Finding {
			return rdsCheck(s, func(db Resource) (string, bool) { return "publicly accessible", db.Get("publiclyAccessible") == true })
		}},
	{ID: "DATA-003", Severity: Mandatory, Rationale: "The database lives in private subnets only.", Fix: "Build the DB subnet group from the VPC's private subnets.",
		Check: func(s *Stack) []Finding {
			public := publicSubnets(s)
			private := privateSubnets(s)
			var out []Finding
			for _, g := range s.ByType(typeSubnetGroup) {
				for _, sn := range strs(g.Get("subnetIds")) {
					if slices.Contains(public, sn) || (len(private) > 0 && !slices.Contains(private, sn)) {
						out = append(out, find(g, "subnet %s is not private", sn))
					}
				}
			}
			return out
		}},
	{ID: "DATA-004", Severity: Mandatory, Rationale: "No database password in code, config or state.", Fix: "Set manageMasterUserPassword true and drop password.",
		Check: func(s *Stack) []Finding {
			return rdsCheck(s, func(db Resource) (string, bool) {
				return "master password is not managed by RDS in Secrets Manager", db.Get("manageMasterUserPassword") != true || db.Inputs["password"] != nil
			})
		}},
	{ID: "DATA-005", Severity: Mandatory, Rationale: "Every database connection is encrypted in transit.", Fix: "Attach a parameter group with rds.force_ssl = 1.",
		Check: func(s *Stack) []Finding {
			forced := map[string]bool{}
			for _, g := range s.ByType(typeParameterGroup) {
				list, _ := g.Get("parameters").([]any)
				for _, p := range list {
					m, _ := p.(map[string]any)
					if m["name"] == "rds.force_ssl" && m["value"] == "1" {
						forced[g.str("name")] = true
					}
				}
			}
			return rdsCheck(s, func(db Resource) (string, bool) {
				return "parameter group does not force TLS", !forced[db.str("parameterGroupName")]
			})
		}},
	{ID: "DATA-006", Severity: Mandatory, Rationale: "Automated backups cover at least the stack's minimum (1 day, 7 in production).", Fix: "Raise backupRetentionPeriod.",
		Check: func(s *Stack) []Finding {
			return rdsCheck(s, func(db Resource) (string, bool) {
				days, _ := num(db.Get("backupRetentionPeriod"))
				return "backup retention below the stack minimum", days < MinBackupDays[s.Production]
			})
		}},
	{ID: "DATA-007", Severity: Mandatory, Rationale: "A production database survives a mistaken delete.", Fix: "Set deletionProtection true and skipFinalSnapshot false.",
		Check: func(s *Stack) []Finding {
			if !s.Production {
				return nil
			}
			return rdsCheck(s, func(db Resource) (string, bool) {
				return "production database without deletion protection or final snapshot",
					db.Get("deletionProtection") != true || db.Get("skipFinalSnapshot") != false
			})
		}},
	{ID: "DATA-008", Severity: Mandatory, Rationale: "No bucket can be made public by an ACL or policy.", Fix: "Add a BucketPublicAccessBlock with all four settings true.",
		Check: func(s *Stack) []Finding {
			return forBuckets(s, typePAB, func(c Resource) bool {
				return c.Get("blockPublicAcls") == true && c.Get("blockPublicPolicy") == true && c.Get("ignorePublicAcls") == true && c.Get("restrictPublicBuckets") == true
			}, "public access is not fully blocked")
		}},
	{ID: "DATA-009", Severity: Mandatory, Rationale: "Objects are encrypted at rest.", Fix: "Add a server-side encryption configuration (AES256 or aws:kms).",
		Check: func(s *Stack) []Finding {
			return forBuckets(s, typeSSE, func(Resource) bool { return true }, "no default encryption")
		}},
	{ID: "DATA-010", Severity: Mandatory, Rationale: "Requests over plain HTTP are refused.", Fix: "Add a bucket policy statement denying aws:SecureTransport false.",
		Check: func(s *Stack) []Finding {
			return forBuckets(s, typeBucketPolicy, func(c Resource) bool { return deniesInsecureTransport(c.str("policy")) }, "bucket policy does not deny plain HTTP")
		}},
	{ID: "DATA-011", Severity: Mandatory, Rationale: "Buckets do not grow forever.", Fix: "Add lifecycle rules (expiry, abort incomplete uploads).",
		Check: func(s *Stack) []Finding {
			return forBuckets(s, typeLifecycle, func(c Resource) bool { return nonEmpty(c.Get("rules")) }, "no lifecycle rules")
		}},
	{ID: "DATA-012", Severity: Mandatory, Rationale: "Images are scanned on push and a tag always means the same image.", Fix: "Set scanOnPush true and imageTagMutability IMMUTABLE.",
		Check: func(s *Stack) []Finding {
			var out []Finding
			for _, r := range s.ByType(typeECR) {
				if r.Get("imageScanningConfiguration.scanOnPush") != true || r.str("imageTagMutability") != "IMMUTABLE" {
					out = append(out, find(r, "scan on push %v, tag mutability %q", r.Get("imageScanningConfiguration.scanOnPush"), r.str("imageTagMutability")))
				}
			}
			return out
		}},
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
