package guardrails

const typeInstance = "aws:ec2/instance:Instance"

// ec2Rules cover the instances a stack runs itself (the NAT instance).
var ec2Rules = []Rule{
	{ID: "EC2-001", Severity: Mandatory, Rationale: "Instances answer metadata requests only with a session token (IMDSv2), closing the SSRF path to their credentials.",
		Fix: "Set metadataOptions.httpTokens to required.",
		Check: func(s *Stack) []Finding {
			var out []Finding
			for _, r := range s.ByType(typeInstance) {
				out = append(out, expect(r, "instance metadata does not require IMDSv2 tokens", is("metadataOptions.httpTokens", "required"))...)
			}
			return out
		}},
	{ID: "EC2-002", Severity: Mandatory, Rationale: "Instance volumes are encrypted at rest.", Fix: "Set encrypted on the root block device and every EBS block device.",
		Check: func(s *Stack) []Finding {
			var out []Finding
			for _, r := range s.ByType(typeInstance) {
				out = append(out, expect(r, "an instance volume is not encrypted",
					is("rootBlockDevice.encrypted", true),
					want{"ebsBlockDevices", func(v any) bool {
						list, _ := v.([]any)
						for _, d := range list {
							if m, _ := d.(map[string]any); m["encrypted"] != true {
								return false
							}
						}
						return true
					}})...)
			}
			return out
		}},
	{ID: "EC2-003", Severity: Mandatory, Rationale: "No SSH keys to leak or rotate: instances are reached through SSM Session Manager.", Fix: "Drop keyName; grant the instance role Session Manager's actions.",
		Check: func(s *Stack) []Finding {
			var out []Finding
			for _, r := range s.ByType(typeInstance) {
				out = append(out, expect(r, "instance has an SSH key pair", want{"keyName", func(v any) bool { return v == nil || v == "" }})...)
			}
			return out
		}},
}
