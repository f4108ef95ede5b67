package stack

import (
	"errors"
	"fmt"
	"net/url"
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
	// EmbedAllowedOrigins are the sites whose pages may show the widget (frame /embed/); none by
	// default (config embedAllowedOrigins, exact origins).
	EmbedAllowedOrigins []string

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

// origins checks a list of exact origins (https://blog.example, no path and no *), writing each
// in its canonical form (no trailing slash).
func (r *configReader) origins(key string, out []string) {
	for i, o := range out {
		u, err := url.Parse(strings.TrimSuffix(o, "/"))
		if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.Path != "" || u.RawQuery != "" || strings.Contains(o, "*") {
			r.fail(key, "has %q, which is not an exact origin like https://blog.example", o)
			continue
		}
		out[i] = u.Scheme + "://" + u.Host
	}
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
	cfg.EmbedAllowedOrigins = r.list("embedAllowedOrigins", nil)
	r.origins("embedAllowedOrigins", cfg.EmbedAllowedOrigins)
	defLevel := "info"
	if cfg.Environment == "production" {
		defLevel = "warn"
	}
	cfg.LogLevel = r.str("logLevel", defLevel)
	cfg.GitHubEnvironment = r.str("githubEnvironment", cfg.Environment)

	return cfg
}

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
