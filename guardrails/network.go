package guardrails

import (
	"slices"

	"github.com/octabyte/octabyte/plan"
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
	typeSubnet      = "aws:ec2/subnet:Subnet"
	typeVpcEndpoint = "aws:ec2/vpcEndpoint:VpcEndpoint"
)

var world = []string{"0.0.0.0/0", "::/0"}

// sgRule is a security-group rule from any of the four ways to write one.
// group and peer are references (see Resource.refs); nil with a name in
// unknown when a value unknown at preview cannot be traced.
type sgRule struct {
	res      Resource
	group    []string // the security group the rule belongs to
	ingress  bool
	protocol string
	from, to float64
	cidrs    []string
	peer     []string // referenced security group
	// unknown names the inputs only apply can tell, by what they decide.
	unknownGroup, unknownPeer, unknownCIDRs, unknownPorts []string
}

func (r sgRule) allPorts() bool {
	return r.protocol == "-1" || r.protocol == "all" || (r.from <= 0 && r.to >= 65535)
}

func (r sgRule) toWorld() bool {
	return slices.ContainsFunc(r.cidrs, func(c string) bool { return slices.Contains(world, c) })
}

// ruleFrom reads one rule's fields from r at the given input names.
func ruleFrom(r Resource, group []string, groupKnown bool, ingress bool, protocol, from, to string, cidrs []string, peer string) sgRule {
	out := sgRule{res: r, group: group, ingress: ingress}
	if !groupKnown {
		out.unknownGroup = []string{"securityGroupId"}
	}
	out.protocol = r.str(protocol)
	out.from, _ = num(r.Get(from))
	out.to, _ = num(r.Get(to))
	out.unknownPorts = unknowns(r, protocol, from, to)
	for _, c := range cidrs {
		out.cidrs = append(out.cidrs, strs(r.Get(c))...)
	}
	out.unknownCIDRs = unknowns(r, cidrs...)
	var ok bool
	if out.peer, ok = r.refs(peer, typeSG); !ok {
		out.unknownPeer = []string{peer}
	}
	return out
}

func sgRules(s *Stack) []sgRule {
	var out []sgRule
	for _, r := range s.ByType(typeIngressRule, typeEgressRule) {
		group, ok := r.refs("securityGroupId", typeSG)
		out = append(out, ruleFrom(r, group, ok, r.Type == typeIngressRule, "ipProtocol", "fromPort", "toPort", []string{"cidrIpv4", "cidrIpv6"}, "referencedSecurityGroupId"))
	}
	for _, r := range s.ByType(typeLegacyRule) {
		group, ok := r.refs("securityGroupId", typeSG)
		out = append(out, ruleFrom(r, group, ok, r.str("type") == "ingress", "protocol", "fromPort", "toPort", []string{"cidrBlocks", "ipv6CidrBlocks"}, "sourceSecurityGroupId"))
	}
	for _, r := range s.ByType(typeSG) {
		for dir, key := range map[bool]string{true: "ingress", false: "egress"} {
			if r.unknown(key) {
				out = append(out, sgRule{res: r, group: []string{r.self("id")}, ingress: dir,
					unknownPorts: []string{key}, unknownCIDRs: []string{key}, unknownPeer: []string{key}})
				continue
			}
			list, _ := r.Get(key).([]any)
			for _, item := range list {
				m, _ := item.(map[string]any)
				rule := sgRule{res: r, group: []string{r.self("id")}, ingress: dir}
				rule.protocol, _ = m["protocol"].(string)
				rule.from, _ = num(m["fromPort"])
				rule.to, _ = num(m["toPort"])
				rule.cidrs = append(strs(m["cidrBlocks"]), strs(m["ipv6CidrBlocks"])...)
				peer, ok := plan.Refs(m["securityGroups"], r.Deps[key], typeSG)
				if !ok {
					rule.unknownPeer = []string{key}
				}
				rule.peer = peer
				out = append(out, rule)
			}
		}
	}
	return out
}

// vpcs are the stack's VPCs, each once. awsx's Vpc registers an
// aws:ec2/vpc:Vpc as its child (awsx/ec2/vpc.ts); the engine shows the
// policy pack both, and they are one VPC, which the component stands for.
func vpcs(s *Stack) []Resource {
	awsx := map[string]bool{}
	for _, v := range s.ByType(typeAwsxVpc) {
		awsx[v.URN] = true
	}
	var out []Resource
	for _, v := range s.ByType(typeAwsxVpc, typeVpc) {
		if v.Type == typeVpc && awsx[v.Parent] {
			continue
		}
		out = append(out, v)
	}
	return out
}

// groupsOf collects references to the security groups a resource type
// attaches at path; ok is false when one cannot be traced at preview.
func groupsOf(s *Stack, typ, path string) (groups []string, ok bool) {
	ok = true
	for _, r := range s.ByType(typ) {
		refs, traced := r.refs(path, typeSG)
		groups = append(groups, refs...)
		ok = ok && traced
	}
	return groups, ok
}

