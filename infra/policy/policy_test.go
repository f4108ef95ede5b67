package policy_test

import (
	"encoding/json"
	"maps"
	"slices"
	"strings"
	"testing"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/cloudfront"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/iam"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/lambda"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/s3"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/digitaltwin/twin/infra/policy"
	"github.com/digitaltwin/twin/infra/stack/stacktest"
)

func resources(res *stacktest.Result) []policy.Resource {
	out := make([]policy.Resource, 0, len(res.Resources))
	for _, r := range res.Resources {
		out = append(out, policy.Resource{Type: r.Type, Name: r.Name, Props: r.State})
	}
	return out
}

// policiesHit returns the set of policy names among the violations.
func policiesHit(vs []policy.Violation) []string {
	set := map[string]bool{}
	for _, v := range vs {
		set[v.Policy] = true
	}
	return slices.Sorted(maps.Keys(set))
}

// badProgram is a deliberately bad stack: every mistake the checks exist for.
func badProgram(ctx *pulumi.Context, _ func(string, pulumi.StringOutput)) error {
	b, err := s3.NewBucketV2(ctx, "public", &s3.BucketV2Args{})
	if err != nil {
		return err
	}
	if _, err := s3.NewBucketPublicAccessBlock(ctx, "public-pab", &s3.BucketPublicAccessBlockArgs{
		Bucket: b.ID(), BlockPublicAcls: pulumi.Bool(false), BlockPublicPolicy: pulumi.Bool(false),
		IgnorePublicAcls: pulumi.Bool(false), RestrictPublicBuckets: pulumi.Bool(false),
	}); err != nil {
		return err
	}
	if _, err := s3.NewBucketPolicy(ctx, "public-policy", &s3.BucketPolicyArgs{
		Bucket: b.ID(),
		Policy: b.Arn.ApplyT(func(arn string) string {
			return `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"` + arn + `/*"}]}`
		}).(pulumi.StringOutput),
	}); err != nil {
		return err
	}
	role, err := iam.NewRole(ctx, "wide", &iam.RoleArgs{
		AssumeRolePolicy: pulumi.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"lambda.amazonaws.com"},"Action":"sts:AssumeRole"}]}`),
	})
	if err != nil {
		return err
	}
	if _, err := iam.NewRolePolicy(ctx, "wide-policy", &iam.RolePolicyArgs{
		Role:   role.ID(),
		Policy: pulumi.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"}]}`),
	}); err != nil {
		return err
	}
	if _, err := iam.NewRolePolicy(ctx, "escalate", &iam.RolePolicyArgs{
		Role:   role.ID(),
		Policy: pulumi.String(`{"Version":"2012-10-17","Statement":[{"Sid":"MakeRoles","Effect":"Allow","Action":["iam:CreateRole","iam:AttachRolePolicy"],"Resource":"arn:aws:iam::111122223333:role/bad-*"}]}`),
	}); err != nil {
		return err
	}
	if _, err := iam.NewRolePolicyAttachment(ctx, "admin", &iam.RolePolicyAttachmentArgs{
		Role: role.Name, PolicyArn: pulumi.String("arn:aws:iam::aws:policy/AdministratorAccess"),
	}); err != nil {
		return err
	}
	fn, err := lambda.NewFunction(ctx, "leaky", &lambda.FunctionArgs{
		Name: pulumi.String("leaky"), Role: role.Arn, Runtime: pulumi.String("provided.al2023"),
		Handler: pulumi.String("bootstrap"), Code: pulumi.NewFileArchive("bootstrap.zip"),
		Environment: &lambda.FunctionEnvironmentArgs{Variables: pulumi.StringMap{
			"OPENAI_API_KEY": pulumi.String("sk-proj-abcdefghijklmnopqrstuvwxyz0123456789"),
		}},
	})
	if err != nil {
		return err
	}
	if _, err := lambda.NewFunctionUrl(ctx, "open-url", &lambda.FunctionUrlArgs{
		FunctionName: fn.Name, AuthorizationType: pulumi.String("NONE"),
	}); err != nil {
		return err
	}
	_, err = cloudfront.NewDistribution(ctx, "plain-http", &cloudfront.DistributionArgs{
		Enabled: pulumi.Bool(true),
		Origins: cloudfront.DistributionOriginArray{&cloudfront.DistributionOriginArgs{
			OriginId: pulumi.String("o"), DomainName: pulumi.String("example.com"),
			CustomOriginConfig: &cloudfront.DistributionOriginCustomOriginConfigArgs{
				HttpPort: pulumi.Int(80), HttpsPort: pulumi.Int(443),
				OriginProtocolPolicy: pulumi.String("http-only"), OriginSslProtocols: pulumi.ToStringArray([]string{"TLSv1", "TLSv1.2"}),
			},
		}},
		DefaultCacheBehavior: &cloudfront.DistributionDefaultCacheBehaviorArgs{
			TargetOriginId: pulumi.String("o"), ViewerProtocolPolicy: pulumi.String("allow-all"),
			AllowedMethods: pulumi.ToStringArray([]string{"GET", "HEAD"}), CachedMethods: pulumi.ToStringArray([]string{"GET", "HEAD"}),
		},
		Restrictions: &cloudfront.DistributionRestrictionsArgs{GeoRestriction: &cloudfront.DistributionRestrictionsGeoRestrictionArgs{
			RestrictionType: pulumi.String("none"),
		}},
		ViewerCertificate: &cloudfront.DistributionViewerCertificateArgs{CloudfrontDefaultCertificate: pulumi.Bool(true)},
	})
	return err
}

