package stack_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/digitaltwin/twin/infra/policy"
	"github.com/digitaltwin/twin/infra/stack"
	"github.com/digitaltwin/twin/infra/stack/stacktest"
)

// TestDeployRoleIsLeastPrivilege reads the deploy role's resolved policies in both stacks: only
// the stack's own policies (no AWS managed one), each under IAM's 6,144-character limit; every
// named resource under the stack's own prefix and none under the other stack's; roles written
// only within the boundary, which every function role carries; PassRole only of its own roles
// to Lambda; and no way to change itself, its policies or the boundary.
func TestDeployRoleIsLeastPrivilege(t *testing.T) {
	for _, s := range stacks {
		t.Run(s.name, func(t *testing.T) {
			res := mustDeploy(t, s.name, nil)
			other := map[string]string{"twin-staging": "twin-prod", "twin-prod": "twin-staging"}[s.prefix]
			boundary := one(t, res, policy.TypeIAMPolicy, s.prefix+"-boundary")
			boundaryArn := boundary.State["arn"].(string)
			role := one(t, res, policy.TypeRole, s.prefix+"-deploy-role")

			var attached []string
			for _, a := range res.Find(policy.TypeAttachment) {
				if a.Inputs["role"] == role.State["name"] {
					attached = append(attached, a.Inputs["policyArn"].(string))
				}
			}
			var docs []string
			for _, group := range []string{"compute", "storage", "edge", "iam"} {
				p := one(t, res, policy.TypeIAMPolicy, s.prefix+"-deploy-"+group)
				if !slices.Contains(attached, p.State["arn"].(string)) {
					t.Errorf("policy %s is not attached to the deploy role (attached %v)", group, attached)
				}
				doc := p.Inputs["policy"].(string)
				if n := len(strings.Join(strings.Fields(doc), "")); n > 6144 {
					t.Errorf("policy %s is %d characters, over IAM's 6,144 for a managed policy", group, n)
				}
				docs = append(docs, doc)
			}
			if len(attached) != 4 {
				t.Errorf("deploy role attachments %v, want exactly its four policies", attached)
			}

			sids := map[string]statement{}
			for _, d := range docs {
				for _, st := range parseDoc(t, d).Statement {
					sids[st.Sid] = statement{st.Sid, st.Effect, st.Action, st.Resource, st.Condition}
					for _, r := range st.Resource {
						if st.Effect != "Allow" || r == "*" || strings.Contains(r, ":oidc-provider/") {
							continue
						}
						if !strings.Contains(r, s.prefix+"-") && !strings.Contains(r, "twin-"+s.env+"-") && !strings.HasSuffix(r, "/"+s.prefix) &&
							!strings.Contains(r, ":hostedzone/") && !strings.Contains(r, ":apigateway:") {
							t.Errorf("%s: resource %s is not scoped to %s", st.Sid, r, s.prefix)
						}
						if strings.Contains(r, other) {
							t.Errorf("%s: resource %s belongs to the other stack", st.Sid, r)
						}
					}
					if st.Effect == "Allow" && slices.Contains(st.Resource, "*") {
						for _, a := range st.Action {
							if _, ok := policy.DeployerStarActions[a]; !ok {
								t.Errorf("%s: %s on * is not in the deployer's allow-list", st.Sid, a)
							}
						}
					}
				}
			}
			within := sids["RolesWithinBoundary"]
			if !slices.Equal(within.Action, stack.BoundedRoleActions) || within.Condition["StringEquals"]["iam:PermissionsBoundary"] != boundaryArn {
				t.Errorf("RolesWithinBoundary %+v, want the role-writing actions only with boundary %s", within, boundaryArn)
			}
			if !slices.Equal(stack.BoundedRoleActions, policy.RoleWritingActions) {
				t.Errorf("the stack's bounded actions %v differ from the policy check's %v", stack.BoundedRoleActions, policy.RoleWritingActions)
			}
			pass := sids["PassOwnRolesToLambda"]
			if !slices.Equal(pass.Resource, []string{"arn:aws:iam::" + stacktest.AccountID + ":role/" + s.prefix + "-*"}) ||
				pass.Condition["StringEquals"]["iam:PassedToService"] != "lambda.amazonaws.com" {
				t.Errorf("PassRole %+v", pass)
			}
			deny := sids["AdministratorOnly"]
			for _, a := range []string{"iam:PutRolePolicy", "iam:AttachRolePolicy", "iam:CreatePolicyVersion", "iam:SetDefaultPolicyVersion"} {
				if deny.Effect != "Deny" || !slices.Contains(deny.Action, a) {
					t.Errorf("the deploy role is not denied %s on itself and the boundary: %+v", a, deny)
				}
			}
			if hop := sids["NoRoleHopping"]; hop.Effect != "Deny" || !slices.Contains(hop.Action, "sts:AssumeRole") {
				t.Errorf("the deploy role may assume the roles it writes: %+v", hop)
			}
			// Resources with generated ids are held to the stack's tag, so staging cannot touch prod's.
			for _, sid := range []string{"HTTPAPI", "Distribution", "Certificates"} {
				st, ok := sids[sid]
				if !ok && sid == "Certificates" && s.name == "prod" {
					continue // prod brings its certificates: the role may not request any
				}
				if st.Condition["StringEqualsIfExists"]["aws:ResourceTag/stack"] != s.name {
					t.Errorf("%s is not held to the stack tag %q: %+v", sid, s.name, st)
				}
			}
			for _, fn := range []string{"-http-role", "-stream-role"} {
				if b := one(t, res, policy.TypeRole, s.prefix+fn).Inputs["permissionsBoundary"]; b != boundaryArn {
					t.Errorf("%s boundary %v, want %s", fn, b, boundaryArn)
				}
			}
		})
	}
}

// statement is one resolved statement of the deploy role's policies.
type statement struct {
	Sid, Effect      string
	Action, Resource []string
	Condition        map[string]map[string]any
}
