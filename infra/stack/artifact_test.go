package stack_test

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/digitaltwin/twin/infra/policy"
	"github.com/digitaltwin/twin/infra/stack/stacktest"
	"github.com/digitaltwin/twin/tools/lambdabuild"
)

// TestDeployBuildsTheArtifact: without lambdaArchive (the stack files set none) the program
// builds bootstrap.zip from the checkout with tools/lambdabuild, the build `make lambda` runs,
// into the same build/lambda/bootstrap.zip, and both functions deploy exactly that zip: the
// declared code hash is the file's.
func TestDeployBuildsTheArtifact(t *testing.T) {
	root, err := stacktest.Root()
	if err != nil {
		t.Fatal(err)
	}
	res := mustDeploy(t, "staging", func(c map[string]string) { delete(c, "twin:lambdaArchive") })
	want := filepath.Join(root, "build", "lambda", "bootstrap.zip")
	built, err := lambdabuild.Hash(want, "")
	if err != nil {
		t.Fatalf("the program did not write %s: %v", want, err)
	}
	for _, fn := range []string{"twin-staging-http", "twin-staging-stream"} {
		in := one(t, res, policy.TypeFunction, fn).Inputs
		if p := get(in, "code", "path"); p != want || in["sourceCodeHash"] != built.SourceCodeHash() {
			t.Errorf("%s deploys %v with hash %v, want %s with %s", fn, p, in["sourceCodeHash"], want, built.SourceCodeHash())
		}
	}
}

// TestMissingArtifactOrExportIsOneLine: a configured archive that is not there, or an export
// that was not built, stops the program with one line naming the key and the fix.
func TestMissingArtifactOrExportIsOneLine(t *testing.T) {
	for key, want := range map[string]string{
		"twin:lambdaArchive": "config twin:lambdaArchive: lambda artifact: open",
		"twin:siteDir":       "config twin:siteDir: the static export",
	} {
		_, err := deploy(t, "staging", func(c map[string]string) { c[key] = filepath.Join(t.TempDir(), "missing") })
		if err == nil || !strings.Contains(err.Error(), want) || strings.Count(strings.TrimSpace(err.Error()), "\n") > 1 {
			t.Errorf("%s missing: err = %q, want one line containing %q", key, err, want)
		}
	}
}
