package stack

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi/config"
)

// Config is the whole stack configuration, read once from the stack's Pulumi.<stack>.yaml.
// Every key, its default and its meaning is listed in docs/deploy.md; the defaults live here
// and nowhere else.
type Config struct {
	// Project is the Pulumi project name (the config namespace, "twin").
	Project string
	// Stack is the Pulumi stack name (staging, prod).
	Stack string
	// Region is aws:region; everything but the CloudFront certificate and WAF lives there.
	Region string
	// Prefix names every resource: "<namePrefix>-<stack>", e.g. twin-staging.
	Prefix string

	Environment string // app ENVIRONMENT: staging | production

	Domain         string // site domain served by CloudFront (required: TLS 1.2 needs a custom certificate)
	HostedZoneID   string // Route 53 zone: certificates are DNS-validated and alias records created
	CertificateArn string // existing us-east-1 ACM certificate for Domain (instead of HostedZoneID)
	APIDomain      string // optional custom domain of the HTTP API
	APICertArn     string // optional existing regional certificate for APIDomain
	PriceClass     string

	LambdaArchive    string // a prebuilt bootstrap.zip (relative to the project root); "" builds it from source
	SiteDir          string // the static export uploaded to the site bucket, relative to the project root
	MemorySize       int    // MB, 512..1024
	ChatTimeout      int    // seconds, http-api function (API Gateway caps integrations at 30)
	ShortTimeout     int    // seconds, API Gateway integration timeout of health/persona/history
	StreamTimeout    int    // seconds, function-url function
	ReservedConc     int    // reserved concurrency per function: the cost cap
	LogRetentionDays int
	LogLevel         string

	PersonaFile      string // me.txt uploaded as the persona object, relative to the project root
	PersonaKey       string
	MemoryPrefix     string
	OwnerPrefixes    []string // further memory-bucket prefixes the app may read/write (leads/, ...)
	SessionRetention int      // days after which session objects expire; 0 keeps them
	ProtectData      bool     // pulumi protect on the memory bucket: destroy refuses to delete it
	NoncurrentDays   int      // days after which noncurrent object versions expire

	LLMProvider           string // bedrock | openai
	BedrockModelID        string // model id or inference profile id
	BedrockProfileRegions []string
	// BedrockGlobalRouting grants what a global.* inference profile needs: it routes to any
	// commercial region, so the grant names the region-less foundation-model ARN.
	BedrockGlobalRouting bool
	OpenAIBaseURL        string
	OpenAIModel          string
	CustomerManagedKey   bool // encrypt the LLM secret with a customer-managed KMS key

	RateLimitPerMinute int
	MaxMessageChars    int
	MaxSessionMessages int
	ThrottleRate       float64
	ThrottleBurst      int

	AlarmEmail string
	// OwnerFeatures deploys what app/owner needs (notification topic, owner token secret).
	OwnerFeatures bool
	OwnerEmail    string // subscribed to the owner topic; default alarmEmail
	WAF           bool
	WAFRateLimit  int // requests per IP per 5 minutes

	GitHubRepository      string // owner/repo: create the OIDC deploy role for this stack
	GitHubEnvironment     string // GitHub environment the deploy role trusts
	GitHubOIDCProviderArn string // existing token.actions.githubusercontent.com provider

	// OriginSecret is the value CloudFront adds to requests for the functions (secret config
	// originSecret); OriginSecretPrevious is also accepted while a rotation is under way.
	OriginSecret, OriginSecretPrevious string
}