// member says whether every ref is in set, when both sides are known.
func member(refs []string, set []string) bool {
	for _, r := range refs {
		if !slices.Contains(set, r) {
			return false
		}
	}
	return len(refs) > 0
}

// vpcSubnets are the VPC's public and private subnet ids; ok is false when
// they are unknown until apply (awsx computes them).
func vpcSubnets(s *Stack) (public, private []string, ok bool) {
	ok = true
	for _, v := range s.ByType(typeAwsxVpc) {
		if v.unknown("publicSubnetIds") || v.unknown("privateSubnetIds") {
			ok = false
		}
		public = append(public, strs(v.Get("publicSubnetIds"))...)
		private = append(private, strs(v.Get("privateSubnetIds"))...)
	}
	return public, private, ok
}

// subnetProblems checks that the subnets at path are private ones: a
// finding per public or foreign subnet, or one pending finding when the
// subnets cannot be compared before apply.
func subnetProblems(s *Stack, r Resource, path, what string) []Finding {
	public, private, known := vpcSubnets(s)
	if !known || r.unknown(path) {
		return []Finding{pending(r, []string{path}, "%s are only known after apply", what)}
	}
	var out []Finding
	for _, sn := range strs(r.Get(path)) {
		if slices.Contains(public, sn) || (len(private) > 0 && !slices.Contains(private, sn)) {
			out = append(out, find(r, "subnet %s is not a private subnet", sn))
		}
	}
	return out
}

