package stack

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/cloudwatch"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/iam"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/lambda"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// Front names the two deployments of the one Lambda artifact (the app's LAMBDA_FRONT).
const (
	FrontHTTPAPI     = "http-api"
	FrontFunctionURL = "function-url"
)

// AliasName is the alias every caller (API Gateway, the function URL) invokes: rollback moves it.
const AliasName = "live"

// XRayWriteActions are the only actions the runtime role gets on "*": X-Ray's trace-ingestion
// APIs (including the OTLP endpoint, which authorizes as PutSpans/PutSpansForIndexing) have no
// resource-level permissions. infra/policy allow-lists exactly these.
var XRayWriteActions = []string{
	"xray:PutTraceSegments", "xray:PutSpans", "xray:PutSpansForIndexing", "xray:PutTelemetryRecords",
}

// Function is one front: the function, its published version's `live` alias, role and log group.
type Function struct {
	Front    string
	Name     string // deterministic function name, <prefix>-http / <prefix>-stream
	Function *lambda.Function
	Alias    *lambda.Alias
	Role     *iam.Role
	LogGroup *cloudwatch.LogGroup
}

// Functions is the compute component: both fronts and the streaming front's function URL.
type Functions struct {
	pulumi.ResourceState

	HTTP, Stream *Function
	URL          *lambda.FunctionUrl
}

// functionDeps are the ARNs and names the functions' environment and IAM are built from.
type functionDeps struct {
	accountID pulumi.StringInput
	storage   *Storage
	owner     *Owner // nil when ownerFeatures is off
	origin    *OriginSecret
	boundary  *iam.Policy
}

// NewFunctions creates the two functions from the one artifact.
func NewFunctions(ctx *pulumi.Context, cfg *Config, d functionDeps, opts ...pulumi.ResourceOption) (*Functions, error) {
	f := &Functions{}
	if err := ctx.RegisterComponentResource("twin:stack:Functions", cfg.Prefix+"-functions", f, opts...); err != nil {
		return nil, err
	}
	code, err := buildLambdaCode(ctx, cfg)
	if err != nil {
		return nil, err
	}
	if f.HTTP, err = newFunction(ctx, cfg, d, f, code, FrontHTTPAPI, "http", cfg.ChatTimeout); err != nil {
		return nil, err
	}
	if f.Stream, err = newFunction(ctx, cfg, d, f, code, FrontFunctionURL, "stream", cfg.StreamTimeout); err != nil {
		return nil, err
	}
	// The function URL is reachable only with SigV4 (AWS_IAM): CloudFront signs with its OAC,
	// and the resource policy (site.go) admits only this distribution.
	f.URL, err = lambda.NewFunctionUrl(ctx, cfg.Prefix+"-stream-url", &lambda.FunctionUrlArgs{
		FunctionName:      f.Stream.Function.Name,
		Qualifier:         f.Stream.Alias.Name,
		AuthorizationType: pulumi.String("AWS_IAM"),
		InvokeMode:        pulumi.String("RESPONSE_STREAM"),
	}, pulumi.Parent(f.Stream.Function))
	if err != nil {
		return nil, err
	}
	if err := ctx.RegisterResourceOutputs(f, pulumi.Map{
		"httpFunction": f.HTTP.Function.Name, "streamFunction": f.Stream.Function.Name, "streamUrl": f.URL.FunctionUrl,
	}); err != nil {
		return nil, err
	}
	return f, nil
}

