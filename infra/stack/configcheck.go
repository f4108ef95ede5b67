package stack

import (
	"errors"
	"strings"
)

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
