package app_test

import (
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// TestMakefileTargets: every target of the Makefile is .PHONY and documented by a "## name:"
// line (which is what `make help` prints), and every .PHONY name has a rule: no phantom targets,
// no silent ones. File targets (a path with a slash or a dot) are left out.
func TestMakefileTargets(t *testing.T) {
	raw, err := os.ReadFile("../Makefile")
	if err != nil {
		t.Fatal(err)
	}
	var rules, phony, documented []string
	rule := regexp.MustCompile(`^([a-z][a-z0-9-]*):([^=]|$)`)
	doc := regexp.MustCompile(`^## ([a-z][a-z0-9-]*): `)
	for _, line := range strings.Split(string(raw), "\n") {
		if m := rule.FindStringSubmatch(line); m != nil {
			rules = append(rules, m[1])
		}
		if m := doc.FindStringSubmatch(line); m != nil {
			documented = append(documented, m[1])
		}
		if names, ok := strings.CutPrefix(line, ".PHONY:"); ok {
			phony = append(phony, strings.Fields(names)...)
		}
	}
	if len(rules) < 10 {
		t.Fatalf("found %d rules in the Makefile: is the pattern wrong?", len(rules))
	}
	for _, r := range rules {
		if !slices.Contains(phony, r) {
			t.Errorf("target %s is not .PHONY", r)
		}
		if !slices.Contains(documented, r) {
			t.Errorf("target %s has no \"## %s: ...\" line, so make help does not list it", r, r)
		}
	}
	for _, p := range phony {
		if !slices.Contains(rules, p) {
			t.Errorf(".PHONY names %s, which has no rule", p)
		}
	}
}
