package stack_test

import (
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/digitaltwin/twin/dashboards"
	"github.com/digitaltwin/twin/infra/policy"
	"github.com/digitaltwin/twin/infra/stack"
	"github.com/digitaltwin/twin/infra/stack/stacktest"
)

// deploy runs stack.Deploy under mocks for the named stack with its Pulumi.<stack>.yaml,
// after applying edit to the config (nil for none).
func deploy(t *testing.T, name string, edit func(map[string]string)) (*stacktest.Result, error) {
	t.Helper()
	cfg, err := stacktest.LoadStackConfig(name)
	if err != nil {
		t.Fatalf("load config: %v", err)
	}
	if edit != nil {
		edit(cfg)
	}
	return stacktest.Run(name, cfg, func(ctx *pulumi.Context, export func(string, pulumi.StringOutput)) error {
		out, err := stack.Deploy(ctx)
		if err != nil {
			return err
		}
		for k, v := range out.Map() {
			export(k, v)
		}
		return nil
	})
}

func mustDeploy(t *testing.T, name string, edit func(map[string]string)) *stacktest.Result {
	t.Helper()
	res, err := deploy(t, name, edit)
	if err != nil {
		t.Fatalf("deploy %s: %v", name, err)
	}
	return res
}

// PolicyResources converts the recorded resources (their mocked state) for infra/policy.
func policyResources(res *stacktest.Result) []policy.Resource {
	out := make([]policy.Resource, 0, len(res.Resources))
	for _, r := range res.Resources {
		out = append(out, policy.Resource{Type: r.Type, Name: r.Name, Props: r.State})
	}
	return out
}

func one(t *testing.T, res *stacktest.Result, typ, name string) stacktest.Resource {
	t.Helper()
	r := res.Named(typ, name)
	if r == nil {
		var names []string
		for _, x := range res.Find(typ) {
			names = append(names, x.Name)
		}
		t.Fatalf("no %s named %q (have %v)", typ, name, names)
	}
	return *r
}

func get(m map[string]any, path ...string) any {
	var v any = m
	for _, k := range path {
		mm, _ := v.(map[string]any)
		v = mm[k]
	}
	return v
}

func strs(v any) []string {
	var out []string
	for _, e := range v.([]any) {
		out = append(out, fmt.Sprint(e))
	}
	return out
}

type doc struct {
	Statement []struct {
		Sid       string
		Effect    string
		Action    []string
		Resource  []string
		Principal map[string]any
		Condition map[string]map[string]any
	}
}

func parseDoc(t *testing.T, v any) doc {
	t.Helper()
	var d doc
	if err := json.Unmarshal([]byte(v.(string)), &d); err != nil {
		t.Fatalf("policy JSON: %v\n%v", err, v)
	}
	return d
}

// bySid indexes a policy's statements.
func (d doc) bySid() map[string]struct {
	Action, Resource []string
	Condition        map[string]map[string]any
} {
	out := map[string]struct {
		Action, Resource []string
		Condition        map[string]map[string]any
	}{}
	for _, s := range d.Statement {
		out[s.Sid] = struct {
			Action, Resource []string
			Condition        map[string]map[string]any
		}{s.Action, s.Resource, s.Condition}
	}
	return out
}

var stacks = []struct {
	name, env, domain, region, prefix string
}{
	{"staging", "staging", "staging.twin.example.com", "eu-west-1", "twin-staging"},
	{"prod", "production", "twin.example.com", "eu-west-1", "twin-prod"},
}

func TestStacksPassPolicies(t *testing.T) {
	for _, s := range stacks {
		t.Run(s.name, func(t *testing.T) {
			res := mustDeploy(t, s.name, nil)
			if len(res.Resources) < 50 {
				t.Errorf("only %d resources declared", len(res.Resources))
			}
			if v := policy.Check(policyResources(res)); len(v) > 0 {
				for _, x := range v {
					t.Errorf("violation: %s", x)
				}
			}
		})
	}
}

