package stack_test

import (
	"testing"
)

// TestAPIDomainTargetIsAnOutput: with apiDomain and no Route 53 zone (prod) nothing points the
// name at the API, so the stack outputs the record's target; with a zone it also creates the
// alias record; without apiDomain both outputs are empty.
func TestAPIDomainTargetIsAnOutput(t *testing.T) {
	const target, zone = "d-abc123.execute-api.eu-west-1.amazonaws.com", "ZAPIGWEXAMPLE" // the mocked domain name
	prod := mustDeploy(t, "prod", nil)
	if got := [2]any{prod.Outputs["apiDomainTarget"], prod.Outputs["apiDomainZoneId"]}; got != [2]any{target, zone} {
		t.Errorf("prod apiDomainTarget, apiDomainZoneId = %v, want %s, %s", got, target, zone)
	}
	if n := len(prod.Find("aws:route53/record:Record")); n != 0 {
		t.Errorf("prod has no hosted zone but %d DNS records", n)
	}

	zoned := mustDeploy(t, "prod", func(c map[string]string) {
		c["twin:hostedZoneId"] = "Z0PRODEXAMPLE"
		delete(c, "twin:apiCertificateArn")
	})
	rec := one(t, zoned, "aws:route53/record:Record", "twin-prod-api-a")
	alias := rec.Inputs["aliases"].([]any)[0].(map[string]any)
	if rec.Inputs["name"] != "api.twin.example.com" || alias["name"] != target || alias["zoneId"] != zone {
		t.Errorf("API alias record %v", rec.Inputs)
	}

	staging := mustDeploy(t, "staging", nil)
	if staging.Outputs["apiDomainTarget"] != "" || staging.Outputs["apiDomainZoneId"] != "" {
		t.Errorf("staging has no apiDomain but outputs %v / %v", staging.Outputs["apiDomainTarget"], staging.Outputs["apiDomainZoneId"])
	}
}