// TestBadVariantIsCaught runs the bad program under the same mocks as the real stacks: every
// policy fires.
func TestBadVariantIsCaught(t *testing.T) {
	res, err := stacktest.Run("bad", map[string]string{"aws:region": "eu-west-1"}, badProgram)
	if err != nil {
		t.Fatal(err)
	}
	vs := policy.Check(resources(res))
	var all []string
	for _, p := range policy.Policies() {
		all = append(all, p.Name)
	}
	slices.Sort(all)
	if got := policiesHit(vs); !slices.Equal(got, all) {
		t.Errorf("policies hit %v, want all %v", got, all)
	}
	for _, want := range []string{
		`wildcard action "s3:*"`,
		`action "s3:*" on resource "*" is not in the justified allow-list`,
		"AWS managed policy arn:aws:iam::aws:policy/AdministratorAccess",
		"may create or change roles without a required permissions boundary",
		"blockPublicPolicy is not true",
		"allows principal * (public)",
		"has no default encryption",
		"denying aws:SecureTransport=false",
		`authorizationType "NONE"`,
		"environment OPENAI_API_KEY holds a credential-shaped value",
		`viewerProtocolPolicy "allow-all"`,
		`originProtocolPolicy "http-only"`,
		"allows TLSv1",
		"default *.cloudfront.net certificate",
		"reservedConcurrentExecutions is not set",
		`logs to "/aws/lambda/leaky"`,
		"no metric alarms",
	} {
		if !slices.ContainsFunc(vs, func(v policy.Violation) bool { return strings.Contains(v.String(), want) }) {
			t.Errorf("no violation says %q; got:\n%s", want, join(vs))
		}
	}
}

func join(vs []policy.Violation) string {
	var b strings.Builder
	for _, v := range vs {
		b.WriteString("  " + v.String() + "\n")
	}
	return b.String()
}