func newFunction(ctx *pulumi.Context, cfg *Config, d functionDeps, parent pulumi.Resource, code lambdaCode,
	front, short string, timeout int) (*Function, error) {
	fn := &Function{Front: front, Name: cfg.Prefix + "-" + short}
	p := pulumi.Parent(parent)
	logGroupName := "/aws/lambda/" + fn.Name
	var err error
	fn.LogGroup, err = cloudwatch.NewLogGroup(ctx, fn.Name+"-logs", &cloudwatch.LogGroupArgs{
		Name:            pulumi.String(logGroupName),
		RetentionInDays: pulumi.Int(cfg.LogRetentionDays),
	}, p)
	if err != nil {
		return nil, err
	}
	fn.Role, err = iam.NewRole(ctx, fn.Name+"-role", &iam.RoleArgs{
		Description: pulumi.String("Runtime role of the " + fn.Name + " Lambda function"),
		// The CI deploy role may only create and change roles that carry this boundary.
		PermissionsBoundary: d.boundary.Arn,
		AssumeRolePolicy: policyJSON(func(v []any) (PolicyDocument, error) {
			return Policy(Statement{
				Effect:    "Allow",
				Principal: map[string]any{"Service": "lambda.amazonaws.com"},
				Action:    []string{"sts:AssumeRole"},
				Condition: map[string]map[string]any{"StringEquals": {"aws:SourceAccount": v[0].(string)}},
			}), nil
		}, d.accountID),
	}, p)
	if err != nil {
		return nil, err
	}
	if _, err := iam.NewRolePolicy(ctx, fn.Name+"-policy", &iam.RolePolicyArgs{
		Role:   fn.Role.ID(),
		Policy: runtimePolicy(cfg, d, logGroupName+":*"),
	}, pulumi.Parent(fn.Role)); err != nil {
		return nil, err
	}

	fn.Function, err = lambda.NewFunction(ctx, fn.Name, &lambda.FunctionArgs{
		Name:           pulumi.String(fn.Name),
		Description:    pulumi.String("Digital twin, " + front + " front"),
		Code:           code.archive,
		SourceCodeHash: pulumi.String(code.hash),
		Handler:        pulumi.String("bootstrap"),
		Runtime:        pulumi.String("provided.al2023"),
		Architectures:  pulumi.StringArray{pulumi.String("arm64")},
		MemorySize:     pulumi.Int(cfg.MemorySize),
		Timeout:        pulumi.Int(timeout),
		Role:           fn.Role.Arn,
		Publish:        pulumi.Bool(true),
		// The cost cap: at most this many concurrent executions (and so model calls) per front.
		ReservedConcurrentExecutions: pulumi.Int(cfg.ReservedConc),
		LoggingConfig: &lambda.FunctionLoggingConfigArgs{
			LogFormat: pulumi.String("JSON"),
			LogGroup:  fn.LogGroup.Name,
		},
		TracingConfig: &lambda.FunctionTracingConfigArgs{Mode: pulumi.String("Active")},
		Environment: &lambda.FunctionEnvironmentArgs{
			Variables: environment(cfg, d, front),
		},
	}, p, pulumi.DependsOn([]pulumi.Resource{fn.LogGroup}))
	if err != nil {
		return nil, err
	}
	fn.Alias, err = lambda.NewAlias(ctx, fn.Name+"-live", &lambda.AliasArgs{
		Name:            pulumi.String(AliasName),
		Description:     pulumi.String("What callers invoke; rollback points it at an earlier version"),
		FunctionName:    fn.Function.Name,
		FunctionVersion: fn.Function.Version,
	}, pulumi.Parent(fn.Function))
	if err != nil {
		return nil, err
	}
	return fn, nil
}

