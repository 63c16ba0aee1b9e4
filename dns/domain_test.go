package dns_test

import (
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/octabyte/octabyte/dns"
	"github.com/octabyte/octabyte/plan"
	"github.com/octabyte/octabyte/plan/plantest"
)

// build runs NewDomain under the mock engine, whose hosted zones are named
// after the registered domain of octabyte:domainName.
func build(t *testing.T, mode plan.Mode, args dns.DomainArgs) (*plan.Plan, *dns.Domain) {
	t.Helper()
	var d *dns.Domain
	p, err := plan.RunProject(plan.Project, mode, func(ctx *pulumi.Context) error {
		var err error
		d, err = dns.NewDomain(ctx, "domain", &args)
		return err
	}, "test", map[string]string{"aws:region": "ap-south-1", "octabyte:domainName": args.Name})
	require.NoError(t, err)
	return p, d
}

func TestTheZoneLookedUpIsTheRegisteredDomain(t *testing.T) {
	for name, zone := range map[string]string{
		"app.example.com": "example.com", "example.com": "example.com",
		"app.example.co.in": "example.co.in", "a.b.example.co.in": "example.co.in",
	} {
		got, err := dns.ZoneName(name)
		require.NoError(t, err, name)
		assert.Equal(t, zone, got, name)
	}
	for _, suffix := range []string{"com", "co.in"} {
		_, err := dns.ZoneName(suffix)
		assert.Error(t, err, "%s is a public suffix: nobody's zone", suffix)
	}
}

func TestAZoneServesItsNameAndTheNamesBelow(t *testing.T) {
	assert.True(t, dns.Serves("example.com", "example.com"))
	assert.True(t, dns.Serves("example.com.", "app.example.com"))
	assert.False(t, dns.Serves("example.com", "badexample.com"), "a suffix is not a subdomain")
	assert.False(t, dns.Serves("app.example.com", "example.com"))
}

// The certificate is DNS-validated through a record in the zone, and the
// ARN the domain hands on is the validation's: whatever uses it waits
// until ACM has issued the certificate.
func TestCertificateIsValidatedThroughTheZone(t *testing.T) {
	for _, mode := range []plan.Mode{plan.Apply, plan.Preview} {
		t.Run(mode.String(), func(t *testing.T) {
			p, d := build(t, mode, dns.DomainArgs{Name: "app.example.com"})
			cert := plantest.One(t, p, "aws:acm/certificate:Certificate")
			assert.Equal(t, "app.example.com", cert.Input("domainName"))
			assert.Equal(t, "DNS", cert.Input("validationMethod"))
			assert.Nil(t, cert.Input("subjectAlternativeNames"), "one name: one validation option")

			record := plantest.One(t, p, "aws:route53/record:Record")
			assert.Equal(t, d.ZoneID, record.Input("zoneId"))
			assert.Regexp(t, `^Z[0-9A-Z]+$`, d.ZoneID, "looked up, so known at preview")
			assert.Equal(t, 300.0, record.Input("ttl"))
			assert.Equal(t, true, record.Input("allowOverwrite"))
			validation := plantest.One(t, p, "aws:acm/certificateValidation:CertificateValidation")
			assert.True(t, validation.Refers("certificateArn", cert, "arn"))
			assert.ElementsMatch(t, []string{record.URN}, validation.PropertyDeps["validationRecordFqdns"])

			if mode == plan.Apply {
				option := cert.Outputs["domainValidationOptions"].([]any)[0].(map[string]any)
				assert.Equal(t, option["resourceRecordName"], record.Input("name"))
				assert.Equal(t, option["resourceRecordType"], record.Input("type"))
				assert.Equal(t, []any{option["resourceRecordValue"]}, record.Input("records"))
				assert.Equal(t, []any{record.Outputs["fqdn"]}, validation.Input("validationRecordFqdns"))
			} else {
				assert.Equal(t, []string{cert.URN}, record.PropertyDeps["name"], "the record is ACM's, known once the certificate exists")
			}
			out := make(chan string, 1)
			d.CertificateArn.ApplyT(func(arn string) string { out <- arn; return arn })
			if mode == plan.Apply {
				assert.Equal(t, cert.Outputs["arn"], <-out)
			}
		})
	}
}