func TestFunctions(t *testing.T) {
	for _, s := range stacks {
		t.Run(s.name, func(t *testing.T) {
			res := mustDeploy(t, s.name, nil)
			cfg, _ := stacktest.LoadStackConfig(s.name)
			fns := res.Find(policy.TypeFunction)
			if len(fns) != 2 {
				t.Fatalf("%d functions, want 2", len(fns))
			}
			fronts := map[string]string{}
			for _, f := range fns {
				in := f.Inputs
				name := in["name"].(string)
				env := get(in, "environment", "variables").(map[string]any)
				fronts[env["LAMBDA_FRONT"].(string)] = name
				if got := strs(in["architectures"]); !slices.Equal(got, []string{"arm64"}) {
					t.Errorf("%s architectures %v", name, got)
				}
				for k, want := range map[string]any{"runtime": "provided.al2023", "handler": "bootstrap", "publish": true} {
					if in[k] != want {
						t.Errorf("%s %s = %v, want %v", name, k, in[k], want)
					}
				}
				if m := in["memorySize"].(float64); m < 512 || m > 1024 || fmt.Sprint(m) != cfg["twin:memorySize"] {
					t.Errorf("%s memorySize %v (config %s)", name, m, cfg["twin:memorySize"])
				}
				if fmt.Sprint(in["reservedConcurrentExecutions"]) != cfg["twin:reservedConcurrency"] {
					t.Errorf("%s reserved concurrency %v", name, in["reservedConcurrentExecutions"])
				}
				if get(in, "loggingConfig", "logFormat") != "JSON" || get(in, "loggingConfig", "logGroup") != "/aws/lambda/"+name {
					t.Errorf("%s loggingConfig %v", name, in["loggingConfig"])
				}
				if p := get(in, "code", "path").(string); !strings.HasSuffix(p, "/build/lambda/bootstrap.zip") {
					t.Errorf("%s code from %q", name, p)
				}
				for k, want := range map[string]string{
					"ENVIRONMENT":                        s.env,
					"CORS_ALLOWED_ORIGINS":               "https://" + s.domain,
					"MEMORY_PREFIX":                      "sessions/",
					"PERSONA_KEY":                        "me.txt",
					"OTEL_TRACES_EXPORTER":               "otlp",
					"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": "https://xray." + s.region + ".amazonaws.com/v1/traces",
					"LLM_PROVIDER":                       cfg["twin:llmProvider"],
					"RATE_LIMIT_PER_MINUTE":              cfg["twin:rateLimitPerMinute"],
					"LOG_LEVEL":                          cfg["twin:logLevel"],
				} {
					if env[k] != want {
						t.Errorf("%s env %s = %v, want %q", name, k, env[k], want)
					}
				}
				if env["S3_MEMORY_BUCKET"] == "" || env["S3_MEMORY_BUCKET"] != env["S3_PERSONA_BUCKET"] {
					t.Errorf("%s buckets %v / %v", name, env["S3_MEMORY_BUCKET"], env["S3_PERSONA_BUCKET"])
				}
				if !strings.HasPrefix(fmt.Sprint(env["OWNER_TOPIC_ARN"]), "arn:aws:sns:") || !strings.HasPrefix(fmt.Sprint(env["OWNER_TOKEN_SECRET_ID"]), "arn:aws:secretsmanager:") {
					t.Errorf("%s owner env %v / %v", name, env["OWNER_TOPIC_ARN"], env["OWNER_TOKEN_SECRET_ID"])
				}
				for _, k := range []string{"OPENAI_API_KEY", "LLM_API_KEY"} {
					if _, ok := env[k]; ok {
						t.Errorf("%s env carries %s", name, k)
					}
				}
				switch cfg["twin:llmProvider"] {
				case "openai":
					if !strings.HasPrefix(fmt.Sprint(env["LLM_API_KEY_SECRET_ID"]), "arn:aws:secretsmanager:") || env["OPENAI_MODEL"] != cfg["twin:openaiModel"] {
						t.Errorf("%s openai env %v", name, env)
					}
				case "bedrock":
					if env["BEDROCK_MODEL_ID"] != cfg["twin:bedrockModelId"] {
						t.Errorf("%s BEDROCK_MODEL_ID %v", name, env["BEDROCK_MODEL_ID"])
					}
				}
			}
			if fronts[stack.FrontHTTPAPI] != s.prefix+"-http" || fronts[stack.FrontFunctionURL] != s.prefix+"-stream" {
				t.Errorf("fronts %v", fronts)
			}
			http := one(t, res, policy.TypeFunction, s.prefix+"-http")
			if http.Inputs["timeout"] != 30.0 {
				t.Errorf("http timeout %v, want 30", http.Inputs["timeout"])
			}
			for _, fn := range []string{s.prefix + "-http", s.prefix + "-stream"} {
				a := one(t, res, "aws:lambda/alias:Alias", fn+"-live")
				if a.Inputs["name"] != "live" || a.Inputs["functionVersion"] != "1" || a.Inputs["functionName"] != fn {
					t.Errorf("alias %v", a.Inputs)
				}
				lg := one(t, res, policy.TypeLogGroup, fn+"-logs")
				if fmt.Sprint(lg.Inputs["retentionInDays"]) != cfg["twin:logRetentionDays"] {
					t.Errorf("%s retention %v", fn, lg.Inputs["retentionInDays"])
				}
			}
			url := one(t, res, policy.TypeFunctionURL, s.prefix+"-stream-url")
			for k, want := range map[string]any{"authorizationType": "AWS_IAM", "invokeMode": "RESPONSE_STREAM", "qualifier": "live", "functionName": s.prefix + "-stream"} {
				if url.Inputs[k] != want {
					t.Errorf("function URL %s = %v, want %v", k, url.Inputs[k], want)
				}
			}
		})
	}
}