// TestMutationsOfTheRealStack breaks one thing at a time in the real staging stack and checks
// that exactly the matching policy fires.
func TestMutationsOfTheRealStack(t *testing.T) {
	good := deployStack(t, "staging")
	if vs := policy.Check(good); len(vs) > 0 {
		t.Fatalf("staging is not clean:\n%s", join(vs))
	}
	for name, tc := range map[string]struct {
		typ    string
		match  string // substring of the resource name
		mutate func(props map[string]any)
		want   string
	}{
		"function URL NONE": {policy.TypeFunctionURL, "stream-url", func(p map[string]any) { p["authorizationType"] = "NONE" }, "function-url-auth"},
		"wildcard runtime policy": {policy.TypeRolePolicy, "http-policy", func(p map[string]any) {
			p["policy"] = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"}]}`
		}, "iam-least-privilege"},
		"wildcard over the bucket": {policy.TypeRolePolicy, "stream-policy", func(p map[string]any) {
			var d map[string]any
			_ = json.Unmarshal([]byte(p["policy"].(string)), &d)
			st := d["Statement"].([]any)[0].(map[string]any)
			res := st["Resource"].([]any)
			st["Resource"] = []any{strings.SplitN(res[0].(string), "/", 2)[0] + "/*"}
			b, _ := json.Marshal(d)
			p["policy"] = string(b)
		}, "iam-least-privilege"},
		"public bucket": {policy.TypeBucketPAB, "memory", func(p map[string]any) { p["blockPublicPolicy"] = false }, "bucket-not-public"},
		"public bucket policy": {policy.TypeBucketPolicy, "site-policy", func(p map[string]any) {
			p["policy"] = strings.Replace(p["policy"].(string), `{"Service":"cloudfront.amazonaws.com"}`, `"*"`, 1)
			p["policy"] = strings.Replace(p["policy"].(string), `"Condition":{"StringEquals":{"AWS:SourceArn"`, `"Condition":{"StringEquals":{"x"`, 1)
		}, "iam-least-privilege"},
		"secret in env": {policy.TypeFunction, "http", func(p map[string]any) {
			p["environment"].(map[string]any)["variables"].(map[string]any)["LLM_API_KEY"] = "sk-abcdefghijklmnopqrstuvwxyz012345"
		}, "no-secrets-in-env"},
		"plain HTTP viewers": {policy.TypeDistribution, "cdn", func(p map[string]any) {
			p["defaultCacheBehavior"].(map[string]any)["viewerProtocolPolicy"] = "allow-all"
		}, "https-only"},
		"TLS 1.0": {policy.TypeDistribution, "cdn", func(p map[string]any) {
			p["viewerCertificate"].(map[string]any)["minimumProtocolVersion"] = "TLSv1"
		}, "tls-minimum-1-2"},
		"no retention": {policy.TypeLogGroup, "http-logs", func(p map[string]any) { delete(p, "retentionInDays") }, "log-retention"},
		"no cost cap":  {policy.TypeFunction, "stream", func(p map[string]any) { delete(p, "reservedConcurrentExecutions") }, "lambda-cost-cap"},
		"no encryption": {policy.TypeBucketSSE, "memory", func(p map[string]any) {
			p["rules"] = []any{}
		}, "bucket-encrypted"},
		"trust any repo": {policy.TypeRole, "deploy-role", func(p map[string]any) {
			p["assumeRolePolicy"] = strings.Replace(p["assumeRolePolicy"].(string), "environment:staging", "*", 1)
		}, "iam-least-privilege"},
		"alarm without action": {policy.TypeMetricAlarm, "throttles", func(p map[string]any) { p["alarmActions"] = []any{} }, "alarms-exist"},
	} {
		t.Run(name, func(t *testing.T) {
			bad := clone(good)
			n := 0
			for i := range bad {
				if bad[i].Type == tc.typ && strings.Contains(bad[i].Name, tc.match) {
					tc.mutate(bad[i].Props)
					n++
					break
				}
			}
			if n == 0 {
				t.Fatalf("no %s matching %q", tc.typ, tc.match)
			}
			vs := policy.Check(bad)
			if got := policiesHit(vs); !slices.Equal(got, []string{tc.want}) {
				t.Errorf("policies hit %v, want [%s]:\n%s", got, tc.want, join(vs))
			}
		})
	}
}

// clone deep-copies resources through JSON so mutations do not leak between cases.
func clone(rs []policy.Resource) []policy.Resource {
	b, _ := json.Marshal(rs)
	var out []policy.Resource
	_ = json.Unmarshal(b, &out)
	return out
}

func TestIdentityARNs(t *testing.T) {
	for arn, ok := range map[string]bool{
		"arn:aws:s3:::bucket/sessions/*":                                 true,
		"arn:aws:s3:::bucket/me.txt":                                     true,
		"arn:aws:logs:eu-west-1:111122223333:log-group:/aws/lambda/fn:*": true,
		"arn:aws:iam::111122223333:role/twin-staging-*":                  true,
		"arn:aws:s3:::twin-staging-*":                                    true,
		"arn:aws:bedrock:eu-west-1::foundation-model/anthropic.claude":   true,
		"arn:aws:s3:::bucket/*":                                          false,
		"arn:aws:s3:::*":                                                 false,
		"arn:aws:lambda:eu-west-1:111122223333:function:*":               false,
		"arn:aws:secretsmanager:*:111122223333:secret:x":                 false,
		"arn:aws:logs:eu-west-1:*:log-group:x":                           false,
		"arn:aws:s3:::bucket/*/x":                                        false,
		"arn:aws:iam::111122223333:role/*":                               false,
	} {
		doc := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:GetObject"],"Resource":["` + arn + `"]}]}`
		vs := policy.Check([]policy.Resource{{Type: policy.TypeRolePolicy, Name: "p", Props: map[string]any{"policy": doc}}})
		if got := len(vs) == 0; got != ok {
			t.Errorf("%s: accepted %v, want %v (%v)", arn, got, ok, vs)
		}
	}
}

