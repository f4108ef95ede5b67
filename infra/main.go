// Command infra is the Pulumi program of the Digital Twin (Pulumi.yaml: runtime go, main infra/).
// Everything is in infra/stack; this only runs it and exports the outputs.
package main

import (
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/digitaltwin/twin/infra/stack"
)

func main() {
	pulumi.Run(func(ctx *pulumi.Context) error {
		out, err := stack.Deploy(ctx)
		if err != nil {
			return err
		}
		for name, v := range out.Map() {
			ctx.Export(name, v)
		}
		return nil
	})
}