func TestRuntimeIAM(t *testing.T) {
	for _, s := range stacks {
		t.Run(s.name, func(t *testing.T) {
			res := mustDeploy(t, s.name, nil)
			cfg, _ := stacktest.LoadStackConfig(s.name)
			bucket := res.Find(policy.TypeBucket)
			var memory string
			for _, b := range bucket {
				if strings.Contains(b.Name, "memory") {
					memory = b.State["arn"].(string)
				}
			}
			for _, fn := range []string{s.prefix + "-http", s.prefix + "-stream"} {
				role := one(t, res, policy.TypeRole, fn+"-role")
				trust := parseDoc(t, role.Inputs["assumeRolePolicy"])
				if len(trust.Statement) != 1 || trust.Statement[0].Principal["Service"] != "lambda.amazonaws.com" {
					t.Errorf("%s trust %+v", fn, trust)
				}
				d := parseDoc(t, one(t, res, policy.TypeRolePolicy, fn+"-policy").Inputs["policy"]).bySid()
				wantObjects := []string{memory + "/sessions/*", memory + "/leads/*", memory + "/questions/*", memory + "/feedback/*"}
				if got := d["MemoryReadWrite"]; !slices.Equal(got.Resource, wantObjects) || !slices.Equal(got.Action, []string{"s3:GetObject", "s3:PutObject"}) {
					t.Errorf("%s MemoryReadWrite %+v, want %v", fn, got, wantObjects)
				}
				if got := d["MemoryList"]; !slices.Equal(got.Resource, []string{memory}) || got.Condition["StringLike"]["s3:prefix"] == nil {
					t.Errorf("%s MemoryList %+v", fn, got)
				}
				if got := d["PersonaRead"]; !slices.Equal(got.Resource, []string{memory + "/me.txt"}) {
					t.Errorf("%s PersonaRead %+v", fn, got)
				}
				wantLogs := fmt.Sprintf("arn:aws:logs:%s:%s:log-group:/aws/lambda/%s:*", s.region, stacktest.AccountID, fn)
				if got := d["OwnLogGroup"]; !slices.Equal(got.Resource, []string{wantLogs}) {
					t.Errorf("%s OwnLogGroup %+v, want %s", fn, got, wantLogs)
				}
				if got := d["XRayWrite"]; !slices.Equal(got.Resource, []string{"*"}) || !slices.Equal(got.Action, stack.XRayWriteActions) {
					t.Errorf("%s XRayWrite %+v", fn, got)
				}
				switch cfg["twin:llmProvider"] {
				case "bedrock":
					model := strings.TrimPrefix(cfg["twin:bedrockModelId"], "eu.")
					want := []string{fmt.Sprintf("arn:aws:bedrock:%s:%s:inference-profile/%s", s.region, stacktest.AccountID, cfg["twin:bedrockModelId"])}
					for _, r := range []string{"eu-central-1", "eu-north-1", "eu-west-1", "eu-west-3"} {
						want = append(want, "arn:aws:bedrock:"+r+"::foundation-model/"+model)
					}
					if got := d["InvokeModel"]; !slices.Equal(got.Resource, want) ||
						!slices.Equal(got.Action, []string{"bedrock:InvokeModel", "bedrock:InvokeModelWithResponseStream"}) {
						t.Errorf("%s InvokeModel %+v, want %v", fn, got, want)
					}
				case "openai":
					if _, ok := d["InvokeModel"]; ok {
						t.Errorf("%s may invoke Bedrock without using it", fn)
					}
				}
				secrets := []string{}
				if cfg["twin:llmProvider"] == "openai" {
					secrets = append(secrets, one(t, res, policy.TypeSecret, s.prefix+"-llm-api-key").State["arn"].(string))
				}
				secrets = append(secrets, one(t, res, policy.TypeSecret, s.prefix+"-owner-token").State["arn"].(string))
				if got := d["ReadSecrets"]; !slices.Equal(got.Resource, secrets) || !slices.Equal(got.Action, []string{"secretsmanager:GetSecretValue"}) {
					t.Errorf("%s ReadSecrets %+v, want exactly %v", fn, got, secrets)
				}
				topic := one(t, res, "aws:sns/topic:Topic", s.prefix+"-owner-notify").State["arn"].(string)
				if got := d["NotifyOwner"]; !slices.Equal(got.Resource, []string{topic}) || !slices.Equal(got.Action, []string{"sns:Publish"}) {
					t.Errorf("%s NotifyOwner %+v", fn, got)
				}
				if len(d) != 8-boolToInt(cfg["twin:llmProvider"] == "openai") {
					t.Errorf("%s has %d statements: %v", fn, len(d), slices.Sorted(maps.Keys(d)))
				}
			}
		})
	}
}

