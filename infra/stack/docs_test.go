package stack_test

import (
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/digitaltwin/twin/infra/stack/stacktest"
)

// TestConfigKeysAreDocumented keeps docs/deploy.md the one place the configuration is
// documented: every key config.go reads is in its tables, and the stack files set only keys
// the program reads.
func TestConfigKeysAreDocumented(t *testing.T) {
	root, err := stacktest.Root()
	if err != nil {
		t.Fatal(err)
	}
	src, err := os.ReadFile("config.go")
	if err != nil {
		t.Fatal(err)
	}
	read := map[string]bool{"aws:region": true}
	for _, m := range regexp.MustCompile(`(?:str|num|list|c\.Get|c\.GetBool)\("([a-zA-Z]+)"`).FindAllStringSubmatch(string(src), -1) {
		read[m[1]] = true
	}
	if len(read) < 40 {
		t.Fatalf("found only %d keys in config.go: the pattern is stale", len(read))
	}
	doc, err := os.ReadFile(filepath.Join(root, "docs", "deploy.md"))
	if err != nil {
		t.Fatal(err)
	}
	documented := map[string]bool{}
	for _, line := range strings.Split(string(doc), "\n") {
		if !strings.HasPrefix(line, "| `") {
			continue
		}
		first := strings.Split(line, "|")[1]
		for _, m := range regexp.MustCompile("`([a-zA-Z:]+)`").FindAllStringSubmatch(first, -1) {
			documented[m[1]] = true
		}
	}
	for k := range read {
		if !documented[k] {
			t.Errorf("config key %s is read by config.go but not documented in docs/deploy.md", k)
		}
	}
	for _, stackName := range []string{"staging", "prod"} {
		cfg, err := stacktest.LoadStackConfig(stackName)
		if err != nil {
			t.Fatal(err)
		}
		for k := range cfg {
			key := strings.TrimPrefix(k, stacktest.Project+":")
			if !read[key] && !slices.Contains([]string{"aws:region", "aws:defaultTags"}, k) {
				t.Errorf("Pulumi.%s.yaml sets %s, which the program does not read", stackName, k)
			}
		}
	}
}
