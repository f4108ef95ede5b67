package policy_test

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/digitaltwin/twin/infra/policy"
	"github.com/digitaltwin/twin/infra/stack"
	"github.com/digitaltwin/twin/infra/stack/stacktest"
)

// deployStack runs a real stack (its Pulumi.<name>.yaml) under mocks.
func deployStack(t *testing.T, name string) []policy.Resource {
	t.Helper()
	cfg, err := stacktest.LoadStackConfig(name)
	if err != nil {
		t.Fatal(err)
	}
	res, err := stacktest.Run(name, cfg, func(ctx *pulumi.Context, _ func(string, pulumi.StringOutput)) error {
		_, err := stack.Deploy(ctx)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return resources(res)
}

// TestPrivilegeEscalationIsCaught: in both real stacks, a broad AWS managed policy on any role,
// a role without the boundary, or role writing without the boundary condition each fail
// the matching policy.
func TestPrivilegeEscalationIsCaught(t *testing.T) {
	for _, name := range []string{"staging", "prod"} {
		good := deployStack(t, name)
		if vs := policy.Check(good); len(vs) > 0 {
			t.Fatalf("%s is not clean:\n%s", name, join(vs))
		}
		roleName := func(rs []policy.Resource, match string) string {
			for _, r := range rs {
				if r.Type == policy.TypeRole && strings.Contains(r.Name, match) {
					return r.Props["name"].(string)
				}
			}
			t.Fatalf("%s: no role matching %q", name, match)
			return ""
		}
		attach := func(match, arn string) func([]policy.Resource) []policy.Resource {
			return func(rs []policy.Resource) []policy.Resource {
				return append(rs, policy.Resource{Type: policy.TypeAttachment, Name: "extra", Props: map[string]any{
					"role": roleName(rs, match), "policyArn": arn,
				}})
			}
		}
		edit := func(typ, match string, mutate func(map[string]any)) func([]policy.Resource) []policy.Resource {
			return func(rs []policy.Resource) []policy.Resource {
				for _, r := range rs {
					if r.Type == typ && strings.Contains(r.Name, match) {
						mutate(r.Props)
						return rs
					}
				}
				t.Fatalf("%s: no %s matching %q", name, typ, match)
				return nil
			}
		}
		for what, tc := range map[string]struct {
			change func([]policy.Resource) []policy.Resource
			want   string
		}{
			"PowerUserAccess on the deploy role":       {attach("deploy-role", "arn:aws:iam::aws:policy/PowerUserAccess"), "iam-managed-policies"},
			"AdministratorAccess on a function role":   {attach("http-role", "arn:aws:iam::aws:policy/AdministratorAccess"), "iam-managed-policies"},
			"ReadOnlyAccess as a managed policy list":  {edit(policy.TypeRole, "stream-role", func(p map[string]any) { p["managedPolicyArns"] = []any{"arn:aws:iam::aws:policy/ReadOnlyAccess"} }), "iam-managed-policies"},
			"a function role without the boundary":     {edit(policy.TypeRole, "http-role", func(p map[string]any) { delete(p, "permissionsBoundary") }), "iam-permissions-boundary"},
			"an AWS managed policy as the boundary":    {edit(policy.TypeRole, "http-role", func(p map[string]any) { p["permissionsBoundary"] = "arn:aws:iam::aws:policy/AdministratorAccess" }), "iam-managed-policies"},
			"role writing without the boundary clause": {edit(policy.TypeIAMPolicy, "deploy-iam", dropCondition("RolesWithinBoundary")), "iam-permissions-boundary"},
		} {
			t.Run(name+"/"+what, func(t *testing.T) {
				vs := policy.Check(tc.change(clone(good)))
				if got := policiesHit(vs); !slices.Contains(got, tc.want) || len(got) > 2 {
					t.Errorf("policies hit %v, want %s:\n%s", got, tc.want, join(vs))
				}
			})
		}
	}
}

// dropCondition removes the Condition of the statement with the given Sid.
func dropCondition(sid string) func(map[string]any) {
	return func(p map[string]any) {
		var d map[string]any
		_ = json.Unmarshal([]byte(p["policy"].(string)), &d)
		for _, st := range d["Statement"].([]any) {
			if m := st.(map[string]any); m["Sid"] == sid {
				delete(m, "Condition")
			}
		}
		b, _ := json.Marshal(d)
		p["policy"] = string(b)
	}
}