func TestStorage(t *testing.T) {
	for _, s := range stacks {
		t.Run(s.name, func(t *testing.T) {
			res := mustDeploy(t, s.name, nil)
			cfg, _ := stacktest.LoadStackConfig(s.name)
			memory := one(t, res, policy.TypeBucket, s.prefix+"-memory").State["bucket"]
			ver := one(t, res, "aws:s3/bucketVersioningV2:BucketVersioningV2", s.prefix+"-memory-versioning")
			if ver.Inputs["bucket"] != memory || get(ver.Inputs, "versioningConfiguration", "status") != "Enabled" {
				t.Errorf("versioning %v", ver.Inputs)
			}
			lc := one(t, res, "aws:s3/bucketLifecycleConfigurationV2:BucketLifecycleConfigurationV2", s.prefix+"-memory-lifecycle")
			rules := lc.Inputs["rules"].([]any)
			nc := get(rules[0].(map[string]any), "noncurrentVersionExpiration", "noncurrentDays")
			if fmt.Sprint(nc) != cfg["twin:noncurrentVersionDays"] {
				t.Errorf("noncurrent days %v", nc)
			}
			if wantSessions := cfg["twin:sessionRetentionDays"] != "0"; wantSessions != (len(rules) == 2) {
				t.Errorf("session retention %s but %d rules", cfg["twin:sessionRetentionDays"], len(rules))
			}
			metric := one(t, res, "aws:s3/bucketMetric:BucketMetric", s.prefix+"-memory-metrics")
			if metric.Inputs["name"] != dashboards.S3MetricsFilterID || metric.Inputs["bucket"] != memory {
				t.Errorf("bucket metric %v", metric.Inputs)
			}
			persona := one(t, res, policy.TypeBucketObject, s.prefix+"-persona")
			if persona.Inputs["key"] != "me.txt" || persona.Inputs["bucket"] != memory ||
				!strings.HasSuffix(get(persona.Inputs, "source", "path").(string), "/me.txt") {
				t.Errorf("persona %v", persona.Inputs)
			}
			// Every bucket: all public access blocked, encrypted, TLS-only.
			for _, b := range res.Find(policy.TypeBucket) {
				name := b.State["bucket"]
				var pab, sse, tls bool
				for _, r := range res.Resources {
					if r.Inputs["bucket"] != name {
						continue
					}
					switch r.Type {
					case policy.TypeBucketPAB:
						pab = r.Inputs["blockPublicAcls"] == true && r.Inputs["blockPublicPolicy"] == true &&
							r.Inputs["ignorePublicAcls"] == true && r.Inputs["restrictPublicBuckets"] == true
					case policy.TypeBucketSSE:
						sse = strings.Contains(fmt.Sprint(r.Inputs["rules"]), "AES256")
					case policy.TypeBucketPolicy:
						tls = strings.Contains(r.Inputs["policy"].(string), `"aws:SecureTransport":"false"`)
					}
				}
				if !pab || !sse || !tls {
					t.Errorf("bucket %s: public access block %v, encryption %v, TLS-only %v", b.Name, pab, sse, tls)
				}
			}
		})
	}
}

