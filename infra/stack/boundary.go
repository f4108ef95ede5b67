package stack

import (
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/iam"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// BoundaryName is the name of the stack's permissions boundary, "<prefix>-boundary": the CI
// deploy role may create and change a role only when it carries this policy as its boundary
// (docs/decisions/0010-least-privilege-deploy-role.md).
func BoundaryName(prefix string) string { return prefix + "-boundary" }

// NewBoundary creates the permissions boundary every role of the stack (but the deploy role,
// which an administrator creates) carries: the union of what the functions' runtime policies
// grant, over any of the stack's function log groups. However the deploy role writes a role's
// own policies, the role can never do more than this.
func NewBoundary(ctx *pulumi.Context, cfg *Config, d functionDeps) (*iam.Policy, error) {
	name := BoundaryName(cfg.Prefix)
	return iam.NewPolicy(ctx, name, &iam.PolicyArgs{
		Name:        pulumi.String(name),
		Description: pulumi.String("Permissions boundary of every role " + cfg.Prefix + " creates"),
		Policy:      runtimePolicy(cfg, d, "/aws/lambda/"+cfg.Prefix+"-*"),
	})
}
