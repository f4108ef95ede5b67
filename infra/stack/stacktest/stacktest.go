// Package stacktest runs Pulumi programs under mocks with a stack's real configuration and
// records every resource they declare, with plausible provider state, so tests can assert on
// inputs and hand the resources to infra/policy.
package stacktest

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"sync"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"go.yaml.in/yaml/v3"
)

// Project is the Pulumi project name (Pulumi.yaml) and so the config namespace.
const Project = "twin"

// TestOriginSecret is the origin secret LoadStackConfig supplies (a stack file holds it
// encrypted, which no test can read).
const TestOriginSecret = "test-origin-secret-0123456789abcdef0123456789"

// AccountID is the account the mocks' getCallerIdentity returns.
const AccountID = "111122223333"

// Resource is one declared resource: its type token, logical name, inputs and the mocked state
// (inputs plus provider-computed attributes), both as plain Go values.
type Resource struct {
	Type   string
	Name   string
	Custom bool
	// Protect is the resource's protect option (pulumi destroy refuses to delete it).
	Protect bool
	// Region is the region of the resource's provider (us-east-1 for CloudFront's certificate).
	Region string
	ID     string
	Inputs map[string]any
	State  map[string]any
}

// Mocks implements pulumi.MockResourceMonitor and records what the program declares.
type Mocks struct {
	Region string

	mu        sync.Mutex
	resources []Resource
	providers map[string]string // provider resource id → its region
}

// regionOf is the region of the provider a resource was registered with ("urn::id"), or the
// stack's region for the default provider.
func (m *Mocks) regionOf(provider string) string {
	m.mu.Lock()
	defer m.mu.Unlock()
	if i := strings.LastIndex(provider, "::"); i >= 0 {
		if r, ok := m.providers[provider[i+2:]]; ok {
			return r
		}
	}
	return m.Region
}

// Resources returns the recorded resources sorted by type and name.
func (m *Mocks) Resources() []Resource {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := append([]Resource(nil), m.resources...)
	sort.Slice(out, func(i, j int) bool {
		if out[i].Type != out[j].Type {
			return out[i].Type < out[j].Type
		}
		return out[i].Name < out[j].Name
	})
	return out
}

// Call answers the provider functions the stack invokes.
func (m *Mocks) Call(args pulumi.MockCallArgs) (resource.PropertyMap, error) {
	switch args.Token {
	case "aws:index/getCallerIdentity:getCallerIdentity":
		return resource.NewPropertyMapFromMap(map[string]any{
			"accountId": AccountID, "arn": "arn:aws:iam::" + AccountID + ":user/ci", "userId": "AIDEXAMPLE", "id": AccountID,
		}), nil
	case "aws:index/getRegion:getRegion":
		return resource.NewPropertyMapFromMap(map[string]any{"name": m.Region, "id": m.Region}), nil
	}
	return nil, fmt.Errorf("stacktest: no mock for call %s", args.Token)
}

var nonAlnum = regexp.MustCompile(`[^a-z0-9]+`)

