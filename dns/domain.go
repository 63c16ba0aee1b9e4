// Package dns gives the service its name: the public Route 53 hosted zone
// that serves the domain, and an ACM certificate for it, validated through
// that zone before anything uses it.
package dns

import (
	"fmt"
	"strings"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/acm"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/route53"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"golang.org/x/net/publicsuffix"
)

// DomainArgs configures a Domain.
type DomainArgs struct {
	// Name is the name the service answers on, e.g. app.example.com or
	// example.com. Required.
	Name string
	// HostedZoneID is the public hosted zone that serves Name. Empty looks
	// up the public zone named after Name's registered domain (see ZoneName).
	HostedZoneID string
	// CertificateArn is a certificate the user brings for Name; empty
	// issues one from ACM, validated through the zone.
	CertificateArn string
}

// Domain is the zone that serves the name and a certificate for it.
type Domain struct {
	pulumi.ResourceState

	Name   string
	ZoneID string // looked up, so known at plan time
	// CertificateArn is only known once ACM has issued the certificate: a
	// listener that uses it waits for the validation.
	CertificateArn pulumi.StringOutput
}

// ZoneName is the hosted zone looked up for a name when no zone id is
// given: its registered domain by the public suffix list (example.com for
// app.example.com, example.co.in for app.example.co.in). A name that is
// itself a public suffix (com, co.in) has none.
func ZoneName(name string) (string, error) {
	return publicsuffix.EffectiveTLDPlusOne(name)
}

// Serves reports whether the zone named zone holds records for name.
func Serves(zone, name string) bool {
	zone = strings.TrimSuffix(zone, ".")
	return name == zone || strings.HasSuffix(name, "."+zone)
}

// NewDomain finds the hosted zone and, unless a certificate is given,
// issues a DNS-validated ACM certificate for the name.
func NewDomain(ctx *pulumi.Context, name string, args *DomainArgs, opts ...pulumi.ResourceOption) (*Domain, error) {
	zone, err := lookupZone(ctx, args)
	if err != nil {
		return nil, err
	}
	d := &Domain{Name: args.Name, ZoneID: zone}
	if err := ctx.RegisterComponentResource("octabyte:dns:Domain", name, d, opts...); err != nil {
		return nil, err
	}
	if args.CertificateArn != "" {
		d.CertificateArn = pulumi.String(args.CertificateArn).ToStringOutput()
	} else if d.CertificateArn, err = issueCertificate(ctx, args.Name, zone, pulumi.Parent(d)); err != nil {
		return nil, err
	}
	return d, ctx.RegisterResourceOutputs(d, pulumi.Map{
		"name":           pulumi.String(d.Name),
		"zoneId":         pulumi.String(d.ZoneID),
		"certificateArn": d.CertificateArn,
	})
}

// lookupZone returns the id of the public zone that serves the name. The
// lookup is a data source: it runs at preview, so a wrong zone fails the
// preview before anything is created.
func lookupZone(ctx *pulumi.Context, a *DomainArgs) (string, error) {
	var query *route53.LookupZoneArgs
	if a.HostedZoneID != "" {
		query = &route53.LookupZoneArgs{ZoneId: &a.HostedZoneID}
	} else {
		zoneName, err := ZoneName(a.Name)
		if err != nil {
			return "", fmt.Errorf("domain %s: %w", a.Name, err)
		}
		query = &route53.LookupZoneArgs{Name: &zoneName, PrivateZone: pulumi.BoolRef(false)}
	}
	zone, err := route53.LookupZone(ctx, query)
	switch {
	case err != nil:
		return "", fmt.Errorf("finding the public hosted zone for %s: %w", a.Name, err)
	case zone.PrivateZone != nil && *zone.PrivateZone:
		return "", fmt.Errorf("hosted zone %s (%s) is private: ACM validates the certificate, and browsers find the service, through public DNS only", zone.ZoneId, zone.Name)
	case !Serves(zone.Name, a.Name):
		return "", fmt.Errorf("hosted zone %s is %s, which does not serve %s", zone.ZoneId, zone.Name, a.Name)
	}
	return zone.ZoneId, nil
}

// issueCertificate requests a public certificate for one name and
// validates it with the CNAME record ACM asks for; the ARN it returns
// resolves once ACM has issued the certificate.
func issueCertificate(ctx *pulumi.Context, name, zoneID string, parent pulumi.ResourceOption) (pulumi.StringOutput, error) {
	cert, err := acm.NewCertificate(ctx, "certificate", &acm.CertificateArgs{
		DomainName:       pulumi.String(name),
		ValidationMethod: pulumi.String("DNS"),
	}, parent)
	if err != nil {
		return pulumi.StringOutput{}, err
	}
	// A certificate for one name has exactly one validation option.
	option := cert.DomainValidationOptions.Index(pulumi.Int(0))
	record, err := route53.NewRecord(ctx, "certificate-validation", &route53.RecordArgs{
		ZoneId:  pulumi.String(zoneID),
		Name:    option.ResourceRecordName().Elem(),
		Type:    option.ResourceRecordType().Elem(),
		Records: pulumi.StringArray{option.ResourceRecordValue().Elem()},
		Ttl:     pulumi.Int(300),
		// ACM asks for the same CNAME for a name in every certificate of the
		// account ("DNS validation", ACM User Guide): a replacement
		// certificate finds the record already in place.
		AllowOverwrite: pulumi.Bool(true),
	}, parent)
	if err != nil {
		return pulumi.StringOutput{}, err
	}
	validation, err := acm.NewCertificateValidation(ctx, "certificate", &acm.CertificateValidationArgs{
		CertificateArn:        cert.Arn,
		ValidationRecordFqdns: pulumi.StringArray{record.Fqdn},
	}, parent)
	if err != nil {
		return pulumi.StringOutput{}, err
	}
	return validation.CertificateArn, nil
}