func TestAPI(t *testing.T) {
	for _, s := range stacks {
		t.Run(s.name, func(t *testing.T) {
			res := mustDeploy(t, s.name, nil)
			cfg, _ := stacktest.LoadStackConfig(s.name)
			api := one(t, res, "aws:apigatewayv2/api:Api", s.prefix+"-api")
			if got := strs(get(api.Inputs, "corsConfiguration", "allowOrigins")); !slices.Equal(got, []string{"https://" + s.domain}) {
				t.Errorf("CORS origins %v", got)
			}
			stage := one(t, res, "aws:apigatewayv2/stage:Stage", s.prefix+"-api-stage")
			rs := stage.Inputs["defaultRouteSettings"].(map[string]any)
			if fmt.Sprint(rs["throttlingRateLimit"]) != cfg["twin:throttleRate"] || fmt.Sprint(rs["throttlingBurstLimit"]) != cfg["twin:throttleBurst"] {
				t.Errorf("throttling %v", rs)
			}
			if get(stage.Inputs, "accessLogSettings", "destinationArn") == nil {
				t.Error("no access logs")
			}
			var keys []string
			for _, r := range res.Find("aws:apigatewayv2/route:Route") {
				keys = append(keys, r.Inputs["routeKey"].(string))
			}
			sort.Strings(keys)
			if want := []string{"GET /api/chat/history/{session_id}", "GET /api/health", "GET /api/persona", "POST /api/chat"}; !slices.Equal(keys, want) {
				t.Errorf("routes %v, want %v", keys, want)
			}
			chat := one(t, res, "aws:apigatewayv2/integration:Integration", s.prefix+"-api-chat")
			alias := one(t, res, "aws:lambda/alias:Alias", s.prefix+"-http-live").State["arn"]
			if chat.Inputs["timeoutMilliseconds"] != 30000.0 || chat.Inputs["integrationUri"] != alias || chat.Inputs["payloadFormatVersion"] != "2.0" {
				t.Errorf("chat integration %v", chat.Inputs)
			}
			perm := one(t, res, policy.TypePermission, s.prefix+"-api-invoke")
			if perm.Inputs["qualifier"] != "live" || perm.Inputs["principal"] != "apigateway.amazonaws.com" ||
				!strings.HasPrefix(perm.Inputs["sourceArn"].(string), "arn:aws:execute-api:") {
				t.Errorf("API permission %v", perm.Inputs)
			}
			domains := res.Find(policy.TypeAPIDomain)
			if (cfg["twin:apiDomain"] != "") != (len(domains) == 1) {
				t.Errorf("apiDomain %q but %d domain names", cfg["twin:apiDomain"], len(domains))
			}
		})
	}
}