// NewResource returns an id and a plausible state: what the AWS provider would compute
// (ARNs, names, URLs, domain names), so that outputs built from them resolve.
func (m *Mocks) NewResource(args pulumi.MockResourceArgs) (string, resource.PropertyMap, error) {
	in := Plain(resource.NewObjectProperty(args.Inputs)).(map[string]any)
	state := map[string]any{}
	for k, v := range in {
		state[k] = v
	}
	slug := strings.Trim(nonAlnum.ReplaceAllString(strings.ToLower(args.Name), "-"), "-")
	id := slug + "-id"
	region, acct := m.regionOf(args.Provider), AccountID
	name, _ := in["name"].(string)
	if name == "" {
		name = slug + "-1a2b3c"
	}
	set := func(kv ...any) {
		for i := 0; i < len(kv); i += 2 {
			state[kv[i].(string)] = kv[i+1]
		}
	}
	switch args.TypeToken {
	case "aws:s3/bucketV2:BucketV2":
		id = slug + "-1a2b3c"
		set("bucket", id, "arn", "arn:aws:s3:::"+id, "bucketRegionalDomainName", id+".s3."+region+".amazonaws.com",
			"bucketDomainName", id+".s3.amazonaws.com", "region", region)
	case "aws:lambda/function:Function":
		id = name
		arn := fmt.Sprintf("arn:aws:lambda:%s:%s:function:%s", region, acct, name)
		set("name", name, "arn", arn, "version", "1", "qualifiedArn", arn+":1",
			"invokeArn", fmt.Sprintf("arn:aws:apigateway:%s:lambda:path/2015-03-31/functions/%s/invocations", region, arn))
	case "aws:lambda/alias:Alias":
		fn, _ := in["functionName"].(string)
		arn := fmt.Sprintf("arn:aws:lambda:%s:%s:function:%s:%s", region, acct, fn, name)
		id = arn
		set("arn", arn, "invokeArn", fmt.Sprintf("arn:aws:apigateway:%s:lambda:path/2015-03-31/functions/%s/invocations", region, arn))
	case "aws:lambda/functionUrl:FunctionUrl":
		set("functionUrl", "https://"+slug+"abcdefghijklmnop.lambda-url."+region+".on.aws/", "urlId", slug)
	case "aws:apigatewayv2/api:Api":
		id = "a1b2c3d4e5"
		set("apiEndpoint", "https://"+id+".execute-api."+region+".amazonaws.com",
			"executionArn", fmt.Sprintf("arn:aws:execute-api:%s:%s:%s", region, acct, id),
			"arn", fmt.Sprintf("arn:aws:apigateway:%s::/apis/%s", region, id))
	case "aws:apigatewayv2/stage:Stage":
		id = name
	case "aws:apigatewayv2/domainName:DomainName":
		dn, _ := in["domainName"].(string)
		id = dn
		conf, _ := in["domainNameConfiguration"].(map[string]any)
		c := map[string]any{}
		for k, v := range conf {
			c[k] = v
		}
		c["targetDomainName"] = "d-abc123.execute-api." + region + ".amazonaws.com"
		c["hostedZoneId"] = "ZAPIGWEXAMPLE"
		set("domainNameConfiguration", c)
	case "aws:cloudfront/distribution:Distribution":
		id = "E1ABCDEFGHIJKL"
		set("arn", "arn:aws:cloudfront::"+acct+":distribution/"+id, "domainName", "d1abcdefgh.cloudfront.net",
			"hostedZoneId", "Z2FDTNDATAQYW2")
	case "aws:cloudfront/function:Function":
		set("arn", "arn:aws:cloudfront::"+acct+":function/"+name)
	case "aws:acm/certificate:Certificate":
		dn, _ := in["domainName"].(string)
		arn := fmt.Sprintf("arn:aws:acm:%s:%s:certificate/%s", region, acct, slug)
		id = arn
		set("arn", arn, "domainValidationOptions", []any{map[string]any{
			"domainName": dn, "resourceRecordName": "_abc." + dn + ".", "resourceRecordType": "CNAME",
			"resourceRecordValue": "_def.acm-validations.aws.",
		}})
	case "aws:acm/certificateValidation:CertificateValidation":
		id = fmt.Sprint(in["certificateArn"])
	case "aws:route53/record:Record":
		set("fqdn", in["name"])
	case "aws:iam/role:Role":
		set("arn", "arn:aws:iam::"+acct+":role/"+name, "name", name)
		id = name
	case "aws:iam/openIdConnectProvider:OpenIdConnectProvider":
		set("arn", "arn:aws:iam::"+acct+":oidc-provider/token.actions.githubusercontent.com")
	case "aws:cloudwatch/logGroup:LogGroup":
		id = name
		set("arn", fmt.Sprintf("arn:aws:logs:%s:%s:log-group:%s", region, acct, name))
	case "aws:secretsmanager/secret:Secret":
		arn := fmt.Sprintf("arn:aws:secretsmanager:%s:%s:secret:%s-AbCdEf", region, acct, name)
		id = arn
		set("arn", arn)
	case "aws:kms/key:Key":
		id = "1234abcd-12ab-34cd-56ef-1234567890ab"
		set("arn", fmt.Sprintf("arn:aws:kms:%s:%s:key/%s", region, acct, id), "keyId", id)
	case "aws:sns/topic:Topic":
		arn := fmt.Sprintf("arn:aws:sns:%s:%s:%s", region, acct, name)
		id = arn
		set("arn", arn)
	case "aws:wafv2/webAcl:WebAcl":
		set("arn", fmt.Sprintf("arn:aws:wafv2:%s:%s:global/webacl/%s/%s", region, acct, name, id))
	case "aws:cloudwatch/dashboard:Dashboard":
		set("dashboardArn", "arn:aws:cloudwatch::"+acct+":dashboard/"+fmt.Sprint(in["dashboardName"]))
	case "pulumi:providers:aws":
		id = slug + "-provider"
		m.mu.Lock()
		if m.providers == nil {
			m.providers = map[string]string{}
		}
		m.providers[id] = fmt.Sprint(in["region"])
		m.mu.Unlock()
	default:
		if _, ok := state["arn"]; !ok && strings.HasPrefix(args.TypeToken, "aws:") {
			svc := strings.SplitN(strings.TrimPrefix(args.TypeToken, "aws:"), "/", 2)[0]
			set("arn", fmt.Sprintf("arn:aws:%s:%s:%s:%s", svc, region, acct, name))
		}
	}
	if _, ok := state["id"]; !ok {
		state["id"] = id
	}
	m.mu.Lock()
	m.resources = append(m.resources, Resource{
		Type: args.TypeToken, Name: args.Name, Custom: args.Custom, Protect: args.RegisterRPC.GetProtect(), Region: region,
		ID: id, Inputs: in, State: state,
	})
	m.mu.Unlock()
	return id, resource.NewPropertyMapFromMap(state), nil
}

