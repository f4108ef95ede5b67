package stack_test

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/digitaltwin/twin/app/httpapi"
	"github.com/digitaltwin/twin/infra/policy"
	"github.com/digitaltwin/twin/infra/stack/stacktest"
)

// TestOriginsAcceptOnlyCloudFront: CloudFront adds the origin secret to both API origins (HTTP
// API and function URL) and to no other; the functions get only the secret's ARN and a rotation
// marker (never the value), the secret holds exactly the configured values, the execute-api
// host is closed whenever CloudFront reaches the API at its custom domain, and a missing or
// weak secret fails the deploy with one line naming the key.
func TestOriginsAcceptOnlyCloudFront(t *testing.T) {
	for _, s := range stacks {
		t.Run(s.name, func(t *testing.T) {
			res := mustDeploy(t, s.name, nil)
			cfg, _ := stacktest.LoadStackConfig(s.name)
			edge, err := stacktest.NewEdge(res)
			if err != nil {
				t.Fatal(err)
			}
			for id, o := range edge.Origins {
				got, has := o.CustomHeaders[httpapi.OriginHeader]
				if api := id == "api" || id == "stream"; api != has || (has && got != stacktest.TestOriginSecret) {
					t.Errorf("origin %s: %s = %q (set %v)", id, httpapi.OriginHeader, got, has)
				}
			}
			secret := one(t, res, policy.TypeSecret, s.prefix+"-origin-secret")
			var value map[string]string
			version := one(t, res, "aws:secretsmanager/secretVersion:SecretVersion", s.prefix+"-origin-secret-value")
			if err := json.Unmarshal([]byte(fmt.Sprint(version.Inputs["secretString"])), &value); err != nil || value["current"] != stacktest.TestOriginSecret || value["previous"] != "" {
				t.Errorf("secret value %v %v", value, err)
			}
			for _, fn := range []string{s.prefix + "-http", s.prefix + "-stream"} {
				env := get(one(t, res, policy.TypeFunction, fn).Inputs, "environment", "variables").(map[string]any)
				if env["ORIGIN_SECRET_ID"] != secret.State["arn"] || len(fmt.Sprint(env["ORIGIN_ROTATION"])) != 12 {
					t.Errorf("%s: ORIGIN_SECRET_ID %v ORIGIN_ROTATION %v", fn, env["ORIGIN_SECRET_ID"], env["ORIGIN_ROTATION"])
				}
				for k, v := range env {
					if strings.Contains(fmt.Sprint(v), stacktest.TestOriginSecret) {
						t.Errorf("%s: %s holds the origin secret", fn, k)
					}
				}
			}
			api := one(t, res, "aws:apigatewayv2/api:Api", s.prefix+"-api")
			domain := cfg["twin:apiDomain"]
			if api.Inputs["disableExecuteApiEndpoint"] != (domain != "") {
				t.Errorf("disableExecuteApiEndpoint %v with apiDomain %q", api.Inputs["disableExecuteApiEndpoint"], domain)
			}
			want := strings.TrimPrefix(fmt.Sprint(api.State["apiEndpoint"]), "https://")
			if domain != "" {
				want = domain
			}
			if edge.Origins["api"].Domain != want {
				t.Errorf("CloudFront's API origin %s, want %s", edge.Origins["api"].Domain, want)
			}
		})
	}
	rotated := mustDeploy(t, "staging", func(c map[string]string) {
		c["twin:originSecretPrevious"] = stacktest.TestOriginSecret
		c["twin:originSecret"] = strings.Repeat("n", 40)
	})
	base := mustDeploy(t, "staging", nil)
	rotation := func(res *stacktest.Result) any {
		return get(one(t, res, policy.TypeFunction, "twin-staging-http").Inputs, "environment", "variables", "ORIGIN_ROTATION")
	}
	if rotation(rotated) == rotation(base) {
		t.Error("a rotation leaves the functions' configuration as it was: warm instances would keep the old values")
	}
	for name, edit := range map[string]func(map[string]string){
		"originSecret":         func(c map[string]string) { delete(c, "twin:originSecret") },
		"originSecret ":        func(c map[string]string) { c["twin:originSecret"] = "short" },
		"originSecretPrevious": func(c map[string]string) { c["twin:originSecretPrevious"] = c["twin:originSecret"] },
	} {
		if _, err := deploy(t, "staging", edit); err == nil || !strings.Contains(err.Error(), "twin:"+strings.TrimSpace(name)+" ") {
			t.Errorf("%s: deploy error %v", name, err)
		}
	}
}