func TestSite(t *testing.T) {
	for _, s := range stacks {
		t.Run(s.name, func(t *testing.T) {
			res := mustDeploy(t, s.name, nil)
			cfg, _ := stacktest.LoadStackConfig(s.name)
			d := one(t, res, policy.TypeDistribution, s.prefix+"-site-cdn")
			in := d.Inputs
			if got := strs(in["aliases"]); !slices.Equal(got, []string{s.domain}) {
				t.Errorf("aliases %v", got)
			}
			vc := in["viewerCertificate"].(map[string]any)
			if vc["minimumProtocolVersion"] != "TLSv1.2_2021" || vc["sslSupportMethod"] != "sni-only" ||
				!strings.HasPrefix(vc["acmCertificateArn"].(string), "arn:aws:acm:us-east-1:") {
				t.Errorf("viewer certificate %v", vc)
			}
			if cfg["twin:certificateArn"] != "" && vc["acmCertificateArn"] != cfg["twin:certificateArn"] {
				t.Errorf("certificate %v, want the configured one", vc["acmCertificateArn"])
			}
			behaviours := map[string]map[string]any{"default": in["defaultCacheBehavior"].(map[string]any)}
			for _, b := range in["orderedCacheBehaviors"].([]any) {
				bm := b.(map[string]any)
				behaviours[bm["pathPattern"].(string)] = bm
			}
			for p, b := range behaviours {
				if b["viewerProtocolPolicy"] != "redirect-to-https" || b["responseHeadersPolicyId"] == nil {
					t.Errorf("behaviour %s: %v", p, b)
				}
			}
			order := []string{}
			for _, b := range in["orderedCacheBehaviors"].([]any) {
				order = append(order, b.(map[string]any)["pathPattern"].(string))
			}
			if !slices.Equal(order[:2], []string{"/api/chat/stream", "/api/*"}) {
				t.Errorf("behaviour order %v: the stream path must precede /api/*", order)
			}
			if behaviours["/api/chat/stream"]["targetOriginId"] != "stream" || behaviours["/api/*"]["targetOriginId"] != "api" {
				t.Errorf("API behaviours %v", behaviours)
			}
			origins := map[string]map[string]any{}
			for _, o := range in["origins"].([]any) {
				om := o.(map[string]any)
				origins[om["originId"].(string)] = om
			}
			url := one(t, res, policy.TypeFunctionURL, s.prefix+"-stream-url").State["functionUrl"].(string)
			if want := strings.TrimSuffix(strings.TrimPrefix(url, "https://"), "/"); origins["stream"]["domainName"] != want {
				t.Errorf("stream origin %v, want %s", origins["stream"]["domainName"], want)
			}
			oacs := map[string]string{}
			for _, o := range res.Find("aws:cloudfront/originAccessControl:OriginAccessControl") {
				oacs[o.ID] = o.Inputs["originAccessControlOriginType"].(string)
			}
			if oacs[fmt.Sprint(origins["stream"]["originAccessControlId"])] != "lambda" || oacs[fmt.Sprint(origins["site"]["originAccessControlId"])] != "s3" {
				t.Errorf("OACs %v, origins %v", oacs, origins)
			}
			errs := in["customErrorResponses"].([]any)
			if len(errs) != 1 || get(errs[0].(map[string]any), "errorCode") != 403.0 {
				t.Errorf("custom errors %v (only 403: API 404s must pass)", errs)
			}
			if waf := in["webAclId"] != nil; waf != (cfg["twin:waf"] == "true") {
				t.Errorf("webAclId %v with waf %s", in["webAclId"], cfg["twin:waf"])
			}
			// Cache: hashed assets a year, pages not cached by default.
			for _, c := range res.Find("aws:cloudfront/cachePolicy:CachePolicy") {
				switch {
				case strings.HasSuffix(c.Name, "-static"):
					if c.Inputs["minTtl"] != 31536000.0 {
						t.Errorf("static cache %v", c.Inputs)
					}
				case strings.HasSuffix(c.Name, "-pages"):
					if c.Inputs["defaultTtl"] != 0.0 || c.Inputs["minTtl"] != 0.0 {
						t.Errorf("pages cache %v", c.Inputs)
					}
				}
			}
			hdr := res.Find("aws:cloudfront/responseHeadersPolicy:ResponseHeadersPolicy")
			if len(hdr) != 1 || get(hdr[0].Inputs, "securityHeadersConfig", "strictTransportSecurity", "accessControlMaxAgeSec") == nil ||
				get(hdr[0].Inputs, "securityHeadersConfig", "contentSecurityPolicy", "contentSecurityPolicy") != stack.ContentSecurityPolicy {
				t.Errorf("security headers %v", hdr)
			}
			// CloudFront's two permissions on the live alias, scoped to this distribution.
			dist := d.State["arn"]
			want := map[string]any{"lambda:InvokeFunctionUrl": "AWS_IAM", "lambda:InvokeFunction": nil}
			for _, sfx := range []string{"url", "invoke"} {
				p := one(t, res, policy.TypePermission, s.prefix+"-site-cloudfront-"+sfx).Inputs
				action := p["action"].(string)
				auth, ok := want[action]
				if !ok || p["functionUrlAuthType"] != auth || p["sourceArn"] != dist || p["principal"] != "cloudfront.amazonaws.com" ||
					p["qualifier"] != "live" || p["function"] != s.prefix+"-stream" {
					t.Errorf("CloudFront permission %v", p)
				}
				delete(want, action)
			}
			site := one(t, res, policy.TypeBucketPolicy, s.prefix+"-site-policy")
			sp := parseDoc(t, site.Inputs["policy"]).bySid()["CloudFrontRead"]
			if sp.Condition["StringEquals"]["AWS:SourceArn"] != dist {
				t.Errorf("site bucket policy %+v", sp)
			}
		})
	}
}