// Plain turns a property value into plain Go values: secrets are unwrapped, assets and
// archives become {"path": ...}, unknowns become nil.
func Plain(v resource.PropertyValue) any {
	switch {
	case v.IsNull(), v.IsComputed():
		return nil
	case v.IsSecret():
		return Plain(v.SecretValue().Element)
	case v.IsOutput():
		if !v.OutputValue().Known {
			return nil
		}
		return Plain(v.OutputValue().Element)
	case v.IsString():
		return v.StringValue()
	case v.IsNumber():
		return v.NumberValue()
	case v.IsBool():
		return v.BoolValue()
	case v.IsArray():
		out := []any{}
		for _, e := range v.ArrayValue() {
			out = append(out, Plain(e))
		}
		return out
	case v.IsObject():
		out := map[string]any{}
		for k, e := range v.ObjectValue() {
			out[string(k)] = Plain(e)
		}
		return out
	case v.IsAsset():
		return map[string]any{"path": v.AssetValue().Path, "text": v.AssetValue().Text}
	case v.IsArchive():
		return map[string]any{"path": v.ArchiveValue().Path}
	case v.IsResourceReference():
		return v.ResourceReferenceValue().URN.Name()
	}
	return v.Mappable()
}

// Root is the repository root (where Pulumi.yaml lives), found from the working directory.
func Root() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for d := dir; ; d = filepath.Dir(d) {
		if _, err := os.Stat(filepath.Join(d, "Pulumi.yaml")); err == nil {
			return d, nil
		}
		if filepath.Dir(d) == d {
			return "", fmt.Errorf("no Pulumi.yaml above %s", dir)
		}
	}
}

