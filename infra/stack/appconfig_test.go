package stack_test

import (
	"fmt"
	"testing"

	"github.com/digitaltwin/twin/app/config"
	"github.com/digitaltwin/twin/infra/policy"
)

// TestEnvironmentIsAValidAppConfig feeds each function's environment, as the stacks declare
// it, to the app's own configuration parser: what infra sets is what the app accepts.
func TestEnvironmentIsAValidAppConfig(t *testing.T) {
	for _, s := range stacks {
		t.Run(s.name, func(t *testing.T) {
			res := mustDeploy(t, s.name, nil)
			for _, fn := range res.Find(policy.TypeFunction) {
				vars := get(fn.Inputs, "environment", "variables").(map[string]any)
				env := map[string]string{"AWS_REGION": s.region}
				for k, v := range vars {
					env[k] = fmt.Sprint(v)
				}
				c, err := config.Load(func(k string) string { return env[k] })
				if err != nil {
					t.Fatalf("%s: the app rejects its environment: %v", fn.Name, err)
				}
				if string(c.Environment) != s.env || string(c.LambdaFront) != vars["LAMBDA_FRONT"] ||
					len(c.CORSAllowedOrigins) != 1 || c.CORSAllowedOrigins[0] != "https://"+s.domain {
					t.Errorf("%s: parsed %+v", fn.Name, c)
				}
			}
		})
	}
}