func TestObservability(t *testing.T) {
	for _, s := range stacks {
		t.Run(s.name, func(t *testing.T) {
			res := mustDeploy(t, s.name, nil)
			arn := one(t, res, "aws:sns/topic:Topic", s.prefix+"-alarms").State["arn"]
			alarms := res.Find(policy.TypeMetricAlarm)
			want := dashboards.Alarms(dashboards.Names{Region: s.region, Environment: s.env, HTTPFunction: s.prefix + "-http",
				StreamFunction: s.prefix + "-stream", APIID: "x", MemoryBucket: "y"})
			if len(alarms) == 0 || len(alarms) != len(want) {
				t.Fatalf("%d alarms, want %d", len(alarms), len(want))
			}
			for _, a := range alarms {
				if !slices.Equal(strs(a.Inputs["alarmActions"]), []string{arn.(string)}) || !slices.Equal(strs(a.Inputs["okActions"]), []string{arn.(string)}) {
					t.Errorf("alarm %s actions %v", a.Name, a.Inputs["alarmActions"])
				}
				qs := a.Inputs["metricQueries"].([]any)
				returns := 0
				for _, q := range qs {
					if q.(map[string]any)["returnData"] == true {
						returns++
					}
				}
				if returns != 1 {
					t.Errorf("alarm %s: %d queries return data", a.Name, returns)
				}
				if strings.Contains(fmt.Sprint(qs), "api-id") || strings.Contains(fmt.Sprint(qs), "memory-bucket") {
					t.Errorf("alarm %s still has placeholder names: %v", a.Name, qs)
				}
			}
			dash := res.Find("aws:cloudwatch/dashboard:Dashboard")
			if len(dash) != 1 {
				t.Fatalf("%d dashboards", len(dash))
			}
			body := dash[0].Inputs["dashboardBody"].(string)
			if !json.Valid([]byte(body)) || !strings.Contains(body, s.prefix+"-stream") || !strings.Contains(body, "a1b2c3d4e5") {
				t.Errorf("dashboard body does not name the stack's resources: %.300s", body)
			}
		})
	}
}

func TestOutputsAndDeployRole(t *testing.T) {
	for _, s := range stacks {
		t.Run(s.name, func(t *testing.T) {
			res := mustDeploy(t, s.name, nil)
			want := []string{"alarmTopicArn", "alias", "apiEndpoint", "cdnDomain", "dashboardName", "deployRoleArn", "distributionId",
				"httpFunction", "llmSecretId", "memoryBucket", "ownerTokenSecretId", "ownerTopicArn", "siteBucket", "siteUrl",
				"streamFunction", "streamFunctionUrl"}
			if got := slices.Sorted(maps.Keys(res.Outputs)); !slices.Equal(got, want) {
				t.Errorf("outputs %v, want %v", got, want)
			}
			if res.Outputs["siteUrl"] != "https://"+s.domain || res.Outputs["alias"] != "live" || res.Outputs["httpFunction"] != s.prefix+"-http" {
				t.Errorf("outputs %v", res.Outputs)
			}
			role := one(t, res, policy.TypeRole, s.prefix+"-deploy-role")
			trust := parseDoc(t, role.Inputs["assumeRolePolicy"]).Statement[0]
			if sub := trust.Condition["StringEquals"]["token.actions.githubusercontent.com:sub"]; sub != "repo:digitaltwin/twin:environment:"+s.env {
				t.Errorf("deploy role subject %v", sub)
			}
			if res.Outputs["deployRoleArn"] != role.State["arn"] {
				t.Errorf("deployRoleArn %q", res.Outputs["deployRoleArn"])
			}
			providers := res.Find("aws:iam/openIdConnectProvider:OpenIdConnectProvider")
			if s.name == "prod" && len(providers) != 0 || s.name == "staging" && len(providers) != 1 {
				t.Errorf("%d OIDC providers", len(providers))
			}
		})
	}
}