// LoadStackConfig reads Pulumi.<stack>.yaml into the flat "namespace:key" → string map the
// Pulumi engine hands a program (PULUMI_CONFIG): structured values are JSON-encoded.
func LoadStackConfig(stack string) (map[string]string, error) {
	root, err := Root()
	if err != nil {
		return nil, err
	}
	raw, err := os.ReadFile(filepath.Join(root, "Pulumi."+stack+".yaml"))
	if err != nil {
		return nil, err
	}
	var doc struct {
		Config map[string]any `yaml:"config"`
	}
	if err := yaml.Unmarshal(raw, &doc); err != nil {
		return nil, fmt.Errorf("stack file Pulumi.%s.yaml: %w", stack, err)
	}
	// The origin secret is secret config, encrypted in a real stack file: a fixed test value.
	out := Fixtures(root)
	out[Project+":originSecret"] = TestOriginSecret
	for k, v := range doc.Config {
		if !strings.Contains(k, ":") {
			k = Project + ":" + k
		}
		switch v := v.(type) {
		case string:
			out[k] = v
		case map[string]any:
			if _, secure := v["secure"]; secure {
				return nil, fmt.Errorf("stack file Pulumi.%s.yaml: %s is a secret; the stack must not need one", stack, k)
			}
			b, _ := json.Marshal(v)
			out[k] = string(b)
		case []any:
			b, _ := json.Marshal(v)
			out[k] = string(b)
		default:
			out[k] = fmt.Sprint(v)
		}
	}
	return out, nil
}

// Fixtures are the config keys that point a mocked run at small stand-ins under testdata/
// instead of the real build outputs: a fake bootstrap.zip (so tests do not cross-compile the
// app; tools/lambdabuild tests the real build) and a fake static export.
func Fixtures(root string) map[string]string {
	dir := filepath.Join(root, "infra", "stack", "stacktest", "testdata")
	return map[string]string{
		Project + ":lambdaArchive": filepath.Join(dir, "bootstrap.zip"),
		Project + ":siteDir":       filepath.Join(dir, "site"),
	}
}

// Result is what one mocked run produced.
type Result struct {
	Resources []Resource
	Outputs   map[string]string
}

// Run runs program under mocks as stack with config (from LoadStackConfig, possibly edited)
// and returns the declared resources and the resolved string outputs the program exported
// through export.
func Run(stack string, config map[string]string, program func(ctx *pulumi.Context, export func(string, pulumi.StringOutput)) error) (*Result, error) {
	mocks := &Mocks{Region: config["aws:region"]}
	var mu sync.Mutex
	outputs := map[string]string{}
	withConfig := func(info *pulumi.RunInfo) { info.Config = config }
	err := pulumi.RunErr(func(ctx *pulumi.Context) error {
		return program(ctx, func(name string, v pulumi.StringOutput) {
			// Exported, so RunErr waits for the capture itself: an apply nobody awaits may run
			// after RunErr returns (outputs then went missing now and then).
			ctx.Export(name, v.ApplyT(func(s string) string {
				mu.Lock()
				outputs[name] = s
				mu.Unlock()
				return s
			}))
		})
	}, pulumi.WithMocks(Project, stack, mocks), withConfig)
	if err != nil {
		return nil, err
	}
	return &Result{Resources: mocks.Resources(), Outputs: outputs}, nil
}

// Find returns the resources of type typ (a token such as "aws:lambda/function:Function").
func (r *Result) Find(typ string) []Resource {
	var out []Resource
	for _, res := range r.Resources {
		if res.Type == typ {
			out = append(out, res)
		}
	}
	return out
}

// Named returns the resource of type typ with logical name name, or nil.
func (r *Result) Named(typ, name string) *Resource {
	for i := range r.Resources {
		if r.Resources[i].Type == typ && r.Resources[i].Name == name {
			return &r.Resources[i]
		}
	}
	return nil
}
