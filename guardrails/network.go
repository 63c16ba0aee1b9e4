package guardrails

import (
	"slices"
)

const (
	typeSG          = "aws:ec2/securityGroup:SecurityGroup"
	typeIngressRule = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"
	typeEgressRule  = "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule"
	typeLegacyRule  = "aws:ec2/securityGroupRule:SecurityGroupRule"
	typeDefaultSG   = "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup"
	typeAwsxVpc     = "awsx:ec2:Vpc"
	typeVpc         = "aws:ec2/vpc:Vpc"
	typeFlowLog     = "aws:ec2/flowLog:FlowLog"
	typeService     = "aws:ecs/service:Service"
	typeLB          = "aws:lb/loadBalancer:LoadBalancer"
	typeRDS         = "aws:rds/instance:Instance"
)

var world = []string{"0.0.0.0/0", "::/0"}

// sgRule is a security-group rule from any of the four ways to write one.
type sgRule struct {
	res      Resource
	group    string // security group id the rule belongs to
	ingress  bool
	protocol string
	from, to float64
	cidrs    []string
	peer     string // referenced security group id
}

func (r sgRule) allPorts() bool {
	return r.protocol == "-1" || r.protocol == "all" || (r.from <= 0 && r.to >= 65535)
}

func (r sgRule) toWorld() bool {
	return slices.ContainsFunc(r.cidrs, func(c string) bool { return slices.Contains(world, c) })
}

func sgRules(s *Stack) []sgRule {
	var out []sgRule
	for _, r := range s.ByType(typeIngressRule, typeEgressRule) {
		from, _ := num(r.Get("fromPort"))
		to, _ := num(r.Get("toPort"))
		out = append(out, sgRule{res: r, group: r.str("securityGroupId"), ingress: r.Type == typeIngressRule,
			protocol: r.str("ipProtocol"), from: from, to: to,
			cidrs: append(strs(r.Get("cidrIpv4")), strs(r.Get("cidrIpv6"))...), peer: r.str("referencedSecurityGroupId")})
	}
	for _, r := range s.ByType(typeLegacyRule) {
		from, _ := num(r.Get("fromPort"))
		to, _ := num(r.Get("toPort"))
		out = append(out, sgRule{res: r, group: r.str("securityGroupId"), ingress: r.str("type") == "ingress",
			protocol: r.str("protocol"), from: from, to: to,
			cidrs: append(strs(r.Get("cidrBlocks")), strs(r.Get("ipv6CidrBlocks"))...), peer: r.str("sourceSecurityGroupId")})
	}
	for _, r := range s.ByType(typeSG) {
		for dir, key := range map[bool]string{true: "ingress", false: "egress"} {
			list, _ := r.Get(key).([]any)
			for _, item := range list {
				m, _ := item.(map[string]any)
				from, _ := num(m["fromPort"])
				to, _ := num(m["toPort"])
				peers := strs(m["securityGroups"])
				peer := ""
				if len(peers) > 0 {
					peer = peers[0]
				}
				p, _ := m["protocol"].(string)
				out = append(out, sgRule{res: r, group: r.str("id"), ingress: dir, protocol: p, from: from, to: to,
					cidrs: append(strs(m["cidrBlocks"]), strs(m["ipv6CidrBlocks"])...), peer: peer})
			}
		}
	}
	return out
}

// groupsOf collects the security groups a resource type attaches at path.
func groupsOf(s *Stack, typ, path string) []string {
	var out []string
	for _, r := range s.ByType(typ) {
		out = append(out, strs(r.Get(path))...)
	}
	return out
}

func publicSubnets(s *Stack) []string {
	var out []string
	for _, v := range s.ByType(typeAwsxVpc) {
		out = append(out, strs(v.Get("publicSubnetIds"))...)
	}
	return out
}

func privateSubnets(s *Stack) []string {
	var out []string
	for _, v := range s.ByType(typeAwsxVpc) {
		out = append(out, strs(v.Get("privateSubnetIds"))...)
	}
	return out
}

