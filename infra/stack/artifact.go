package stack

import (
	"fmt"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/digitaltwin/twin/tools/lambdabuild"
)

// lambdaCode is the functions' code: the zip and its SHA-256 (Lambda's CodeSha256 form), which
// Pulumi compares to decide whether the code changed.
type lambdaCode struct {
	archive pulumi.Archive
	hash    string
}

// buildLambdaCode builds bootstrap.zip from the checkout with tools/lambdabuild (the same
// reproducible build as `make lambda`, written to the same build/lambda/bootstrap.zip), so
// `pulumi up` always deploys the source it runs from. A prebuilt zip is used only when config
// lambdaArchive names one explicitly. Failures are one line.
func buildLambdaCode(ctx *pulumi.Context, cfg *Config) (lambdaCode, error) {
	var (
		a   lambdabuild.Artifact
		err error
	)
	if cfg.LambdaArchive != "" {
		if a, err = lambdabuild.Hash(ProjectPath(ctx, cfg.LambdaArchive), ""); err != nil {
			return lambdaCode{}, fmt.Errorf("config %s:lambdaArchive: %w (unset it to build from source)", cfg.Project, err)
		}
	} else if a, err = lambdabuild.Build(ctx.Context(), lambdabuild.Options{Root: ProjectPath(ctx, ".")}); err != nil {
		return lambdaCode{}, err
	}
	return lambdaCode{archive: pulumi.NewFileArchive(a.Path), hash: a.SourceCodeHash()}, nil
}
