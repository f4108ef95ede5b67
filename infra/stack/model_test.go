package stack_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/digitaltwin/twin/infra/policy"
	"github.com/digitaltwin/twin/infra/stack/stacktest"
)

// retiredModels are Bedrock models in the Legacy or End-of-Life state (Bedrock's model
// lifecycle page, checked December 2026): a stack file naming one fails every turn sooner or
// later. docs/deploy.md ("Choosing the model") says how to check a model before deploying.
var retiredModels = []string{
	"anthropic.claude-3-7-sonnet-20250219-v1:0",
	"anthropic.claude-3-5-sonnet-20241022-v2:0",
	"anthropic.claude-3-5-sonnet-20240620-v1:0",
	"anthropic.claude-3-sonnet-20240229-v1:0",
	"anthropic.claude-3-opus-20240229-v1:0",
	"anthropic.claude-v2:1",
	"anthropic.claude-instant-v1",
}

func TestProdModelIsCurrentAndStaysInTheEU(t *testing.T) {
	cfg, err := stacktest.LoadStackConfig("prod")
	if err != nil {
		t.Fatal(err)
	}
	id := cfg["twin:bedrockModelId"]
	model, ok := strings.CutPrefix(id, "eu.")
	if !ok {
		t.Fatalf("prod bedrockModelId %q is not an EU inference profile", id)
	}
	if slices.Contains(retiredModels, model) {
		t.Errorf("prod bedrockModelId %q names a retired model", id)
	}
	res := mustDeploy(t, "prod", nil)
	d := parseDoc(t, one(t, res, policy.TypeRolePolicy, "twin-prod-stream-policy").Inputs["policy"]).bySid()["InvokeModel"]
	for _, arn := range d.Resource[1:] {
		if region := strings.Split(arn, ":")[3]; !strings.HasPrefix(region, "eu-") {
			t.Errorf("prod grants the model in %s, outside the EU: %s", region, arn)
		}
	}
}

// TestGlobalProfileGrant: with bedrockGlobalRouting a global profile gets the grant AWS
// authorizes it with (profile, model in the source region, region-less model), and that grant
// passes the policy checks; without it the config is refused (TestConfigErrors).
func TestGlobalProfileGrant(t *testing.T) {
	const id = "global.anthropic.claude-sonnet-4-6"
	res := mustDeploy(t, "prod", func(c map[string]string) {
		c["twin:bedrockModelId"] = id
		c["twin:bedrockGlobalRouting"] = "true"
		delete(c, "twin:bedrockProfileRegions")
	})
	d := parseDoc(t, one(t, res, policy.TypeRolePolicy, "twin-prod-http-policy").Inputs["policy"]).bySid()["InvokeModel"]
	want := []string{
		"arn:aws:bedrock:eu-west-1:" + stacktest.AccountID + ":inference-profile/" + id,
		"arn:aws:bedrock:eu-west-1::foundation-model/anthropic.claude-sonnet-4-6",
		"arn:aws:bedrock:::foundation-model/anthropic.claude-sonnet-4-6",
	}
	if !slices.Equal(d.Resource, want) {
		t.Errorf("InvokeModel on %v, want %v", d.Resource, want)
	}
	if v := policy.Check(policyResources(res)); len(v) > 0 {
		t.Errorf("violations: %v", v)
	}
}
