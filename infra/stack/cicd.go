package stack

import (
	"fmt"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/iam"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// GitHubOIDCHost is GitHub Actions' OIDC issuer.
const GitHubOIDCHost = "token.actions.githubusercontent.com"

// DeployerManagedPolicy is the one AWS managed policy the CI deploy role gets. A deployer must
// create and delete every kind of resource in the stack, which no exact-ARN policy can name
// before the resources exist; PowerUserAccess excludes IAM, which is added back below only for
// this stack's own roles. infra/policy allow-lists this attachment and nothing else.
const DeployerManagedPolicy = "arn:aws:iam::aws:policy/PowerUserAccess"

// DeployRole is the role GitHub Actions assumes through OIDC: no long-lived keys. Its trust is
// pinned to one repository and one GitHub environment (the one with required reviewers for prod).
type DeployRole struct {
	pulumi.ResourceState

	Role *iam.Role
}

// NewDeployRole creates the OIDC provider (unless an existing one is configured) and the role.
func NewDeployRole(ctx *pulumi.Context, cfg *Config, accountID pulumi.StringInput, opts ...pulumi.ResourceOption) (*DeployRole, error) {
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
	if _, err := iam.NewRolePolicyAttachment(ctx, name+"-power-user", &iam.RolePolicyAttachmentArgs{
		Role: r.Role.Name, PolicyArn: pulumi.String(DeployerManagedPolicy),
	}, pulumi.Parent(r.Role)); err != nil {
		return nil, err
	}
	if _, err := iam.NewRolePolicy(ctx, name+"-iam", &iam.RolePolicyArgs{
		Role: r.Role.ID(),
		Policy: policyJSON(func(v []any) (PolicyDocument, error) {
			account := v[0].(string)
			return Policy(
				Allow("OwnRoles", []string{
					"iam:CreateRole", "iam:DeleteRole", "iam:GetRole", "iam:UpdateRole", "iam:TagRole", "iam:UntagRole",
					"iam:UpdateAssumeRolePolicy", "iam:PutRolePolicy", "iam:GetRolePolicy", "iam:DeleteRolePolicy",
					"iam:ListRolePolicies", "iam:ListAttachedRolePolicies", "iam:ListInstanceProfilesForRole",
					"iam:AttachRolePolicy", "iam:DetachRolePolicy",
				}, fmt.Sprintf("arn:aws:iam::%s:role/%s-*", account, cfg.Prefix)),
				Statement{
					Sid: "PassOwnRolesToLambda", Effect: "Allow", Action: []string{"iam:PassRole"},
					Resource:  []string{fmt.Sprintf("arn:aws:iam::%s:role/%s-*", account, cfg.Prefix)},
					Condition: map[string]map[string]any{"StringEquals": {"iam:PassedToService": "lambda.amazonaws.com"}},
				},
				// The deploy role cannot change itself (that would make it an administrator): its
				// own changes need a human `pulumi up` with administrator credentials.
				Statement{
					Sid: "NotItself", Effect: "Deny",
					Action: []string{"iam:UpdateAssumeRolePolicy", "iam:PutRolePolicy", "iam:DeleteRolePolicy",
						"iam:AttachRolePolicy", "iam:DetachRolePolicy", "iam:DeleteRole", "iam:UpdateRole"},
					Resource: []string{fmt.Sprintf("arn:aws:iam::%s:role/%s-*", account, name)},
				},
				Allow("ReadOIDCProvider", []string{"iam:GetOpenIDConnectProvider"},
					fmt.Sprintf("arn:aws:iam::%s:oidc-provider/%s", account, GitHubOIDCHost)),
			), nil
		}, accountID),
	}, pulumi.Parent(r.Role)); err != nil {
		return nil, err
	}
	if err := ctx.RegisterResourceOutputs(r, pulumi.Map{"roleArn": r.Role.Arn}); err != nil {
		return nil, err
	}
	return r, nil
}
