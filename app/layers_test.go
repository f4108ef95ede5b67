package app_test

import (
	"os/exec"
	"slices"
	"strings"
	"testing"
)

// The layer rules of docs/architecture.md, over import paths relative to the module.

const module = "github.com/digitaltwin/twin/"

// drivenAdapters each wrap one outside dependency; only the composition root (app/wire), the
// mains and tests may import them, so they never import each other.
var drivenAdapters = []string{
	"app/memory/filestore", "app/memory/memstore", "app/memory/s3store", "app/persona/s3source",
	"app/llm/offline", "app/llm/openai", "app/llm/bedrock", "app/secrets", "app/owner/s3blobs", "app/owner/snspub",
}

// testKits are imported by tests only (and by the load tool, which runs the twin on fakes).
var testKits = []string{"app/twintest", "app/faults", "app/llm/llmtest", "app/memory/storetest"}

// violations returns every import in graph (package → its non-test imports, both relative to the
// module for our packages) that breaks a layer rule.
func violations(graph map[string][]string) []string {
	var out []string
	bad := func(pkg, imp, rule string) { out = append(out, pkg+" imports "+imp+": "+rule) }
	for pkg, imports := range graph {
		for _, imp := range imports {
			ours := strings.HasPrefix(imp, "app/") || strings.HasPrefix(imp, "infra") || strings.HasPrefix(imp, "dashboards") || strings.HasPrefix(imp, "tools/")
			switch {
			case pkg == "app/twin" && (ours || imp == "net/http"):
				bad(pkg, imp, "the domain imports nothing of ours, and no HTTP")
			case slices.Contains(drivenAdapters, imp) && !isRoot(pkg):
				bad(pkg, imp, "only app/wire and the mains pick adapters; adapters never import each other")
			case within(imp, testKits) && !within(pkg, testKits) && pkg != "app/cmd/load":
				bad(pkg, imp, "test kits are for tests")
			case strings.HasPrefix(imp, "app/cmd") && !strings.HasPrefix(pkg, "app/cmd"):
				bad(pkg, imp, "nothing imports a main")
			case (strings.HasPrefix(pkg, "infra") || strings.HasPrefix(pkg, "dashboards")) && strings.HasPrefix(imp, "app/") && imp != "app/httpapi":
				bad(pkg, imp, "infrastructure imports no app code but the route table (docs/decisions/0012)")
			case strings.HasPrefix(pkg, "app/") && (strings.HasPrefix(imp, "infra") || strings.HasPrefix(imp, "dashboards")):
				bad(pkg, imp, "the app does not depend on its infrastructure")
			case pkg == "app/chat" && (imp == "app/httpapi" || imp == "app/wire" || imp == "app/config"):
				bad(pkg, imp, "the use case knows nothing of HTTP, wiring or configuration")
			}
		}
	}
	slices.Sort(out)
	return out
}

// isRoot: the composition root, the mains and the test server helper, which build the twin.
func isRoot(pkg string) bool {
	return pkg == "app/wire" || strings.HasPrefix(pkg, "app/cmd/") || within(pkg, testKits)
}

// within reports whether pkg is one of roots or below one.
func within(pkg string, roots []string) bool {
	for _, r := range roots {
		if pkg == r || strings.HasPrefix(pkg, r+"/") {
			return true
		}
	}
	return false
}

// TestLayers checks the module's real import graph (non-test imports) against the rules.
func TestLayers(t *testing.T) {
	cmd := exec.Command("go", "list", "-f", `{{.ImportPath}} {{join .Imports " "}}`, "./...")
	cmd.Dir = ".."
	raw, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	graph := map[string][]string{}
	for _, line := range strings.Split(strings.TrimSpace(string(raw)), "\n") {
		fields := strings.Fields(strings.ReplaceAll(line, module, ""))
		graph[fields[0]] = fields[1:]
	}
	if len(graph) < 20 || graph["app/twin"] == nil && graph["app/wire"] == nil {
		t.Fatalf("go list saw %d packages; is the test run from app/?", len(graph))
	}
	for _, v := range violations(graph) {
		t.Error(v)
	}
}

// TestLayerRulesCatchBreaks: each kind of break in a small graph is reported, and a clean graph
// passes, so TestLayers cannot pass by checking nothing.
func TestLayerRulesCatchBreaks(t *testing.T) {
	clean := map[string][]string{
		"app/twin":             {"context", "errors"},
		"app/chat":             {"app/twin", "app/prompt", "app/telemetry"},
		"app/memory/filestore": {"app/twin", "app/memory"},
		"app/wire":             {"app/memory/filestore", "app/llm/openai", "app/httpapi"},
		"app/cmd/load":         {"app/faults", "app/memory/s3store"},
		"infra/stack":          {"app/httpapi", "dashboards"},
	}
	if v := violations(clean); len(v) != 0 {
		t.Fatalf("clean graph: %v", v)
	}
	for name, graph := range map[string]map[string][]string{
		"domain imports HTTP":          {"app/twin": {"net/http"}},
		"domain imports ours":          {"app/twin": {"app/telemetry"}},
		"adapter imports adapter":      {"app/memory/s3store": {"app/memory/filestore"}},
		"handler imports adapter":      {"app/httpapi": {"app/llm/offline"}},
		"product imports a test kit":   {"app/chat": {"app/twintest"}},
		"infra imports the use case":   {"infra/stack": {"app/chat"}},
		"app imports infra":            {"app/wire": {"infra/stack"}},
		"use case imports HTTP layer":  {"app/chat": {"app/httpapi"}},
		"something imports a main":     {"app/wire": {"app/cmd/twin"}},
		"dashboards import app config": {"dashboards": {"app/config"}},
	} {
		if v := violations(graph); len(v) != 1 {
			t.Errorf("%s: %d violations %v, want 1", name, len(v), v)
		}
	}
}
