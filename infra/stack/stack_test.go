package stack_test

import (
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/digitaltwin/twin/app/owner"
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

// get follows path through nested maps of plain values.
var get = stacktest.Dig

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
				if p := get(in, "code", "path").(string); p != cfg["twin:lambdaArchive"] || in["sourceCodeHash"] == "" {
					t.Errorf("%s code from %q (hash %v), want the configured archive", name, p, in["sourceCodeHash"])
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
				// The sessions, then exactly the prefixes the app's owner features use.
				wantObjects := []string{memory + "/sessions/*"}
				for _, p := range owner.Prefixes() {
					wantObjects = append(wantObjects, memory+"/"+p+"*")
				}
				if got := d["MemoryReadWrite"]; !slices.Equal(got.Resource, wantObjects) || !slices.Equal(got.Action, []string{"s3:GetObject", "s3:PutObject"}) {
					t.Errorf("%s MemoryReadWrite %+v, want %v", fn, got, wantObjects)
				}
				if got := d["MemoryList"]; !slices.Equal(got.Resource, []string{memory}) || got.Condition["StringLike"]["s3:prefix"] == nil {
					t.Errorf("%s MemoryList %+v", fn, got)
				}
				if got := d["SessionDelete"]; !slices.Equal(got.Resource, []string{memory + "/sessions/*"}) || !slices.Equal(got.Action, []string{"s3:DeleteObject", "s3:DeleteObjectVersion"}) {
					t.Errorf("%s SessionDelete %+v: deletion only of conversations", fn, got)
				}
				if got := d["SessionVersionsList"]; !slices.Equal(got.Resource, []string{memory}) || fmt.Sprint(got.Condition["StringLike"]["s3:prefix"]) != "[sessions/*]" {
					t.Errorf("%s SessionVersionsList %+v", fn, got)
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
					for _, r := range []string{"eu-central-1", "eu-north-1", "eu-south-1", "eu-south-2", "eu-west-1", "eu-west-3"} {
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
				secrets := []string{one(t, res, policy.TypeSecret, s.prefix+"-origin-secret").State["arn"].(string)}
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
				if len(d) != 10-boolToInt(cfg["twin:llmProvider"] == "openai") {
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
			bucket := one(t, res, policy.TypeBucket, s.prefix+"-memory")
			memory := bucket.State["bucket"]
			if want := s.env == "production"; bucket.Protect != want {
				t.Errorf("memory bucket protect %v, want %v", bucket.Protect, want)
			}
			for _, r := range res.Resources {
				// Children inherit protect from the bucket; nothing else is protected.
				if r.Protect && !strings.HasPrefix(r.Name, s.prefix+"-memory") {
					t.Errorf("%s is protected too", r.Name)
				}
			}
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
		if n := len(res.Find(policy.TypeSecret)) + len(res.Find("aws:sns/topic:Topic")); n != 2 {
			t.Errorf("%d secrets and topics, want only the origin secret and the alarm topic", n)
		}
		env := get(one(t, res, policy.TypeFunction, "twin-prod-http").Inputs, "environment", "variables").(map[string]any)
		if _, ok := env["OWNER_TOPIC_ARN"]; ok {
			t.Error("OWNER_TOPIC_ARN without owner features")
		}
		d := parseDoc(t, one(t, res, policy.TypeRolePolicy, "twin-prod-http-policy").Inputs["policy"]).bySid()
		if origin := one(t, res, policy.TypeSecret, "twin-prod-origin-secret").State["arn"]; !slices.Equal(d["ReadSecrets"].Resource, []string{origin.(string)}) {
			t.Errorf("ReadSecrets %+v, want only the origin secret", d["ReadSecrets"])
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
		certs := map[string]string{}
		for _, c := range res.Find("aws:acm/certificate:Certificate") {
			certs[c.Inputs["domainName"].(string)] = c.Region
		}
		if want := map[string]string{"twin.example.com": "us-east-1", "api.twin.example.com": "eu-west-1"}; !maps.Equal(certs, want) {
			t.Errorf("certificates by region %v, want %v (CloudFront's in us-east-1, the API's regional)", certs, want)
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
		"global profile without its grant": {func(c map[string]string) {
			c["twin:llmProvider"] = "bedrock"
			c["twin:bedrockModelId"] = "global.anthropic.claude-sonnet-4-6"
			c["twin:bedrockProfileRegions"] = `["eu-west-1"]`
		}, "twin:bedrockModelId"},
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

// TestMinimalConfigUsesDefaults deploys a stack file holding only the required keys: the
// defaults of infra/stack/config.go apply and the result still passes every policy.
func TestMinimalConfigUsesDefaults(t *testing.T) {
	minimal := map[string]string{
		"aws:region":          "us-east-1",
		"twin:domain":         "me.example.org",
		"twin:hostedZoneId":   "Z0MINIMAL",
		"twin:bedrockModelId": "anthropic.claude-3-5-haiku-20241022-v1:0",
		"twin:originSecret":   stacktest.TestOriginSecret,
	}
	root, err := stacktest.Root()
	if err != nil {
		t.Fatal(err)
	}
	maps.Copy(minimal, stacktest.Fixtures(root)) // the build outputs; TestDeployBuildsTheArtifact builds for real
	res, err := stacktest.Run("dev", minimal, func(ctx *pulumi.Context, export func(string, pulumi.StringOutput)) error {
		_, err := stack.Deploy(ctx)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	stage := one(t, res, "aws:apigatewayv2/stage:Stage", "twin-dev-api-stage")
	if rs := stage.Inputs["defaultRouteSettings"].(map[string]any); rs["throttlingRateLimit"] != 1000.0 || rs["throttlingBurstLimit"] != 1000.0 {
		t.Errorf("default throttling %v, want 1000 rps", rs)
	}
	fn := one(t, res, policy.TypeFunction, "twin-dev-http").Inputs
	env := get(fn, "environment", "variables").(map[string]any)
	for k, want := range map[string]any{"memorySize": 512.0, "reservedConcurrentExecutions": 10.0, "timeout": 30.0} {
		if fn[k] != want {
			t.Errorf("default %s = %v, want %v", k, fn[k], want)
		}
	}
	for k, want := range map[string]string{"ENVIRONMENT": "staging", "LOG_LEVEL": "info", "MEMORY_PREFIX": "sessions/", "LLM_PROVIDER": "bedrock"} {
		if env[k] != want {
			t.Errorf("default env %s = %v, want %s", k, env[k], want)
		}
	}
	if n := len(res.Find("aws:sns/topicSubscription:TopicSubscription")) + len(res.Find("aws:wafv2/webAcl:WebAcl")) + len(res.Find(policy.TypeRole)); n != 2 {
		t.Errorf("defaults: %d subscriptions + web ACLs + roles, want only the two function roles", n)
	}
	if v := policy.Check(policyResources(res)); len(v) > 0 {
		t.Errorf("violations: %v", v)
	}
}