// environment is the app configuration (app/config) of one front. Only ids and names: the LLM
// key stays in Secrets Manager and the app reads it by LLM_API_KEY_SECRET_ID.
func environment(cfg *Config, d functionDeps, front string) pulumi.StringMap {
	env := pulumi.StringMap{
		"ENVIRONMENT":                        pulumi.String(cfg.Environment),
		"LAMBDA_FRONT":                       pulumi.String(front),
		"S3_PERSONA_BUCKET":                  d.storage.MemoryBucket.Bucket,
		"PERSONA_KEY":                        pulumi.String(cfg.PersonaKey),
		"S3_MEMORY_BUCKET":                   d.storage.MemoryBucket.Bucket,
		"MEMORY_PREFIX":                      pulumi.String(cfg.MemoryPrefix),
		"LLM_PROVIDER":                       pulumi.String(cfg.LLMProvider),
		"CORS_ALLOWED_ORIGINS":               pulumi.String(cfg.SiteOrigin()),
		"RATE_LIMIT_PER_MINUTE":              pulumi.String(strconv.Itoa(cfg.RateLimitPerMinute)),
		"MAX_MESSAGE_CHARS":                  pulumi.String(strconv.Itoa(cfg.MaxMessageChars)),
		"MAX_SESSION_MESSAGES":               pulumi.String(strconv.Itoa(cfg.MaxSessionMessages)),
		"LOG_LEVEL":                          pulumi.String(cfg.LogLevel),
		"OTEL_SERVICE_NAME":                  pulumi.String("digital-twin"),
		"OTEL_RESOURCE_ATTRIBUTES":           pulumi.String("deployment.environment.name=" + cfg.Environment + ",twin.front=" + front),
		"OTEL_TRACES_EXPORTER":               pulumi.String("otlp"),
		"OTEL_EXPORTER_OTLP_TRACES_PROTOCOL": pulumi.String("http/protobuf"),
		"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": pulumi.String("https://xray." + cfg.Region + ".amazonaws.com/v1/traces"),
		"ORIGIN_SECRET_ID":                   d.origin.Secret.Arn,
		"ORIGIN_ROTATION":                    d.origin.Rotation,
	}
	switch cfg.LLMProvider {
	case "bedrock":
		env["BEDROCK_MODEL_ID"] = pulumi.String(cfg.BedrockModelID)
	case "openai":
		env["OPENAI_BASE_URL"] = pulumi.String(cfg.OpenAIBaseURL)
		env["OPENAI_MODEL"] = pulumi.String(cfg.OpenAIModel)
		env["LLM_API_KEY_SECRET_ID"] = d.storage.Secret.Arn
	}
	if d.owner != nil {
		env["OWNER_TOPIC_ARN"] = d.owner.Topic.Arn
		env["OWNER_TOKEN_SECRET_ID"] = d.owner.Token.Arn
	}
	return env
}

// SiteOrigin is the one origin browsers load the chat page from.
func (c *Config) SiteOrigin() string { return "https://" + c.Domain }

// APIOrigin is the HTTP API's custom domain origin, or "" (the API is reached under the site).
func (c *Config) APIOrigin() string {
	if c.APIDomain == "" {
		return ""
	}
	return "https://" + c.APIDomain
}

// MemoryPrefixes are the key prefixes the app reads and writes: sessions first, then the
// owner features' prefixes (config ownerPrefixes), so the list grows without code changes.
func (c *Config) MemoryPrefixes() []string {
	return append([]string{c.MemoryPrefix}, c.OwnerPrefixes...)
}

// BedrockModelArns are the exact ARNs bedrock:InvokeModel* is granted on: the foundation model,
// or an inference profile plus the foundation model in each region the profile routes to. A
// global profile (only with bedrockGlobalRouting) routes to any commercial region: AWS
// authorizes that with the region-less foundation-model ARN next to the source region's.
func (c *Config) BedrockModelArns(accountID string) []string {
	id := c.BedrockModelID
	if !isInferenceProfile(id) {
		return []string{fmt.Sprintf("arn:aws:bedrock:%s::foundation-model/%s", c.Region, id)}
	}
	model := id[strings.Index(id, ".")+1:]
	arns := []string{fmt.Sprintf("arn:aws:bedrock:%s:%s:inference-profile/%s", c.Region, accountID, id)}
	if isGlobalProfile(id) && c.BedrockGlobalRouting {
		return append(arns, fmt.Sprintf("arn:aws:bedrock:%s::foundation-model/%s", c.Region, model),
			"arn:aws:bedrock:::foundation-model/"+model)
	}
	for _, r := range c.BedrockProfileRegions {
		arns = append(arns, fmt.Sprintf("arn:aws:bedrock:%s::foundation-model/%s", r, model))
	}
	return arns
}