var networkRules = []Rule{
	{
		ID: "NET-001", Severity: Mandatory,
		Rationale: "Only the load balancer may be reached from the internet, and only on HTTP/HTTPS.",
		Fix:       "Reference a security group instead of 0.0.0.0/0, or put the resource behind the ALB.",
		Check: func(s *Stack) []Finding {
			albSGs, albKnown := groupsOf(s, typeLB, "securityGroups")
			var out []Finding
			for _, r := range sgRules(s) {
				if !r.ingress {
					continue
				}
				if len(r.unknownCIDRs) > 0 {
					out = append(out, pending(r.res, r.unknownCIDRs, "source of ingress"))
					continue
				}
				if !r.toWorld() {
					continue
				}
				webPort := r.from == r.to && (r.from == 80 || r.from == 443) && r.protocol == "tcp"
				switch {
				case len(r.unknownPorts) > 0:
					out = append(out, pending(r.res, r.unknownPorts, "ports of ingress from the internet"))
				case !webPort:
					out = append(out, find(r.res, "ingress from the internet on %s %v-%v", r.protocol, r.from, r.to))
				case len(r.unknownGroup) > 0 || !albKnown:
					out = append(out, pending(r.res, append(r.unknownGroup, "securityGroups of the load balancer"), "whether the internet reaches the load balancer only"))
				case !member(r.group, albSGs):
					out = append(out, find(r.res, "ingress from the internet on %s %v-%v to a group other than the load balancer's", r.protocol, r.from, r.to))
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
				switch {
				case !r.ingress:
				case len(r.unknownPorts) > 0:
					out = append(out, pending(r.res, r.unknownPorts, "ports of ingress"))
				case r.allPorts():
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
			dbSGs, dbKnown := groupsOf(s, typeRDS, "vpcSecurityGroupIds")
			taskSGs, taskKnown := groupsOf(s, typeService, "networkConfiguration.securityGroups")
			port := 5432.0
			for _, db := range s.ByType(typeRDS) {
				if p, ok := num(db.Get("port")); ok {
					port = p
				}
			}
			var out []Finding
			for _, r := range sgRules(s) {
				if !r.ingress {
					continue
				}
				if len(r.unknownGroup) > 0 || !dbKnown {
					out = append(out, pending(r.res, append(r.unknownGroup, "vpcSecurityGroupIds of the database"), "whether this ingress reaches the database"))
					continue
				}
				if !member(r.group, dbSGs) {
					continue
				}
				out = append(out, fromTasksOnly(r, "database", port, taskSGs, taskKnown)...)
			}
			return out
		},
	},
	{
		ID: "NET-004", Severity: Mandatory,
		Rationale: "Tasks must not be reachable from the internet directly.",
		Fix:       "Set assignPublicIp false and place the service in the private subnets.",
		Check: func(s *Stack) []Finding {
			var out []Finding
			for _, r := range s.ByType(typeService) {
				switch public := r.Get("networkConfiguration.assignPublicIp"); {
				case plan.IsUnknown(public):
					out = append(out, pending(r, []string{"networkConfiguration.assignPublicIp"}, "whether tasks get public IPs"))
				case public == true:
					out = append(out, find(r, "tasks get public IPs"))
				}
				out = append(out, subnetProblems(s, r, "networkConfiguration.subnets", "the service's subnets")...)
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
			defaults := s.ByType(typeDefaultSG)
			for _, d := range defaults {
				switch {
				case nonEmpty(d.Get("ingress")) || nonEmpty(d.Get("egress")):
					out = append(out, find(d, "default security group has rules"))
				case d.unknown("ingress") || d.unknown("egress"):
					out = append(out, pending(d, unknowns(d, "ingress", "egress"), "default security group rules"))
				}
			}
			if all := vpcs(s); len(defaults) < len(all) {
				for _, v := range all {
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
			for _, v := range vpcs(s) {
				vpc := []string{v.self("vpcId"), v.self("id")}
				covered, pendingOn := false, []string(nil)
				for _, l := range logs {
					target, traced := l.refs("vpcId", typeAwsxVpc, typeVpc)
					switch {
					case l.unknown("trafficType"):
						pendingOn = append(pendingOn, "trafficType")
					case l.str("trafficType") != "ALL":
					case !traced:
						pendingOn = append(pendingOn, "vpcId")
					case len(target) == 0 || slices.ContainsFunc(target, func(t string) bool { return slices.Contains(vpc, t) }):
						covered = true
					}
				}
				switch {
				case covered:
				case len(pendingOn) > 0:
					out = append(out, pending(v, pendingOn, "whether a flow log covers the VPC"))
				default:
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
				switch {
				case r.ingress:
				case len(r.unknownCIDRs) > 0:
					out = append(out, pending(r.res, r.unknownCIDRs, "destination of egress"))
				case r.toWorld():
					out = append(out, find(r.res, "egress to the internet on %s %v-%v", r.protocol, r.from, r.to))
				}
			}
			return out
		},
	},
	{
		ID: "NET-008", Severity: Mandatory,
		Rationale: "No subnet hands out public IPs: only the load balancer and the NAT gateway face the internet, with addresses of their own.",
		Fix:       "Set mapPublicIpOnLaunch false (network.NoPublicIPOnLaunch does it for awsx's subnets).",
		Check: func(s *Stack) []Finding {
			var out []Finding
			for _, sn := range s.ByType(typeSubnet) {
				out = append(out, expect(sn, "subnet gives everything launched in it a public IP", want{"mapPublicIpOnLaunch", func(v any) bool { return v != true }})...)
			}
			return out
		},
	},
	{
		ID: "NET-009", Severity: Mandatory,
		Rationale: "Interface endpoints answer HTTPS from the app tasks only.",
		Fix:       "Give each interface endpoint a security group whose only ingress is tcp 443 from the tasks' group.",
		Check:     endpointIngress,
	},
}

// fromTasksOnly checks an ingress rule of a group that only the app tasks
// may reach, on one TCP port: a finding when it admits anything else, a
// pending one while its source or ports are unknown.
func fromTasksOnly(r sgRule, what string, port float64, taskSGs []string, taskKnown bool) []Finding {
	switch {
	case len(r.unknownCIDRs) > 0 || len(r.unknownPorts) > 0:
		return []Finding{pending(r.res, append(r.unknownCIDRs, r.unknownPorts...), "%s ingress", what)}
	case len(r.cidrs) > 0 || r.protocol != "tcp" || r.from != port || r.to != port:
		return []Finding{find(r.res, "%s ingress from %v%v on %s %v-%v", what, r.cidrs, r.peer, r.protocol, r.from, r.to)}
	case len(r.unknownPeer) > 0 || !taskKnown:
		return []Finding{pending(r.res, append(r.unknownPeer, "securityGroups of the service"), "%s ingress source", what)}
	case !member(r.peer, taskSGs):
		return []Finding{find(r.res, "%s ingress from %v, not the app tasks' group", what, r.peer)}
	}
	return nil
}

// endpointIngress checks the ingress of the interface endpoints' security
// groups: HTTPS from the app tasks' group, nothing else.
func endpointIngress(s *Stack) []Finding {
	taskSGs, taskKnown := groupsOf(s, typeService, "networkConfiguration.securityGroups")
	var out, pendingRules []Finding
	var endpointSGs []string
	for _, e := range s.ByType(typeVpcEndpoint) {
		if e.str("vpcEndpointType") != "Interface" {
			continue
		}
		groups, traced := e.refs("securityGroupIds", typeSG)
		switch {
		case !traced:
			out = append(out, pending(e, []string{"securityGroupIds"}, "the endpoint's security groups"))
		case len(groups) == 0:
			out = append(out, find(e, "interface endpoint without a security group: the VPC's default group applies"))
		}
		endpointSGs = append(endpointSGs, groups...)
	}
	if len(endpointSGs) == 0 {
		return out
	}
	for _, r := range sgRules(s) {
		switch {
		case !r.ingress:
		case len(r.unknownGroup) > 0:
			pendingRules = append(pendingRules, pending(r.res, r.unknownGroup, "whether this ingress reaches an interface endpoint"))
		case member(r.group, endpointSGs):
			out = append(out, fromTasksOnly(r, "interface endpoint", 443, taskSGs, taskKnown)...)
		}
	}
	return append(out, pendingRules...)
}

func nonEmpty(v any) bool {
	list, ok := v.([]any)
	return ok && len(list) > 0
}