var networkRules = []Rule{
	{
		ID: "NET-001", Severity: Mandatory,
		Rationale: "Only the load balancer may be reached from the internet, and only on HTTP/HTTPS.",
		Fix:       "Reference a security group instead of 0.0.0.0/0, or put the resource behind the ALB.",
		Check: func(s *Stack) []Finding {
			albSGs := groupsOf(s, typeLB, "securityGroups")
			var out []Finding
			for _, r := range sgRules(s) {
				if !r.ingress || !r.toWorld() {
					continue
				}
				webPort := r.from == r.to && (r.from == 80 || r.from == 443) && r.protocol == "tcp"
				if !slices.Contains(albSGs, r.group) || !webPort {
					out = append(out, find(r.res, "ingress from the internet on %s %v-%v", r.protocol, r.from, r.to))
				}
			}
			return out
		},
	},
	{
		ID: "NET-002", Severity: Mandatory,
		Rationale: "All-ports or all-protocols ingress defeats the point of a security group.",
		Fix:       "Open only the port the service listens on, with protocol tcp.",
		Check: func(s *Stack) []Finding {
			var out []Finding
			for _, r := range sgRules(s) {
				if r.ingress && r.allPorts() {
					out = append(out, find(r.res, "ingress on all ports (protocol %q, %v-%v)", r.protocol, r.from, r.to))
				}
			}
			return out
		},
	},
	{
		ID: "NET-003", Severity: Mandatory,
		Rationale: "The database accepts connections only from the app tasks.",
		Fix:       "Allow the database port from the ECS tasks' security group only.",
		Check: func(s *Stack) []Finding {
			dbSGs := groupsOf(s, typeRDS, "vpcSecurityGroupIds")
			taskSGs := groupsOf(s, typeService, "networkConfiguration.securityGroups")
			port := 5432.0
			for _, db := range s.ByType(typeRDS) {
				if p, ok := num(db.Get("port")); ok {
					port = p
				}
			}
			var out []Finding
			for _, r := range sgRules(s) {
				if !r.ingress || !slices.Contains(dbSGs, r.group) {
					continue
				}
				if !slices.Contains(taskSGs, r.peer) || len(r.cidrs) > 0 || r.from != port || r.to != port {
					out = append(out, find(r.res, "database ingress from %v%s on %v-%v", r.cidrs, r.peer, r.from, r.to))
				}
			}
			return out
		},
	},
	{
		ID: "NET-004", Severity: Mandatory,
		Rationale: "Tasks must not be reachable from the internet directly.",
		Fix:       "Set assignPublicIp false and place the service in the private subnets.",
		Check: func(s *Stack) []Finding {
			public := publicSubnets(s)
			private := privateSubnets(s)
			var out []Finding
			for _, r := range s.ByType(typeService) {
				if r.Get("networkConfiguration.assignPublicIp") == true {
					out = append(out, find(r, "tasks get public IPs"))
				}
				for _, sn := range strs(r.Get("networkConfiguration.subnets")) {
					if slices.Contains(public, sn) || (len(private) > 0 && !slices.Contains(private, sn)) {
						out = append(out, find(r, "subnet %s is not a private subnet", sn))
					}
				}
			}
			return out
		},
	},
	{
		ID: "NET-005", Severity: Mandatory,
		Rationale: "AWS's default security group allows all traffic between its members; nothing should fall back on it.",
		Fix:       "Adopt it with ec2.DefaultSecurityGroup and no rules.",
		Check: func(s *Stack) []Finding {
			var out []Finding
			vpcs := len(s.ByType(typeAwsxVpc, typeVpc))
			defaults := s.ByType(typeDefaultSG)
			for _, d := range defaults {
				if nonEmpty(d.Get("ingress")) || nonEmpty(d.Get("egress")) {
					out = append(out, find(d, "default security group has rules"))
				}
			}
			if len(defaults) < vpcs {
				for _, v := range s.ByType(typeAwsxVpc, typeVpc) {
					out = append(out, find(v, "VPC's default security group is not locked down"))
				}
			}
			return out
		},
	},
	{
		ID: "NET-006", Severity: Mandatory,
		Rationale: "Flow logs are the only record of who talked to what inside the VPC.",
		Fix:       "Add an ec2.FlowLog for the VPC with traffic type ALL.",
		Check: func(s *Stack) []Finding {
			var out []Finding
			logs := s.ByType(typeFlowLog)
			for _, v := range s.ByType(typeAwsxVpc, typeVpc) {
				covered := false
				for _, l := range logs {
					if l.str("trafficType") == "ALL" && (l.str("vpcId") == "" || l.str("vpcId") == v.str("vpcId") || l.str("vpcId") == v.str("id")) {
						covered = true
					}
				}
				if !covered {
					out = append(out, find(v, "VPC has no flow log capturing ALL traffic"))
				}
			}
			return out
		},
	},
	{
		ID: "NET-007", Severity: Mandatory,
		Rationale: "Egress to the whole internet is an exfiltration path; each one must be a written decision.",
		Fix:       "Narrow the destination (security group, prefix list, VPC endpoint) or declare the exception with its reason.",
		Check: func(s *Stack) []Finding {
			var out []Finding
			for _, r := range sgRules(s) {
				if !r.ingress && r.toWorld() {
					out = append(out, find(r.res, "egress to the internet on %s %v-%v", r.protocol, r.from, r.to))
				}
			}
			return out
		},
	},
}

func nonEmpty(v any) bool {
	list, ok := v.([]any)
	return ok && len(list) > 0
}
