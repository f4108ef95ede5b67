package config

import (
	"os"
	"path/filepath"
	"runtime/debug"
	"strings"
	"testing"
)

func TestBuildInfo(t *testing.T) {
	info := func(v string, settings ...string) func() (*debug.BuildInfo, bool) {
		return func() (*debug.BuildInfo, bool) {
			bi := &debug.BuildInfo{Main: debug.Module{Version: v}}
			for i := 0; i+1 < len(settings); i += 2 {
				bi.Settings = append(bi.Settings, debug.BuildSetting{Key: settings[i], Value: settings[i+1]})
			}
			return bi, true
		}
	}
	none := func() (*debug.BuildInfo, bool) { return nil, false }
	rev := "0123456789abcdef0123"
	for _, c := range []struct {
		ldflags string
		read    func() (*debug.BuildInfo, bool)
		want    string
	}{
		{"v1.2.3", info("(devel)", "vcs.revision", rev), "twin v1.2.3 (commit 0123456789ab)"},
		{"", info("(devel)", "vcs.revision", rev, "vcs.modified", "true"), "twin dev (commit 0123456789ab-dirty)"},
		{"", info("v0.4.0"), "twin v0.4.0"},
		{"", info("v0.0.0-20261204101010-0123456789ab", "vcs.revision", rev), "twin v0.0.0-20261204101010-0123456789ab"},
		{"", none, "twin dev"},
		{"v2", none, "twin v2"},
	} {
		if got := buildFrom(c.ldflags, c.read).String(); got != c.want {
			t.Errorf("buildFrom(%q) = %q, want %q", c.ldflags, got, c.want)
		}
	}
}

func TestDotEnv(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, ".env")
	body := "# comment\nLLM_PROVIDER=openai\nOPENAI_MODEL=\"gpt-4o-mini\"\nexport PORT=9000\nHOST=from-file\n"
	if err := os.WriteFile(path, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	real := map[string]string{"HOST": "127.0.0.2", "LOG_LEVEL": ""}
	getenv, err := DotEnv(path, func(k string) (string, bool) { v, ok := real[k]; return v, ok })
	if err != nil {
		t.Fatal(err)
	}
	for k, want := range map[string]string{
		"LLM_PROVIDER": "openai", "OPENAI_MODEL": "gpt-4o-mini", "PORT": "9000",
		"HOST":      "127.0.0.2", // the real environment wins
		"LOG_LEVEL": "", "MISSING": "",
	} {
		if got := getenv(k); got != want {
			t.Errorf("getenv(%q) = %q, want %q", k, got, want)
		}
	}
	// A missing file is fine; a malformed one is an error naming it.
	if _, err := DotEnv(filepath.Join(dir, "none"), func(string) (string, bool) { return "", false }); err != nil {
		t.Errorf("missing .env: %v", err)
	}
	bad := filepath.Join(dir, "bad.env")
	if err := os.WriteFile(bad, []byte("A='unterminated\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := DotEnv(bad, func(string) (string, bool) { return "", false }); err == nil || !strings.Contains(err.Error(), bad) {
		t.Errorf("malformed .env: err = %v, want one naming %s", err, bad)
	}
}