func TestVariants(t *testing.T) {
	t.Run("customer managed key", func(t *testing.T) {
		res := mustDeploy(t, "staging", func(c map[string]string) { c["twin:customerManagedKey"] = "true" })
		keys := res.Find("aws:kms/key:Key")
		if len(keys) != 1 || keys[0].Inputs["enableKeyRotation"] != true {
			t.Fatalf("keys %v", keys)
		}
		for _, secret := range res.Find(policy.TypeSecret) {
			if secret.Inputs["kmsKeyId"] != keys[0].State["arn"] {
				t.Errorf("secret %s key %v", secret.Name, secret.Inputs["kmsKeyId"])
			}
		}
		d := parseDoc(t, one(t, res, policy.TypeRolePolicy, "twin-staging-http-policy").Inputs["policy"]).bySid()["DecryptSecrets"]
		if !slices.Equal(d.Resource, []string{keys[0].State["arn"].(string)}) || d.Condition["StringEquals"]["kms:ViaService"] != "secretsmanager.eu-west-1.amazonaws.com" {
			t.Errorf("DecryptSecrets %+v", d)
		}
		if v := policy.Check(policyResources(res)); len(v) > 0 {
			t.Errorf("violations: %v", v)
		}
	})
	t.Run("owner features off", func(t *testing.T) {
		res := mustDeploy(t, "prod", func(c map[string]string) { c["twin:ownerFeatures"] = "false" })
		if n := len(res.Find(policy.TypeSecret)) + len(res.Find("aws:sns/topic:Topic")); n != 1 {
			t.Errorf("%d secrets and topics, want only the alarm topic", n)
		}
		env := get(one(t, res, policy.TypeFunction, "twin-prod-http").Inputs, "environment", "variables").(map[string]any)
		if _, ok := env["OWNER_TOPIC_ARN"]; ok {
			t.Error("OWNER_TOPIC_ARN without owner features")
		}
		d := parseDoc(t, one(t, res, policy.TypeRolePolicy, "twin-prod-http-policy").Inputs["policy"]).bySid()
		if _, ok := d["ReadSecrets"]; ok {
			t.Error("secret access without any secret")
		}
	})
	t.Run("no CI role, foundation model, created certificates", func(t *testing.T) {
		res := mustDeploy(t, "prod", func(c map[string]string) {
			delete(c, "twin:githubRepository")
			delete(c, "twin:certificateArn")
			delete(c, "twin:apiCertificateArn")
			c["twin:hostedZoneId"] = "Z0PRODEXAMPLE"
			c["twin:bedrockModelId"] = "anthropic.claude-3-5-haiku-20241022-v1:0"
		})
		if res.Named(policy.TypeRole, "twin-prod-deploy-role") != nil || res.Outputs["deployRoleArn"] != "" {
			t.Error("deploy role without githubRepository")
		}
		if n := len(res.Find("aws:acm/certificate:Certificate")); n != 2 {
			t.Errorf("%d certificates, want site + API", n)
		}
		d := parseDoc(t, one(t, res, policy.TypeRolePolicy, "twin-prod-stream-policy").Inputs["policy"]).bySid()["InvokeModel"]
		if want := []string{"arn:aws:bedrock:eu-west-1::foundation-model/anthropic.claude-3-5-haiku-20241022-v1:0"}; !slices.Equal(d.Resource, want) {
			t.Errorf("InvokeModel %v, want %v", d.Resource, want)
		}
		if n := len(res.Find("aws:route53/record:Record")); n != 5 { // 2 validations, A, AAAA, API A
			t.Errorf("%d DNS records, want 5", n)
		}
		if v := policy.Check(policyResources(res)); len(v) > 0 {
			t.Errorf("violations: %v", v)
		}
	})
}

func TestConfigErrors(t *testing.T) {
	for name, tc := range map[string]struct {
		edit func(map[string]string)
		key  string
	}{
		"no domain":          {func(c map[string]string) { delete(c, "twin:domain") }, "twin:domain"},
		"no certificate":     {func(c map[string]string) { delete(c, "twin:hostedZoneId") }, "twin:certificateArn"},
		"memory too big":     {func(c map[string]string) { c["twin:memorySize"] = "3008" }, "twin:memorySize"},
		"chat timeout > 30":  {func(c map[string]string) { c["twin:chatTimeout"] = "60" }, "twin:chatTimeout"},
		"bad provider":       {func(c map[string]string) { c["twin:llmProvider"] = "offline" }, "twin:llmProvider"},
		"bad environment":    {func(c map[string]string) { c["twin:environment"] = "local" }, "twin:environment"},
		"odd retention":      {func(c map[string]string) { c["twin:logRetentionDays"] = "0" }, "twin:logRetentionDays"},
		"wildcard prefix":    {func(c map[string]string) { c["twin:ownerPrefixes"] = `["*"]` }, "twin:memoryPrefix"},
		"profile no regions": {func(c map[string]string) { c["twin:llmProvider"] = "bedrock"; c["twin:bedrockModelId"] = "us.x.y" }, "twin:bedrockProfileRegions"},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := deploy(t, "staging", tc.edit)
			if err == nil || !strings.Contains(err.Error(), tc.key) {
				t.Errorf("err = %v, want one naming %s", err, tc.key)
			}
		})
	}
}

func boolToInt(b bool) int {
	if b {
		return 1
	}
	return 0
}
