// Package config parses the twin's configuration from the environment once, at start (the variables
// are listed in README.md, "Configuration"). Defaults live here and nowhere else; a bad value fails
// with one line naming the variable.
package config

import (
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// Environments.
const (
	EnvLocal      = "local"
	EnvStaging    = "staging"
	EnvProduction = "production"
)

// Secret is a string that never prints.
type Secret string

// String masks the secret.
func (s Secret) String() string {
	if s == "" {
		return ""
	}
	return "********"
}

// LogValue masks the secret in slog output.
func (s Secret) LogValue() slog.Value { return slog.StringValue(s.String()) }

// Value returns the secret itself.
func (s Secret) Value() string { return string(s) }

// Config is every setting of the twin.
type Config struct {
	Environment string // local | staging | production
	Port        int
	// Host is the local server's bind address: loopback unless the owner says otherwise.
	Host string

	PersonaFile   string // used when PersonaBucket is empty
	PersonaBucket string
	PersonaKey    string

	// DataDir holds everything the local server writes: sessions (unless MemoryDir says
	// otherwise) and the owner's records (leads, questions, feedback).
	DataDir      string
	MemoryDir    string // used when MemoryBucket is empty; default DataDir/sessions
	MemoryBucket string
	MemoryPrefix string

	LLMProvider       string // offline | openai | bedrock
	OpenAIBaseURL     string
	OpenAIModel       string
	OpenAIAPIKey      Secret // local only
	LLMAPIKeySecretID string
	BedrockModelID    string
	// BedrockPromptCache puts a cache point after the system prompt for Bedrock models with
	// prompt caching (BEDROCK_PROMPT_CACHE, default true).
	BedrockPromptCache bool
	// OfflineTokenDelay paces the offline responder's stream so a local UI shows it streaming.
	OfflineTokenDelay time.Duration
	// FirstTokenTimeout is how long a turn waits for the model's first word before it answers
	// llm_unavailable (and stores the turn as failed).
	FirstTokenTimeout time.Duration

	CORSAllowedOrigins []string
	// EmbedAllowedOrigins are the origins whose pages may frame the widget's embed page
	// (Content-Security-Policy: frame-ancestors); "*" (any) is the local default and allowed
	// only locally, none is the default elsewhere.
	EmbedAllowedOrigins []string
	RateLimitPerMinute  int
	MaxMessageChars     int
	MaxSessionMessages  int

	// Owner features: where notifications go (none: logged), and the Secrets Manager id of the
	// token that opens the owner summary outside ENVIRONMENT=local.
	OwnerTopicARN      string
	OwnerNotifyWindow  time.Duration
	OwnerTokenSecretID string
	// Flood limits: owner notifications per UTC day across every instance (past it, one digest
	// the next day), and records (leads, questions, ratings) per client address per UTC day.
	OwnerNotifyDailyCap      int
	OwnerRecordsPerClientDay int

	LogLevel    slog.Level
	FrontendDir string
	LambdaFront string // "", http-api, function-url
	// OriginSecretID is the Secrets Manager id of the origin secret: the header value CloudFront
	// adds to every request it sends to the functions, which refuse requests without it.
	// Required on Lambda outside local (docs/decisions/0013-origins-accept-only-cloudfront.md).
	OriginSecretID string
	Version        string
}

// Load reads the configuration through getenv and validates it. The error lists every problem,
// one line each, naming the variable.
func Load(getenv func(string) string) (Config, error) {
	p := parser{getenv: getenv}
	c := Config{
		Environment:              p.oneOf("ENVIRONMENT", EnvLocal, EnvLocal, EnvStaging, EnvProduction),
		Port:                     p.intRange("PORT", 8000, 0, 65535),
		Host:                     p.str("HOST", "127.0.0.1"),
		PersonaFile:              p.str("PERSONA_FILE", "./me.txt"),
		PersonaBucket:            p.str("S3_PERSONA_BUCKET", ""),
		PersonaKey:               p.str("PERSONA_KEY", "me.txt"),
		DataDir:                  p.str("DATA_DIR", "./data"),
		MemoryBucket:             p.str("S3_MEMORY_BUCKET", ""),
		MemoryPrefix:             p.str("MEMORY_PREFIX", "sessions/"),
		LLMProvider:              p.oneOf("LLM_PROVIDER", "offline", "offline", "openai", "bedrock"),
		OpenAIBaseURL:            p.str("OPENAI_BASE_URL", "https://api.openai.com/v1"),
		OpenAIModel:              p.str("OPENAI_MODEL", "gpt-4o-mini"),
		OpenAIAPIKey:             Secret(p.str("OPENAI_API_KEY", "")),
		LLMAPIKeySecretID:        p.str("LLM_API_KEY_SECRET_ID", ""),
		BedrockModelID:           p.str("BEDROCK_MODEL_ID", ""),
		BedrockPromptCache:       p.oneOf("BEDROCK_PROMPT_CACHE", "true", "true", "false") == "true",
		OfflineTokenDelay:        time.Duration(p.intRange("OFFLINE_TOKEN_DELAY_MS", 15, 0, 10_000)) * time.Millisecond,
		FirstTokenTimeout:        p.duration("FIRST_TOKEN_TIMEOUT", 30*time.Second, time.Second, 10*time.Minute),
		RateLimitPerMinute:       p.intRange("RATE_LIMIT_PER_MINUTE", 60, 1, 1_000_000),
		MaxMessageChars:          p.intRange("MAX_MESSAGE_CHARS", 4000, 1, 100_000),
		MaxSessionMessages:       p.intRange("MAX_SESSION_MESSAGES", 500, 2, 100_000),
		OwnerTopicARN:            p.str("OWNER_TOPIC_ARN", ""),
		OwnerNotifyWindow:        time.Duration(p.intRange("OWNER_NOTIFY_WINDOW_SECONDS", 60, 0, 3600)) * time.Second,
		OwnerTokenSecretID:       p.str("OWNER_TOKEN_SECRET_ID", ""),
		OwnerNotifyDailyCap:      p.intRange("OWNER_NOTIFY_DAILY_CAP", 24, 1, 10_000),
		OwnerRecordsPerClientDay: p.intRange("OWNER_RECORDS_PER_CLIENT_DAY", 50, 1, 100_000),
		FrontendDir:              p.str("FRONTEND_DIR", "frontend/out"),
		LambdaFront:              p.oneOf("LAMBDA_FRONT", "", "", "http-api", "function-url"),
		OriginSecretID:           p.str("ORIGIN_SECRET_ID", ""),
		Version:                  BuildInfo().Version,
	}
	c.MemoryDir = p.str("MEMORY_DIR", filepath.Join(c.DataDir, "sessions"))
	c.LogLevel = p.level("LOG_LEVEL", defaultLevel(c.Environment))
	c.CORSAllowedOrigins = p.origins("CORS_ALLOWED_ORIGINS", c.Environment, []string{"http://localhost:3000", "http://127.0.0.1:3000"})
	c.EmbedAllowedOrigins = p.origins("EMBED_ALLOWED_ORIGINS", c.Environment, []string{"*"})
	p.check(c)
	return c, errors.Join(p.errs...)
}

func defaultLevel(env string) string {
	switch env {
	case EnvStaging:
		return "info"
	case EnvProduction:
		return "warn"
	default:
		return "debug"
	}
}

// check validates the combinations.
func (p *parser) check(c Config) {
	local := c.Environment == EnvLocal
	if c.MemoryBucket != "" && !strings.HasSuffix(c.MemoryPrefix, "/") && c.MemoryPrefix != "" {
		p.fail("MEMORY_PREFIX", "must end with / (got %q)", c.MemoryPrefix)
	}
	if c.OpenAIAPIKey != "" && !local {
		p.fail("OPENAI_API_KEY", "is accepted only when ENVIRONMENT=local; store the key in Secrets Manager and set LLM_API_KEY_SECRET_ID")
	}
	switch c.LLMProvider {
	case "openai":
		p.modelURL("OPENAI_BASE_URL", c.OpenAIBaseURL, local)
		if c.OpenAIModel == "" {
			p.fail("OPENAI_MODEL", "is required when LLM_PROVIDER=openai")
		}
		if !local && c.LLMAPIKeySecretID == "" {
			p.fail("LLM_API_KEY_SECRET_ID", "is required when LLM_PROVIDER=openai outside ENVIRONMENT=local")
		}
	case "bedrock":
		if c.BedrockModelID == "" {
			p.fail("BEDROCK_MODEL_ID", "is required when LLM_PROVIDER=bedrock")
		}
	}
	if c.OwnerTopicARN != "" && !strings.HasPrefix(c.OwnerTopicARN, "arn:") {
		p.fail("OWNER_TOPIC_ARN", "must be an SNS topic ARN (got %q)", c.OwnerTopicARN)
	}
	if !validHost(c.Host) {
		p.fail("HOST", "must be an IP address or a host name like localhost (got %q)", c.Host)
	}
	if c.LambdaFront != "" && !local && c.OriginSecretID == "" {
		p.fail("ORIGIN_SECRET_ID", "is required on Lambda outside ENVIRONMENT=local: the functions accept only requests CloudFront signs with it")
	}
	if c.PersonaBucket == "" && c.PersonaFile == "" {
		p.fail("PERSONA_FILE", "must not be empty when S3_PERSONA_BUCKET is unset")
	}
}

type parser struct {
	getenv func(string) string
	errs   []error
}

func (p *parser) fail(name, format string, args ...any) {
	p.errs = append(p.errs, fmt.Errorf("config: %s %s", name, fmt.Sprintf(format, args...)))
}

func (p *parser) str(name, def string) string {
	if v := strings.TrimSpace(p.getenv(name)); v != "" {
		return v
	}
	return def
}

func (p *parser) oneOf(name, def string, allowed ...string) string {
	v := p.str(name, def)
	for _, a := range allowed {
		if v == a {
			return v
		}
	}
	p.fail(name, "must be one of %s (got %q)", strings.Join(nonEmpty(allowed), ", "), v)
	return def
}

func nonEmpty(ss []string) []string {
	var out []string
	for _, s := range ss {
		if s != "" && !contains(out, s) {
			out = append(out, s)
		}
	}
	return out
}

func contains(ss []string, s string) bool {
	for _, x := range ss {
		if x == s {
			return true
		}
	}
	return false
}

func (p *parser) intRange(name string, def, lo, hi int) int {
	raw := p.str(name, "")
	if raw == "" {
		return def
	}
	n, err := strconv.Atoi(raw)
	if err != nil || n < lo || n > hi {
		p.fail(name, "must be an integer from %d to %d (got %q)", lo, hi, raw)
		return def
	}
	return n
}

// duration parses a Go duration ("30s", "1m30s") within [lo, hi].
func (p *parser) duration(name string, def, lo, hi time.Duration) time.Duration {
	v := p.getenv(name)
	if v == "" {
		return def
	}
	d, err := time.ParseDuration(v)
	if err != nil || d < lo || d > hi {
		p.fail(name, "must be a duration between %s and %s, like 30s (got %q)", lo, hi, v)
		return def
	}
	return d
}

func (p *parser) level(name, def string) slog.Level {
	raw := strings.ToLower(p.str(name, def))
	var l slog.Level
	if raw == "warning" {
		raw = "warn"
	}
	if !contains([]string{"debug", "info", "warn", "error"}, raw) || l.UnmarshalText([]byte(raw)) != nil {
		p.fail(name, "must be one of debug, info, warn, error (got %q)", raw)
	}
	return l
}

// origins parses exact origins (scheme://host[:port]); `*` is allowed only locally, and unset
// means localDefault locally and none elsewhere.
func (p *parser) origins(name, env string, localDefault []string) []string {
	raw := p.str(name, "")
	if raw == "" {
		if env == EnvLocal {
			return localDefault
		}
		return nil
	}
	var out []string
	for _, o := range strings.Split(raw, ",") {
		o = strings.TrimSpace(o)
		if o == "" {
			continue
		}
		if o == "*" {
			if env != EnvLocal {
				p.fail(name, "must list exact origins; * is allowed only when ENVIRONMENT=local")
				continue
			}
			out = append(out, o)
			continue
		}
		u, err := url.Parse(o)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || (u.Path != "" && u.Path != "/") || u.RawQuery != "" {
			p.fail(name, "has %q, which is not an origin like https://example.com", o)
			continue
		}
		out = append(out, u.Scheme+"://"+u.Host)
	}
	return out
}

// LogAttrs returns the configuration for the start-up log line; secrets are masked.
func (c Config) LogAttrs() []slog.Attr {
	return []slog.Attr{
		slog.String("environment", c.Environment), slog.String("host", c.Host), slog.Int("port", c.Port),
		slog.String("persona", c.personaLocation()), slog.String("memory", c.memoryLocation()), slog.String("owner_records", c.ownerLocation()),
		slog.String("llm_provider", c.LLMProvider), slog.String("openai_base_url", redactURL(c.OpenAIBaseURL)),
		slog.String("openai_model", c.OpenAIModel), slog.Any("openai_api_key", c.OpenAIAPIKey),
		slog.String("llm_api_key_secret_id", c.LLMAPIKeySecretID), slog.String("bedrock_model_id", c.BedrockModelID),
		slog.Duration("offline_token_delay", c.OfflineTokenDelay), slog.Duration("first_token_timeout", c.FirstTokenTimeout),
		slog.Any("cors_allowed_origins", c.CORSAllowedOrigins), slog.Any("embed_allowed_origins", c.EmbedAllowedOrigins), slog.Int("rate_limit_per_minute", c.RateLimitPerMinute),
		slog.Int("max_message_chars", c.MaxMessageChars), slog.Int("max_session_messages", c.MaxSessionMessages),
		slog.String("owner_topic_arn", c.OwnerTopicARN), slog.Duration("owner_notify_window", c.OwnerNotifyWindow),
		slog.String("owner_token_secret_id", c.OwnerTokenSecretID), slog.String("origin_secret_id", c.OriginSecretID), slog.Int("owner_notify_daily_cap", c.OwnerNotifyDailyCap),
		slog.Int("owner_records_per_client_day", c.OwnerRecordsPerClientDay),
		slog.String("log_level", c.LogLevel.String()), slog.String("frontend_dir", c.FrontendDir),
		slog.String("lambda_front", c.LambdaFront), slog.String("version", c.Version),
	}
}

func (c Config) personaLocation() string {
	if c.PersonaBucket != "" {
		return "s3://" + c.PersonaBucket + "/" + c.PersonaKey
	}
	return c.PersonaFile
}

func (c Config) memoryLocation() string {
	if c.MemoryBucket != "" {
		return "s3://" + c.MemoryBucket + "/" + c.MemoryPrefix
	}
	return c.MemoryDir
}

// ownerLocation is where the owner's records go: the memory bucket's leads/, questions/,
// feedback/ and owner/ prefixes on AWS, DATA_DIR locally.
func (c Config) ownerLocation() string {
	if c.MemoryBucket != "" {
		return "s3://" + c.MemoryBucket + "/"
	}
	return c.DataDir
}