// runtimePolicy is the least-privilege policy of a function role, all from exact ARNs; logs
// names the log group (and its streams) the role may write, e.g. "/aws/lambda/<fn>:*". The
// stack's permissions boundary is the same document over every function's log group.
func runtimePolicy(cfg *Config, d functionDeps, logs string) pulumi.StringOutput {
	// Resolve the ARNs by name: which ones exist depends on the configuration.
	arns := pulumi.StringMap{"account": d.accountID, "bucket": d.storage.MemoryBucket.Arn, "origin": d.origin.Secret.Arn}
	if d.storage.Secret != nil {
		arns["llmSecret"] = d.storage.Secret.Arn
	}
	if d.storage.Key != nil {
		arns["key"] = d.storage.Key.Arn
	}
	if d.owner != nil {
		arns["ownerTopic"] = d.owner.Topic.Arn
		arns["ownerToken"] = d.owner.Token.Arn
	}
	return policyJSON(func(v []any) (PolicyDocument, error) {
		a := v[0].(map[string]string)
		account, bucket := a["account"], a["bucket"]
		var objects, prefixes []string
		for _, p := range cfg.MemoryPrefixes() {
			objects = append(objects, bucket+"/"+p+"*")
			prefixes = append(prefixes, p+"*")
		}
		if cfg.PersonaIsFolder() { // the persona folder is listed to find its files
			prefixes = append(prefixes, cfg.PersonaKey+"*")
		}
		st := []Statement{
			Allow("MemoryReadWrite", []string{"s3:GetObject", "s3:PutObject"}, objects...),
			// ListBucket on the prefixes only, so a missing session reads as 404, not 403, and
			// the owner view can list its records.
			{Sid: "MemoryList", Effect: "Allow", Action: []string{"s3:ListBucket"}, Resource: []string{bucket},
				Condition: map[string]map[string]any{"StringLike": {"s3:prefix": prefixes}}},
			// A visitor's DELETE removes every version of their conversation (and nothing else):
			// listing a session's versions, deleting them by id.
			Allow("SessionDelete", []string{"s3:DeleteObject", "s3:DeleteObjectVersion"}, bucket+"/"+cfg.MemoryPrefix+"*"),
			{Sid: "SessionVersionsList", Effect: "Allow", Action: []string{"s3:ListBucketVersions"}, Resource: []string{bucket},
				Condition: map[string]map[string]any{"StringLike": {"s3:prefix": []string{cfg.MemoryPrefix + "*"}}}},
			personaRead(cfg, bucket),
			Allow("OwnLogGroup", []string{"logs:CreateLogStream", "logs:PutLogEvents"},
				fmt.Sprintf("arn:aws:logs:%s:%s:log-group:%s", cfg.Region, account, logs)),
		}
		if cfg.LLMProvider == "bedrock" {
			st = append(st, Allow("InvokeModel",
				[]string{"bedrock:InvokeModel", "bedrock:InvokeModelWithResponseStream"}, cfg.BedrockModelArns(account)...))
		}
		secrets := []string{a["origin"]}
		if arn, ok := a["llmSecret"]; ok {
			secrets = append(secrets, arn)
		}
		if arn, ok := a["ownerToken"]; ok {
			secrets = append(secrets, arn)
		}
		st = append(st, Allow("ReadSecrets", []string{"secretsmanager:GetSecretValue"}, secrets...))
		if key, ok := a["key"]; ok {
			st = append(st, Statement{Sid: "DecryptSecrets", Effect: "Allow", Action: []string{"kms:Decrypt"},
				Resource:  []string{key},
				Condition: map[string]map[string]any{"StringEquals": {"kms:ViaService": "secretsmanager." + cfg.Region + ".amazonaws.com"}}})
		}
		if topic, ok := a["ownerTopic"]; ok {
			st = append(st, Allow("NotifyOwner", []string{"sns:Publish"}, topic))
		}
		// X-Ray ingestion has no resource-level permissions: "*" is the only valid resource.
		st = append(st, Allow("XRayWrite", XRayWriteActions, "*"))
		return Policy(st...), nil
	}, arns.ToStringMapOutput())
}

// personaRead lets the functions read the persona: its one object, or, for a folder (a
// personaKey ending in "/"), the objects under that prefix.
func personaRead(cfg *Config, bucket string) Statement {
	if !cfg.PersonaIsFolder() {
		return Allow("PersonaRead", []string{"s3:GetObject"}, bucket+"/"+cfg.PersonaKey)
	}
	return Allow("PersonaRead", []string{"s3:GetObject"}, bucket+"/"+cfg.PersonaKey+"*")
}