func TestAGivenZoneIsUsedAsItIs(t *testing.T) {
	p, d := build(t, plan.Apply, dns.DomainArgs{Name: "app.example.com", HostedZoneID: "Z0123456789ABCDEFGHIJ"})
	assert.Equal(t, "Z0123456789ABCDEFGHIJ", d.ZoneID)
	assert.Equal(t, "Z0123456789ABCDEFGHIJ", plantest.One(t, p, "aws:route53/record:Record").Input("zoneId"))
}

func TestABroughtCertificateIssuesNothing(t *testing.T) {
	arn := "arn:aws:acm:ap-south-1:123456789012:certificate/00000000-0000-4000-8000-000000000000"
	p, d := build(t, plan.Apply, dns.DomainArgs{Name: "app.example.com", CertificateArn: arn})
	assert.Empty(t, p.ByType("aws:acm/certificate:Certificate"))
	assert.Empty(t, p.ByType("aws:route53/record:Record"))
	out := make(chan string, 1)
	d.CertificateArn.ApplyT(func(v string) string { out <- v; return v })
	assert.Equal(t, arn, <-out)
}

// A zone id that names another domain's zone fails before anything is
// created (the mock answers a zone id with the zone of the configured
// domain, here example.org).
func TestAZoneThatDoesNotServeTheNameIsAnError(t *testing.T) {
	p, err := plan.RunProject(plan.Project, plan.Preview, func(ctx *pulumi.Context) error {
		_, err := dns.NewDomain(ctx, "domain", &dns.DomainArgs{Name: "app.example.com", HostedZoneID: "Z0123456789ABCDEFGHIJ"})
		return err
	}, "test", map[string]string{"aws:region": "ap-south-1", "octabyte:domainName": "www.example.org"})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "hosted zone Z0123456789ABCDEFGHIJ is example.org, which does not serve app.example.com")
	assert.Empty(t, p.Resources)
}

// zoneAccount answers every zone lookup with the zone example.com, private
// or not, and records the lookups and the resources registered.
type zoneAccount struct {
	private    bool
	queries    []resource.PropertyMap
	registered []string
}

func (m *zoneAccount) NewResource(args pulumi.MockResourceArgs) (string, resource.PropertyMap, error) {
	m.registered = append(m.registered, args.TypeToken)
	return args.Name + "-id", args.Inputs, nil
}

func (m *zoneAccount) Call(args pulumi.MockCallArgs) (resource.PropertyMap, error) {
	m.queries = append(m.queries, args.Args)
	return resource.NewPropertyMapFromMap(map[string]any{
		"id": "Z0EXAMPLE", "zoneId": "Z0EXAMPLE", "name": "example.com", "privateZone": m.private,
	}), nil
}

// runIn runs NewDomain in the account with a brought certificate: these
// tests are about the zone alone (the account answers no ACM fields).
func runIn(account *zoneAccount, args dns.DomainArgs) error {
	args.CertificateArn = "arn:aws:acm:ap-south-1:123456789012:certificate/00000000-0000-4000-8000-000000000000"
	return pulumi.RunErr(func(ctx *pulumi.Context) error {
		_, err := dns.NewDomain(ctx, "domain", &args)
		return err
	}, pulumi.WithMocks(plan.Project, "test", account))
}

// A private zone serves no public resolver: ACM could never validate the
// certificate and browsers could never find the name.
func TestAPrivateZoneIsAnError(t *testing.T) {
	account := &zoneAccount{private: true}
	err := runIn(account, dns.DomainArgs{Name: "app.example.com", HostedZoneID: "Z0EXAMPLE"})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "hosted zone Z0EXAMPLE (example.com) is private")
	assert.Empty(t, account.registered, "refused before anything is registered")
}

// Looked up by name, the zone asked for is the public one: an account may
// hold a private zone of the same name (split-horizon DNS), and Route 53
// would otherwise answer with either.
func TestALookupByNameAsksForThePublicZone(t *testing.T) {
	account := &zoneAccount{}
	require.NoError(t, runIn(account, dns.DomainArgs{Name: "app.example.com"}))
	require.Len(t, account.queries, 1)
	assert.Equal(t, resource.NewPropertyMapFromMap(map[string]any{"name": "example.com", "privateZone": false}), account.queries[0])
}
