package config

import (
	"regexp"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/octabyte/octabyte/dns"
)

var (
	// A DNS label: letters, digits and inner hyphens, at most 63 characters
	// (RFC 1035, as Route 53 and ACM accept names). Lowercase only, so the
	// name in config is the name in every record and certificate.
	dnsLabelPattern = regexp.MustCompile(`^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$`)
	// Route 53 hosted zone ids are "Z" and uppercase letters and digits, at
	// most 32 characters (HostedZone.Id, Route 53 API Reference).
	zoneIDPattern = regexp.MustCompile(`^Z[A-Z0-9]{1,31}$`)
	acmPattern    = regexp.MustCompile(`^arn:aws[a-z-]*:acm:[a-z0-9-]+:\d{12}:certificate/[0-9a-f-]{36}$`)
)

// readDomain reads the name the service answers on and where its
// certificate comes from: ACM, validated through the domain's hosted zone,
// or one the user brings. With either, the ALB serves HTTPS.
func readDomain(r *reader, c *Config) dns.DomainArgs {
	d := dns.DomainArgs{
		Name: r.str("domainName", "",
			"Name the service answers on over HTTPS, e.g. app.example.com: an ACM certificate validated through Route 53, an alias record to the ALB, :80 redirecting to :443"),
		HostedZoneID: r.str("hostedZoneId", "",
			"Public Route 53 hosted zone of octabyte:domainName; empty looks up the zone of its registered domain (example.com for app.example.com)"),
		CertificateArn: r.str("certificateArn", "",
			"ACM certificate ARN you bring instead of the one the stack issues; the ALB serves HTTPS on 443 with it and redirects 80"),
	}
	if d.Name != "" && !validDomainName(d.Name) {
		r.fail("domainName", d.Name, "must be a lowercase DNS name such as app.example.com: two or more labels of letters, digits and inner hyphens, at most 63 characters each")
	} else if _, err := dns.ZoneName(d.Name); d.Name != "" && err != nil {
		r.fail("domainName", d.Name, "is a public suffix; name a domain registered under it, such as app.example.com")
	}
	switch {
	case d.HostedZoneID == "":
	case !zoneIDPattern.MatchString(d.HostedZoneID):
		r.fail("hostedZoneId", d.HostedZoneID, "must be a Route 53 hosted zone id such as Z0123456789ABCDEFGHIJ (without /hostedzone/)")
	case d.Name == "":
		r.fail("hostedZoneId", d.HostedZoneID, "needs octabyte:domainName: the zone is where the stack writes that name's records")
	}
	if d.CertificateArn != "" {
		if !acmPattern.MatchString(d.CertificateArn) {
			r.fail("certificateArn", d.CertificateArn, "must be an ACM certificate ARN (arn:aws:acm:<region>:<account>:certificate/<uuid>)")
		}
		if !strings.Contains(d.CertificateArn, ":acm:"+c.Region+":") {
			r.fail("certificateArn", d.CertificateArn, "must be in the stack's region %s (the ALB can only use certificates from its own region)", c.Region)
		}
		c.Compute.Certificate = pulumi.String(d.CertificateArn)
	}
	return d
}

func validDomainName(name string) bool {
	labels := strings.Split(name, ".")
	if len(name) > 253 || len(labels) < 2 {
		return false
	}
	for _, l := range labels {
		if !dnsLabelPattern.MatchString(l) {
			return false
		}
	}
	return true
}

// noHTTPSNotice is the warning for a production stack that serves plain
// HTTP: what to set for HTTPS.
func noHTTPSNotice(stack string) string {
	return stack + " serves plain HTTP: set octabyte:domainName (e.g. app.example.com) for a certificate, HTTPS on 443 and :80 redirecting to it - " +
		"with octabyte:hostedZoneId when the name's public Route 53 zone is not the one of its registered domain - or octabyte:certificateArn to bring your own certificate"
}
