package config

import (
	"log/slog"
	"strings"
	"testing"

	"pgregory.net/rapid"
)

func TestHostDefaultsToLoopback(t *testing.T) {
	c, err := Load(env(nil))
	if err != nil {
		t.Fatal(err)
	}
	if got, want := c.Host, "127.0.0.1"; got != want {
		t.Fatalf("Host = %q, want %q", got, want)
	}
	for _, h := range []string{"0.0.0.0", "::", "::1", "localhost", "twin.lan", "192.168.1.20"} {
		if c, err := Load(env(map[string]string{"HOST": h})); err != nil || c.Host != h {
			t.Errorf("HOST=%s: %q, %v", h, c.Host, err)
		}
	}
	for _, h := range []string{"http://0.0.0.0", "127.0.0.1:8000", "bad host", "-x.example", "a..b"} {
		_, err := Load(env(map[string]string{"HOST": h}))
		if err == nil || !strings.HasPrefix(err.Error(), "config: HOST ") {
			t.Errorf("HOST=%s: error %v, want one naming HOST", h, err)
		}
	}
}

// TestModelURLMustBeHTTPSOutsideLocal: with http:// the API key would travel in clear.
func TestModelURLMustBeHTTPSOutsideLocal(t *testing.T) {
	for name, tc := range map[string]struct {
		env, url string
		ok       bool
	}{
		"local http (Ollama)":    {"local", "http://localhost:11434/v1", true},
		"local https":            {"local", "https://api.openai.com/v1", true},
		"staging https":          {"staging", "https://api.openai.com/v1", true},
		"production https":       {"production", "https://llm.internal.example/v1", true},
		"staging http":           {"staging", "http://api.openai.com/v1", false},
		"production http":        {"production", "http://10.0.0.5:8000/v1", false},
		"production HTTP upper":  {"production", "HTTP://api.openai.com/v1", false},
		"local ftp":              {"local", "ftp://models.example/v1", false},
		"local no host":          {"local", "https:///v1", false},
		"production no scheme":   {"production", "api.openai.com/v1", false},
		"production userinfo ok": {"production", "https://u:p@api.example/v1", true},
	} {
		_, err := Load(env(map[string]string{
			"ENVIRONMENT": tc.env, "LLM_PROVIDER": "openai", "OPENAI_BASE_URL": tc.url,
			"LLM_API_KEY_SECRET_ID": "twin/llm", "CORS_ALLOWED_ORIGINS": "https://me.example",
		}))
		if (err == nil) != tc.ok {
			t.Errorf("%s: %s: error %v, want ok=%v", name, tc.url, err, tc.ok)
		}
		if err != nil && (!strings.HasPrefix(err.Error(), "config: OPENAI_BASE_URL ") || strings.Contains(err.Error(), "\n")) {
			t.Errorf("%s: error %q, want one line naming OPENAI_BASE_URL", name, err)
		}
	}
}

func TestURLsAreLoggedWithoutUserinfo(t *testing.T) {
	for raw, want := range map[string]string{
		"https://api.openai.com/v1":                 "https://api.openai.com/v1",
		"https://user:hunter2@proxy.example/v1":     "https://proxy.example/v1",
		"https://sk-live-123@proxy.example/v1":      "https://proxy.example/v1",
		"https://proxy.example/v1?api-key=sk-12345": "https://proxy.example/v1?redacted",
		"http://[::1]:11434/v1":                     "http://[::1]:11434/v1",
		"https://u:p@host:99999999999/%zz":          "(unparsable URL, not shown)",
	} {
		if got := redactURL(raw); got != want {
			t.Errorf("redactURL(%q) = %q, want %q", raw, got, want)
		}
	}

	// The start-up line and the error line both go through it.
	secret := "hunter2"
	c, err := Load(env(map[string]string{"LLM_PROVIDER": "openai", "OPENAI_BASE_URL": "http://admin:" + secret + "@gpu.lan:8000/v1"}))
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	slog.New(slog.NewJSONHandler(&b, nil)).LogAttrs(t.Context(), slog.LevelInfo, "config", c.LogAttrs()...)
	if strings.Contains(b.String(), secret) || strings.Contains(b.String(), "admin") || !strings.Contains(b.String(), "gpu.lan:8000") {
		t.Fatalf("start-up line: %s", b.String())
	}
	_, err = Load(env(map[string]string{"ENVIRONMENT": "staging", "LLM_PROVIDER": "openai", "LLM_API_KEY_SECRET_ID": "s",
		"CORS_ALLOWED_ORIGINS": "https://me.example", "OPENAI_BASE_URL": "http://admin:" + secret + "@gpu.lan/v1"}))
	if err == nil || strings.Contains(err.Error(), secret) {
		t.Fatalf("error line: %v", err)
	}
}

// TestRedactURLProperty: whatever the user name, password and query of a model URL, the logged
// form keeps the scheme, host and path and none of the credentials.
func TestRedactURLProperty(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		user := "U" + rapid.StringMatching(`[A-Za-z0-9._~-]{4,16}`).Draw(t, "user")
		pass := "P" + rapid.StringMatching(`[A-Za-z0-9._~!$&'()*+,;=-]{4,24}`).Draw(t, "password")
		key := "K" + rapid.StringMatching(`[A-Za-z0-9-]{8,32}`).Draw(t, "key")
		host := rapid.StringMatching(`[a-z][a-z0-9-]{0,10}\.(example|lan|internal)`).Draw(t, "host")
		path := rapid.SampledFrom([]string{"", "/v1", "/openai/v1"}).Draw(t, "path")
		userinfo := user
		if rapid.Bool().Draw(t, "with password") {
			userinfo += ":" + pass
		}
		raw := "https://" + userinfo + "@" + host + path
		if rapid.Bool().Draw(t, "with query") {
			raw += "?api-key=" + key
		}
		got := redactURL(raw)
		for _, secret := range []string{user, pass, key, "@"} {
			if strings.Contains(got, secret) {
				t.Fatalf("redactURL(%q) = %q keeps %q", raw, got, secret)
			}
		}
		if !strings.HasPrefix(got, "https://"+host+path) {
			t.Fatalf("redactURL(%q) = %q lost the address", raw, got)
		}
	})
}
