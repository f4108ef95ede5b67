// Command policypack serves the checks of infra/policy as a Pulumi policy pack (analyzer
// plugin) through the experimental policyx SDK, so `pulumi preview --policy-pack infra/policypack`
// and `pulumi up --policy-pack ...` enforce what `go test ./infra/...` checks under mocks.
//
// Every policy is mandatory: a violation blocks the deployment. Unknown values (a preview's
// not-yet-created ARNs) are skipped; `pulumi up` analyzes again with the real values.
package main

import (
	"context"
	"fmt"
	"os"
	"strings"

	"github.com/blang/semver"
	"github.com/pulumi/pulumi/sdk/v3/go/property"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi/policyx"

	"github.com/digitaltwin/twin/infra/policy"
)

// Name and Version identify the pack to the engine.
const (
	Name    = "digital-twin"
	Version = "0.1.0"
)

func main() {
	if err := policyx.Main(func(*pulumi.Context) (policyx.PolicyPack, error) { return Pack() }); err != nil {
		fmt.Fprintln(os.Stderr, "policypack:", err)
		os.Exit(1)
	}
}

// Pack wraps each infra/policy check: per-resource checks as resource validation policies, stack
// checks as stack validation policies ("<name>-stack" when a check has both).
func Pack() (policyx.PolicyPack, error) {
	var ps []policyx.Policy
	for _, p := range policy.Policies() {
		if p.Resource != nil {
			check := p.Resource
			ps = append(ps, policyx.NewResourceValidationPolicy(p.Name, policyx.ResourceValidationPolicyArgs{
				Description:      p.Description,
				EnforcementLevel: policyx.EnforcementLevelMandatory,
				ValidateResource: func(_ context.Context, args policyx.ResourceValidationArgs) error {
					for _, msg := range check(toResource(args.Resource.Type, args.Resource.Name, args.Resource.Properties)) {
						args.Manager.ReportViolation(msg, "")
					}
					return nil
				},
			}))
		}
		if p.Stack != nil {
			name := p.Name
			if p.Resource != nil {
				name += "-stack"
			}
			check := p.Stack
			ps = append(ps, policyx.NewStackValidationPolicy(name, policyx.StackValidationPolicyArgs{
				Description:      p.Description,
				EnforcementLevel: policyx.EnforcementLevelMandatory,
				ValidateStack: func(_ context.Context, args policyx.StackValidationArgs) error {
					urns := map[string]string{}
					rs := make([]policy.Resource, 0, len(args.Resources))
					for _, r := range args.Resources {
						rs = append(rs, toResource(r.Type, r.Name, r.Properties))
						urns[r.Type+"::"+r.Name] = r.URN
					}
					for _, v := range check(rs) {
						args.Manager.ReportViolation(strings.TrimSpace(v.Resource+" "+v.Message), urns[v.Resource])
					}
					return nil
				},
			}))
		}
	}
	return policyx.NewPolicyPack(Name, semver.MustParse(Version), policyx.EnforcementLevelMandatory, ps)
}

func toResource(typ, name string, props property.Map) policy.Resource {
	m, _ := plain(property.New(props)).(map[string]any)
	return policy.Resource{Type: typ, Name: name, Props: m}
}

// plain turns a property value into the plain Go values infra/policy reads; unknowns become nil.
func plain(v property.Value) any {
	switch {
	case v.IsNull(), v.IsComputed():
		return nil
	case v.IsBool():
		return v.AsBool()
	case v.IsNumber():
		return v.AsNumber()
	case v.IsString():
		return v.AsString()
	case v.IsArray():
		out := []any{}
		for _, e := range v.AsArray().All {
			out = append(out, plain(e))
		}
		return out
	case v.IsMap():
		out := map[string]any{}
		for k, e := range v.AsMap().All {
			out[k] = plain(e)
		}
		return out
	case v.IsAsset():
		return map[string]any{"path": v.AsAsset().Path}
	case v.IsArchive():
		return map[string]any{"path": v.AsArchive().Path}
	case v.IsResourceReference():
		return string(v.AsResourceReference().URN)
	}
	return nil
}