func TestStarResourceAllowList(t *testing.T) {
	ok := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["xray:PutTraceSegments","xray:PutSpans"],"Resource":"*"}]}`
	bad := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["xray:PutSpans","s3:ListAllMyBuckets"],"Resource":"*"}]}`
	notAction := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","NotAction":"iam:*","Resource":"arn:aws:s3:::b/k"}]}`
	deny := `{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"*","Resource":"*"}]}`
	for doc, want := range map[string]int{ok: 0, bad: 1, notAction: 1, deny: 0} {
		vs := policy.Check([]policy.Resource{{Type: policy.TypeRolePolicy, Name: "p", Props: map[string]any{"policy": doc}}})
		if len(vs) != want {
			t.Errorf("%s: %d violations, want %d: %v", doc, len(vs), want, vs)
		}
	}
	for a, why := range policy.StarResourceActions {
		if _, deployer := policy.DeployerStarActions[a]; !deployer && !strings.HasPrefix(a, "xray:") || why == "" {
			t.Errorf("allow-list entry %s (%q) needs a justification and must be X-Ray ingestion or the deployer's", a, why)
		}
	}
	// The deployer's unscoped actions never reach data, identities or code.
	for a := range policy.DeployerStarActions {
		for _, never := range []string{"iam:", "sts:", "s3:", "secretsmanager:", "lambda:", "bedrock:", "kms:Decrypt", "kms:Encrypt"} {
			if strings.HasPrefix(a, never) {
				t.Errorf("deployer allow-list entry %s may not be unscoped", a)
			}
		}
	}
}

func TestSecretLookingEnv(t *testing.T) {
	for env, bad := range map[[2]string]bool{
		{"LLM_API_KEY_SECRET_ID", "arn:aws:secretsmanager:eu-west-1:1:secret:x"}:                 false,
		{"OPENAI_BASE_URL", "https://api.openai.com/v1"}:                                         false,
		{"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "https://xray.eu-west-1.amazonaws.com/v1/traces"}: false,
		{"BEDROCK_MODEL_ID", "eu.anthropic.claude-3-7-sonnet-20250219-v1:0"}:                     false,
		{"S3_MEMORY_BUCKET", "twin-staging-memory-1a2b3c"}:                                       false,
		{"OPENAI_API_KEY", "whatever"}:                                                           true,
		{"DB_PASSWORD", "hunter2"}:                                                               true,
		{"CONFIG", "AKIAIOSFODNN7EXAMPLE"}:                                                       true,
		{"OPENAI_MODEL", "sk-proj-0123456789abcdefghijKLMNOP"}:                                   true,
		{"BLOB", "Zm9vYmFyYmF6cXV4MTIzNDU2Nzg5MGFiY2RlZmdoaWprbG1u"}:                             true,
	} {
		r := policy.Resource{Type: policy.TypeFunction, Name: "f", Props: map[string]any{
			"environment":                  map[string]any{"variables": map[string]any{env[0]: env[1]}},
			"reservedConcurrentExecutions": 1.0,
		}}
		got := slices.Contains(policiesHit(policy.Check([]policy.Resource{r})), "no-secrets-in-env")
		if got != bad {
			t.Errorf("%s=%s flagged %v, want %v", env[0], env[1], got, bad)
		}
	}
}

func TestUnknownValuesAreSkipped(t *testing.T) {
	// During a preview, ARNs of new resources are unknown: the checks must not fail on them.
	rs := []policy.Resource{
		{Type: policy.TypeRolePolicy, Name: "p", Props: map[string]any{"policy": nil}},
		{Type: policy.TypeBucketPAB, Name: "pab", Props: map[string]any{"bucket": nil, "blockPublicAcls": true,
			"blockPublicPolicy": true, "ignorePublicAcls": true, "restrictPublicBuckets": nil}},
	}
	if vs := policy.Check(rs); len(vs) > 0 {
		t.Errorf("violations on unknowns: %v", vs)
	}
}
