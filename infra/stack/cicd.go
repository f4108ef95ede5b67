package stack

import (
	"fmt"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/iam"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// GitHubOIDCHost is GitHub Actions' OIDC issuer.
const GitHubOIDCHost = "token.actions.githubusercontent.com"

// DeployRole is the role GitHub Actions assumes through OIDC: no long-lived keys. Its trust is
// pinned to one repository and one GitHub environment (the one with required reviewers for prod).
type DeployRole struct {
	pulumi.ResourceState

	Role *iam.Role
}

// NewDeployRole creates the OIDC provider (unless an existing one is configured), the role and
// its least-privilege policies (deployGrants): no AWS managed policy, names scoped to the
// stack's prefix, roles only with the stack's permissions boundary
// (docs/decisions/0010-least-privilege-deploy-role.md).
func NewDeployRole(ctx *pulumi.Context, cfg *Config, accountID pulumi.StringInput, boundary *iam.Policy, opts ...pulumi.ResourceOption) (*DeployRole, error) {
	r := &DeployRole{}
	name := cfg.Prefix + "-deploy"
	if err := ctx.RegisterComponentResource("twin:stack:DeployRole", name, r, opts...); err != nil {
		return nil, err
	}
	p := pulumi.Parent(r)
	providerArn := pulumi.String(cfg.GitHubOIDCProviderArn).ToStringOutput()
	if cfg.GitHubOIDCProviderArn == "" {
		// One provider per account and URL: a second stack in the same account must set
		// githubOidcProviderArn to the first stack's provider instead.
		oidc, err := iam.NewOpenIdConnectProvider(ctx, name+"-github-oidc", &iam.OpenIdConnectProviderArgs{
			Url:           pulumi.String("https://" + GitHubOIDCHost),
			ClientIdLists: pulumi.StringArray{pulumi.String("sts.amazonaws.com")},
			// AWS no longer checks the thumbprint for this issuer, but the API still wants one.
			ThumbprintLists: pulumi.StringArray{pulumi.String("6938fd4d98bab03faadb97b34396831e3780aea1")},
		}, p)
		if err != nil {
			return nil, err
		}
		providerArn = oidc.Arn
	}
	subject := fmt.Sprintf("repo:%s:environment:%s", cfg.GitHubRepository, cfg.GitHubEnvironment)
	var err error
	r.Role, err = iam.NewRole(ctx, name+"-role", &iam.RoleArgs{
		Description:        pulumi.String("GitHub Actions deploys of " + cfg.Prefix + " from " + subject),
		MaxSessionDuration: pulumi.Int(3600),
		AssumeRolePolicy: policyJSON(func(v []any) (PolicyDocument, error) {
			return Policy(Statement{
				Effect:    "Allow",
				Principal: map[string]any{"Federated": v[0].(string)},
				Action:    []string{"sts:AssumeRoleWithWebIdentity"},
				Condition: map[string]map[string]any{"StringEquals": {
					GitHubOIDCHost + ":aud": "sts.amazonaws.com",
					GitHubOIDCHost + ":sub": subject,
				}},
			}), nil
		}, providerArn),
	}, p)
	if err != nil {
		return nil, err
	}
	// No AWS managed policy: the stack's own policies, one per service group (a managed
	// policy holds at most 6,144 characters), built from the stack's prefix and boundary.
	for _, g := range deployGrants(cfg, deployARNs{Account: "account", Boundary: "boundary"}) {
		group := g.Name
		pol, err := iam.NewPolicy(ctx, name+"-"+group, &iam.PolicyArgs{
			Name:        pulumi.String(name + "-" + group),
			Description: pulumi.String("CI deploys of " + cfg.Prefix + ": " + group),
			Policy: policyJSON(func(v []any) (PolicyDocument, error) {
				for _, g := range deployGrants(cfg, deployARNs{Account: v[0].(string), Boundary: v[1].(string)}) {
					if g.Name == group {
						return Policy(g.Statements...), nil
					}
				}
				return PolicyDocument{}, fmt.Errorf("deploy grant %q vanished", group)
			}, accountID, boundary.Arn),
		}, pulumi.Parent(r.Role))
		if err != nil {
			return nil, err
		}
		if _, err := iam.NewRolePolicyAttachment(ctx, name+"-"+group, &iam.RolePolicyAttachmentArgs{
			Role: r.Role.Name, PolicyArn: pol.Arn,
		}, pulumi.Parent(pol)); err != nil {
			return nil, err
		}
	}
	if err := ctx.RegisterResourceOutputs(r, pulumi.Map{"roleArn": r.Role.Arn}); err != nil {
		return nil, err
	}
	return r, nil
}
