package config

import (
	"log/slog"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func env(kv map[string]string) func(string) string {
	return func(k string) string { return kv[k] }
}

func TestDefaults(t *testing.T) {
	c, err := Load(env(nil))
	if err != nil {
		t.Fatal(err)
	}
	got := []any{c.Environment, c.Port, c.PersonaFile, c.DataDir, c.MemoryDir, c.MemoryPrefix, c.LLMProvider, c.RateLimitPerMinute, c.MaxMessageChars, c.MaxSessionMessages, c.LogLevel, c.FrontendDir, c.FirstTokenTimeout, c.BedrockPromptCache}
	want := []any{"local", 8000, "./me.txt", "./data", "data/sessions", "sessions/", "offline", 60, 4000, 500, slog.LevelDebug, "frontend/out", 30 * time.Second, true}
	if diff := cmp.Diff(got, want); diff != "" {
		t.Fatalf("defaults (-got +want):\n%s", diff)
	}
}

func TestBedrockPromptCacheSwitch(t *testing.T) {
	c, err := Load(env(map[string]string{"BEDROCK_PROMPT_CACHE": "false"}))
	if err != nil || c.BedrockPromptCache {
		t.Fatalf("BEDROCK_PROMPT_CACHE=false: %v, %v; want the cache point off", c.BedrockPromptCache, err)
	}
}

func TestDataDirHoldsTheSessionsUnlessMemoryDirSays(t *testing.T) {
	for name, tc := range map[string]struct {
		env          map[string]string
		data, memory string
	}{
		"data dir":         {map[string]string{"DATA_DIR": "/srv/twin"}, "/srv/twin", "/srv/twin/sessions"},
		"memory dir alone": {map[string]string{"MEMORY_DIR": "/tmp/x"}, "./data", "/tmp/x"},
		"both":             {map[string]string{"DATA_DIR": "/srv/twin", "MEMORY_DIR": "/tmp"}, "/srv/twin", "/tmp"},
	} {
		c, err := Load(env(tc.env))
		if err != nil {
			t.Fatal(err)
		}
		if c.DataDir != tc.data || c.MemoryDir != tc.memory {
			t.Errorf("%s: DATA_DIR %q MEMORY_DIR %q; want %q %q", name, c.DataDir, c.MemoryDir, tc.data, tc.memory)
		}
	}
}

// TestEmbedOriginsPerEnvironment: any site may frame the widget locally, none elsewhere unless
// listed, and a listed origin is kept exactly (scheme, host and port).
func TestEmbedOriginsPerEnvironment(t *testing.T) {
	for name, tc := range map[string]struct {
		env  map[string]string
		want []string
	}{
		"local default":      {nil, []string{"*"}},
		"production default": {map[string]string{"ENVIRONMENT": "production", "ORIGIN_SECRET_ID": "x"}, nil},
		"listed":             {map[string]string{"ENVIRONMENT": "staging", "EMBED_ALLOWED_ORIGINS": "https://blog.example, http://127.0.0.1:4000/"}, []string{"https://blog.example", "http://127.0.0.1:4000"}},
	} {
		c, err := Load(env(tc.env))
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if diff := cmp.Diff(c.EmbedAllowedOrigins, tc.want); diff != "" {
			t.Errorf("%s: EMBED_ALLOWED_ORIGINS (-got +want):\n%s", name, diff)
		}
	}
}

func TestLevelsPerEnvironment(t *testing.T) {
	for envName, want := range map[string]slog.Level{"staging": slog.LevelInfo, "production": slog.LevelWarn} {
		c, err := Load(env(map[string]string{"ENVIRONMENT": envName, "CORS_ALLOWED_ORIGINS": "https://me.example"}))
		if err != nil {
			t.Fatal(err)
		}
		if c.LogLevel != want {
			t.Errorf("%s: level %v, want %v", envName, c.LogLevel, want)
		}
	}
}

func TestErrorsNameTheVariable(t *testing.T) {
	for name, tc := range map[string]struct {
		env  map[string]string
		vars []string
	}{
		"bad port":                {map[string]string{"PORT": "eighty"}, []string{"PORT"}},
		"bad env":                 {map[string]string{"ENVIRONMENT": "prod"}, []string{"ENVIRONMENT"}},
		"bad provider":            {map[string]string{"LLM_PROVIDER": "gpt"}, []string{"LLM_PROVIDER"}},
		"key outside local":       {map[string]string{"ENVIRONMENT": "staging", "OPENAI_API_KEY": "sk-x"}, []string{"OPENAI_API_KEY"}},
		"star cors":               {map[string]string{"ENVIRONMENT": "production", "CORS_ALLOWED_ORIGINS": "*"}, []string{"CORS_ALLOWED_ORIGINS"}},
		"path origin":             {map[string]string{"CORS_ALLOWED_ORIGINS": "https://x.example/app"}, []string{"CORS_ALLOWED_ORIGINS"}},
		"star embed":              {map[string]string{"ENVIRONMENT": "staging", "EMBED_ALLOWED_ORIGINS": "*"}, []string{"EMBED_ALLOWED_ORIGINS"}},
		"embed not an origin":     {map[string]string{"EMBED_ALLOWED_ORIGINS": "blog.example"}, []string{"EMBED_ALLOWED_ORIGINS"}},
		"bedrock no model":        {map[string]string{"LLM_PROVIDER": "bedrock"}, []string{"BEDROCK_MODEL_ID"}},
		"openai no secret":        {map[string]string{"ENVIRONMENT": "staging", "LLM_PROVIDER": "openai"}, []string{"LLM_API_KEY_SECRET_ID"}},
		"lambda no origin secret": {map[string]string{"ENVIRONMENT": "production", "LAMBDA_FRONT": "http-api"}, []string{"ORIGIN_SECRET_ID"}},
		"two problems":            {map[string]string{"PORT": "-1", "LOG_LEVEL": "loud"}, []string{"PORT", "LOG_LEVEL"}},
		"zero limit":              {map[string]string{"RATE_LIMIT_PER_MINUTE": "0"}, []string{"RATE_LIMIT_PER_MINUTE"}},
		"bare seconds":            {map[string]string{"FIRST_TOKEN_TIMEOUT": "30"}, []string{"FIRST_TOKEN_TIMEOUT"}},
		"instant timeout":         {map[string]string{"FIRST_TOKEN_TIMEOUT": "1ms"}, []string{"FIRST_TOKEN_TIMEOUT"}},
		"prompt cache not a bool": {map[string]string{"BEDROCK_PROMPT_CACHE": "yes"}, []string{"BEDROCK_PROMPT_CACHE"}},
	} {
		_, err := Load(env(tc.env))
		if err == nil {
			t.Errorf("%s: no error", name)
			continue
		}
		lines := strings.Split(err.Error(), "\n")
		if len(lines) != len(tc.vars) {
			t.Errorf("%s: %d error lines %q, want %d", name, len(lines), lines, len(tc.vars))
		}
		for i, v := range tc.vars {
			if i < len(lines) && !strings.Contains(lines[i], v) {
				t.Errorf("%s: line %q does not name %s", name, lines[i], v)
			}
		}
	}
}

func TestSecretNeverPrints(t *testing.T) {
	c, err := Load(env(map[string]string{"OPENAI_API_KEY": "sk-very-secret"}))
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	slog.New(slog.NewJSONHandler(&b, nil)).LogAttrs(t.Context(), slog.LevelInfo, "config", c.LogAttrs()...)
	if strings.Contains(b.String(), "sk-very-secret") {
		t.Fatalf("secret in log: %s", b.String())
	}
	if c.OpenAIAPIKey.Value() != "sk-very-secret" {
		t.Fatal("Value() lost the secret")
	}
}

// TestEnvExampleListsEveryVariable: .env.example documents every variable Load reads, so a new
// setting cannot ship undocumented.
func TestEnvExampleListsEveryVariable(t *testing.T) {
	example, err := os.ReadFile("../../.env.example")
	if err != nil {
		t.Fatal(err)
	}
	listed := map[string]bool{}
	for _, m := range regexp.MustCompile(`(?m)^#?\s*([A-Z][A-Z0-9_]+)=`).FindAllStringSubmatch(string(example), -1) {
		listed[m[1]] = true
	}
	read := map[string]bool{}
	for _, env := range []map[string]string{nil, {"ENVIRONMENT": "staging"}, {"LLM_PROVIDER": "openai"}, {"LLM_PROVIDER": "bedrock"}} {
		_, _ = Load(func(k string) string { read[k] = true; return env[k] })
	}
	for k := range read {
		if !listed[k] {
			t.Errorf("%s is read by config.Load but not listed in .env.example", k)
		}
	}
	if len(read) < 10 {
		t.Fatalf("only %d variables seen: the recording getenv is broken", len(read))
	}
}