var (
	domainRE  = regexp.MustCompile(`^([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$`)
	repoRE    = regexp.MustCompile(`^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$`)
	prefixRE  = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{0,19}$`)
	s3KeyRE   = regexp.MustCompile(`^[A-Za-z0-9!_.*'()/-]+$`)
	modelIDRE = regexp.MustCompile(`^[A-Za-z0-9._:-]+$`)
)

// LoadConfig reads and validates the stack configuration. Errors name the key.
func LoadConfig(ctx *pulumi.Context) (*Config, error) {
	r := &configReader{c: config.New(ctx, ""), aws: config.New(ctx, "aws"), project: ctx.Project(), stack: ctx.Stack()}
	cfg := r.read()
	// Validation: one clear line per bad key, by concern.
	for _, check := range []func(*configReader, *Config){checkEdge, checkFunctions, checkStorage, checkModel, checkLimits} {
		check(r, cfg)
	}
	if len(r.errs) > 0 {
		return nil, errors.Join(r.errs...)
	}
	return cfg, nil
}

// configReader reads the stack's keys with their defaults and collects what is wrong with them.
type configReader struct {
	c, aws         *config.Config
	project, stack string
	errs           []error
}

func (r *configReader) str(key, def string) string {
	if v := r.c.Get(key); v != "" {
		return v
	}
	return def
}

func (r *configReader) num(key string, def int) int {
	if r.c.Get(key) == "" {
		return def
	}
	return r.c.GetInt(key)
}

func (r *configReader) list(key string, def []string) []string {
	var out []string
	if r.c.Get(key) == "" {
		return def
	}
	if err := r.c.TryObject(key, &out); err != nil {
		r.fail(key, "must be a list of strings: %v", err)
	}
	return out
}

// fail records one bad key, named as Pulumi names it (project:key).
func (r *configReader) fail(key, format string, args ...any) {
	r.errs = append(r.errs, fmt.Errorf("config %s:%s %s", r.project, key, fmt.Sprintf(format, args...)))
}

// read is every key with its default; the checks come after.
func (r *configReader) read() *Config {
	cfg := &Config{
		Project:          r.project,
		Stack:            r.stack,
		Region:           r.aws.Get("region"),
		Prefix:           r.str("namePrefix", "twin") + "-" + r.stack,
		Environment:      r.str("environment", "staging"),
		Domain:           strings.ToLower(r.str("domain", "")),
		HostedZoneID:     r.str("hostedZoneId", ""),
		CertificateArn:   r.str("certificateArn", ""),
		APIDomain:        strings.ToLower(r.str("apiDomain", "")),
		APICertArn:       r.str("apiCertificateArn", ""),
		PriceClass:       r.str("priceClass", "PriceClass_100"),
		LambdaArchive:    r.str("lambdaArchive", ""),
		SiteDir:          r.str("siteDir", "frontend/out"),
		MemorySize:       r.num("memorySize", 512),
		ChatTimeout:      r.num("chatTimeout", 30),
		ShortTimeout:     r.num("shortTimeout", 10),
		StreamTimeout:    r.num("streamTimeout", 120),
		ReservedConc:     r.num("reservedConcurrency", 10),
		LogRetentionDays: r.num("logRetentionDays", 30),
		PersonaFile:      r.str("personaFile", "me.txt"),
		PersonaKey:       r.str("personaKey", "me.txt"),
		MemoryPrefix:     r.str("memoryPrefix", "sessions/"),
		SessionRetention: r.num("sessionRetentionDays", 0),
		NoncurrentDays:   r.num("noncurrentVersionDays", 30),
		LLMProvider:      r.str("llmProvider", "bedrock"),
		BedrockModelID:   r.str("bedrockModelId", ""),
		BedrockGlobalRouting: r.c.Get("bedrockGlobalRouting") != "" &&
			r.c.GetBool("bedrockGlobalRouting"),
		OpenAIBaseURL: r.str("openaiBaseUrl", "https://api.openai.com/v1"),
		OpenAIModel:   r.str("openaiModel", ""),
		CustomerManagedKey: r.c.Get("customerManagedKey") != "" &&
			r.c.GetBool("customerManagedKey"),
		RateLimitPerMinute:    r.num("rateLimitPerMinute", 60),
		MaxMessageChars:       r.num("maxMessageChars", 4000),
		MaxSessionMessages:    r.num("maxSessionMessages", 500),
		ThrottleBurst:         r.num("throttleBurst", 1000),
		AlarmEmail:            r.str("alarmEmail", ""),
		WAF:                   r.c.Get("waf") != "" && r.c.GetBool("waf"),
		WAFRateLimit:          r.num("wafRateLimit", 500),
		GitHubRepository:      r.str("githubRepository", ""),
		GitHubOIDCProviderArn: r.str("githubOidcProviderArn", ""),
		OriginSecret:          r.str("originSecret", ""),
		OriginSecretPrevious:  r.str("originSecretPrevious", ""),
	}
	cfg.ThrottleRate = float64(r.num("throttleRate", 1000))
	cfg.OwnerFeatures = r.c.Get("ownerFeatures") == "" || r.c.GetBool("ownerFeatures")
	cfg.ProtectData = cfg.Environment == "production"
	if r.c.Get("protectData") != "" {
		cfg.ProtectData = r.c.GetBool("protectData")
	}
	cfg.OwnerEmail = r.str("ownerEmail", cfg.AlarmEmail)
	cfg.OwnerPrefixes = r.list("ownerPrefixes", []string{"leads/", "questions/", "feedback/", "owner/"})
	cfg.BedrockProfileRegions = r.list("bedrockProfileRegions", nil)
	defLevel := "info"
	if cfg.Environment == "production" {
		defLevel = "warn"
	}
	cfg.LogLevel = r.str("logLevel", defLevel)
	cfg.GitHubEnvironment = r.str("githubEnvironment", cfg.Environment)

	return cfg
}

// checkEdge: the account, names, domains and certificates of the public edge.
func checkEdge(r *configReader, cfg *Config) {
	if cfg.Region == "" {
		r.errs = append(r.errs, errors.New("config aws:region is required"))
	}
	if !prefixRE.MatchString(r.str("namePrefix", "twin")) {
		r.fail("namePrefix", "must be 1-20 lowercase letters, digits or dashes")
	}
	if cfg.Environment != "staging" && cfg.Environment != "production" {
		r.fail("environment", "must be staging or production, not %q", cfg.Environment)
	}
	if !domainRE.MatchString(cfg.Domain) {
		r.fail("domain", "is required: a DNS name such as twin.example.com (CloudFront needs a custom certificate for TLS 1.2)")
	}
	if cfg.HostedZoneID == "" && cfg.CertificateArn == "" {
		r.fail("certificateArn", "or hostedZoneId is required to get a certificate for %q", cfg.Domain)
	}
	if cfg.CertificateArn != "" && !strings.HasPrefix(cfg.CertificateArn, "arn:aws:acm:us-east-1:") {
		r.fail("certificateArn", "must be an ACM certificate in us-east-1 (CloudFront), got %q", cfg.CertificateArn)
	}
	if len(cfg.OriginSecret) < MinOriginSecret {
		r.fail("originSecret", "is required, at least %d characters: pulumi config set --secret originSecret \"$(openssl rand -hex 32)\"", MinOriginSecret)
	}
	if p := cfg.OriginSecretPrevious; p != "" && (len(p) < MinOriginSecret || p == cfg.OriginSecret) {
		r.fail("originSecretPrevious", "must be the earlier originSecret (at least %d characters, not the current one)", MinOriginSecret)
	}
	if cfg.APIDomain != "" {
		if !domainRE.MatchString(cfg.APIDomain) {
			r.fail("apiDomain", "is not a DNS name: %q", cfg.APIDomain)
		}
		if cfg.HostedZoneID == "" && cfg.APICertArn == "" {
			r.fail("apiCertificateArn", "or hostedZoneId is required for apiDomain %q", cfg.APIDomain)
		}
	}
	switch cfg.PriceClass {
	case "PriceClass_100", "PriceClass_200", "PriceClass_All":
	default:
		r.fail("priceClass", "must be PriceClass_100, PriceClass_200 or PriceClass_All")
	}
}

// checkFunctions: the Lambda functions' size, timeouts, concurrency and logs.
func checkFunctions(r *configReader, cfg *Config) {
	if cfg.MemorySize < 512 || cfg.MemorySize > 1024 {
		r.fail("memorySize", "must be 512..1024 MB, got %d", cfg.MemorySize)
	}
	if cfg.ChatTimeout < 1 || cfg.ChatTimeout > 30 {
		r.fail("chatTimeout", "must be 1..30 s (API Gateway integrations stop at 30 s), got %d", cfg.ChatTimeout)
	}
	if cfg.ShortTimeout < 1 || cfg.ShortTimeout > cfg.ChatTimeout {
		r.fail("shortTimeout", "must be 1..chatTimeout s, got %d", cfg.ShortTimeout)
	}
	if cfg.StreamTimeout < 10 || cfg.StreamTimeout > 900 {
		r.fail("streamTimeout", "must be 10..900 s, got %d", cfg.StreamTimeout)
	}
	if cfg.ReservedConc < 1 {
		r.fail("reservedConcurrency", "must be at least 1 (it is the cost cap), got %d", cfg.ReservedConc)
	}
	if !validRetention[cfg.LogRetentionDays] {
		r.fail("logRetentionDays", "must be a CloudWatch retention (1, 3, 5, 7, 14, 30, 60, 90, ...), got %d", cfg.LogRetentionDays)
	}
	switch cfg.LogLevel {
	case "debug", "info", "warn", "error":
	default:
		r.fail("logLevel", "must be debug, info, warn or error")
	}
}

// checkStorage: the memory bucket's prefixes and retention, the persona's key.
func checkStorage(r *configReader, cfg *Config) {
	for _, p := range append([]string{cfg.MemoryPrefix}, cfg.OwnerPrefixes...) {
		if !strings.HasSuffix(p, "/") || !s3KeyRE.MatchString(p) || strings.Contains(p, "*") {
			r.fail("memoryPrefix", "and ownerPrefixes must be plain key prefixes ending in /, got %q", p)
		}
	}
	if !s3KeyRE.MatchString(cfg.PersonaKey) || strings.Contains(cfg.PersonaKey, "*") {
		r.fail("personaKey", "is not a plain S3 key: %q", cfg.PersonaKey)
	}
	if cfg.SessionRetention < 0 || cfg.NoncurrentDays < 1 {
		r.fail("noncurrentVersionDays", "must be >= 1 and sessionRetentionDays >= 0")
	}
}

// checkModel: the provider and the model id it needs.
func checkModel(r *configReader, cfg *Config) {
	switch cfg.LLMProvider {
	case "bedrock":
		if !modelIDRE.MatchString(cfg.BedrockModelID) {
			r.fail("bedrockModelId", "is required when llmProvider is bedrock")
		}
		switch {
		case isGlobalProfile(cfg.BedrockModelID) && !cfg.BedrockGlobalRouting:
			r.fail("bedrockModelId", "%q is a global inference profile: it routes to any commercial region, which "+
				"the per-region grant does not cover; set twin:bedrockGlobalRouting true to grant it (requests may "+
				"leave %s's geography) or use a geographic profile such as eu.", cfg.BedrockModelID, cfg.Region)
		case isGlobalProfile(cfg.BedrockModelID):
		case isInferenceProfile(cfg.BedrockModelID) && len(cfg.BedrockProfileRegions) == 0:
			r.fail("bedrockProfileRegions", "must list the regions inference profile %q routes to", cfg.BedrockModelID)
		}
	case "openai":
		if cfg.OpenAIModel == "" {
			r.fail("openaiModel", "is required when llmProvider is openai")
		}
		if !strings.HasPrefix(cfg.OpenAIBaseURL, "https://") {
			r.fail("openaiBaseUrl", "must be an https:// URL, got %q", cfg.OpenAIBaseURL)
		}
	default:
		r.fail("llmProvider", "must be bedrock or openai, not %q", cfg.LLMProvider)
	}
}

// checkLimits: rate limits, throttling, WAF, the notification addresses and the CI repository.
func checkLimits(r *configReader, cfg *Config) {
	if cfg.RateLimitPerMinute < 1 || cfg.MaxMessageChars < 1 || cfg.MaxSessionMessages < 2 {
		r.fail("rateLimitPerMinute", "maxMessageChars and maxSessionMessages must be positive")
	}
	if cfg.ThrottleRate < 1 || cfg.ThrottleBurst < 1 {
		r.fail("throttleRate", "and throttleBurst must be positive")
	}
	if cfg.WAFRateLimit < 10 {
		r.fail("wafRateLimit", "must be at least 10 requests per 5 minutes, got %d", cfg.WAFRateLimit)
	}
	if cfg.AlarmEmail != "" && !strings.Contains(cfg.AlarmEmail, "@") {
		r.fail("alarmEmail", "is not an email address")
	}
	if cfg.OwnerEmail != "" && !strings.Contains(cfg.OwnerEmail, "@") {
		r.fail("ownerEmail", "is not an email address")
	}
	if cfg.GitHubRepository != "" && !repoRE.MatchString(cfg.GitHubRepository) {
		r.fail("githubRepository", "must be owner/repo, got %q", cfg.GitHubRepository)
	}
}

var validRetention = map[int]bool{1: true, 3: true, 5: true, 7: true, 14: true, 30: true, 60: true,
	90: true, 120: true, 150: true, 180: true, 365: true, 400: true, 545: true, 731: true,
	1096: true, 1827: true, 2192: true, 2557: true, 2922: true, 3288: true, 3653: true}

// isInferenceProfile tells a cross-region inference profile id (us.anthropic...) from a
// foundation model id (anthropic...).
func isInferenceProfile(id string) bool {
	for _, p := range []string{"us.", "eu.", "apac.", "us-gov.", "jp.", "au.", "ca.", "global."} {
		if strings.HasPrefix(id, p) {
			return true
		}
	}
	return false
}

// isGlobalProfile tells a global cross-region inference profile (global.anthropic...), which
// routes to every commercial region, from a geographic one.
func isGlobalProfile(id string) bool { return strings.HasPrefix(id, "global.") }

// ProjectPath resolves a config path (relative to the project root, where Pulumi.yaml lives).
// The Go language host runs the program from infra/, and tests run from infra/stack, so the
// root is found by walking up to Pulumi.yaml rather than trusting the working directory.
func ProjectPath(ctx *pulumi.Context, p string) string {
	if filepath.IsAbs(p) {
		return p
	}
	if root := ctx.RootDirectory(); root != "" {
		return filepath.Join(root, p)
	}
	dir, err := os.Getwd()
	if err != nil {
		return p
	}
	for d := dir; ; d = filepath.Dir(d) {
		if _, err := os.Stat(filepath.Join(d, "Pulumi.yaml")); err == nil {
			return filepath.Join(d, p)
		}
		if filepath.Dir(d) == d {
			return filepath.Join(dir, p)
		}
	}
}
