package main

import (
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/digitaltwin/twin/infra/stack/stacktest"
)

// workflow is the part of a GitHub Actions workflow the checks read.
type workflow struct {
	On          map[string]any `yaml:"on"`
	Permissions any            `yaml:"permissions"`
	Jobs        map[string]struct {
		Needs       any               `yaml:"needs"`
		Uses        string            `yaml:"uses"`
		With        map[string]string `yaml:"with"`
		Environment any               `yaml:"environment"`
		Permissions any               `yaml:"permissions"`
		Steps       []struct {
			ID   string            `yaml:"id"`
			Name string            `yaml:"name"`
			Uses string            `yaml:"uses"`
			If   string            `yaml:"if"`
			Run  string            `yaml:"run"`
			With map[string]string `yaml:"with"`
		} `yaml:"steps"`
	} `yaml:"jobs"`
}

func loadWorkflows(t *testing.T) map[string]workflow {
	t.Helper()
	root, err := stacktest.Root()
	if err != nil {
		t.Fatal(err)
	}
	files, _ := filepath.Glob(filepath.Join(root, ".github", "workflows", "*.yml"))
	if len(files) == 0 {
		t.Fatal("no workflows")
	}
	out := map[string]workflow{}
	for _, f := range files {
		raw, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var w workflow
		if err := yaml.Unmarshal(raw, &w); err != nil {
			t.Fatalf("%s is not valid YAML: %v", filepath.Base(f), err)
		}
		out[filepath.Base(f)] = w
	}
	return out
}

func needs(v any) []string {
	switch v := v.(type) {
	case string:
		return []string{v}
	case []any:
		var out []string
		for _, e := range v {
			out = append(out, e.(string))
		}
		return out
	}
	return nil
}

// pinned: an exact release tag vX.Y.Z or a full commit SHA; local reusable workflows are
// versioned with the repository itself.
var pinned = regexp.MustCompile(`^[A-Za-z0-9_.-]+/[A-Za-z0-9_./-]+@(v\d+\.\d+\.\d+|[0-9a-f]{40})$`)

func TestEveryActionIsPinned(t *testing.T) {
	for name, w := range loadWorkflows(t) {
		for jobName, j := range w.Jobs {
			refs := []string{j.Uses}
			for _, s := range j.Steps {
				refs = append(refs, s.Uses)
			}
			for _, u := range refs {
				if u == "" || strings.HasPrefix(u, "./") {
					continue
				}
				if !pinned.MatchString(u) {
					t.Errorf("%s job %s: %q is not pinned to an exact version or commit", name, jobName, u)
				}
			}
		}
	}
}

func TestCIRunsVetBiomeAndMakeTest(t *testing.T) {
	ci := loadWorkflows(t)["ci.yml"]
	for _, trigger := range []string{"pull_request", "workflow_call"} {
		if _, ok := ci.On[trigger]; !ok {
			t.Errorf("ci.yml does not run on %s", trigger)
		}
	}
	var runs []string
	for _, s := range ci.Jobs["test"].Steps {
		runs = append(runs, s.Run)
	}
	all := strings.Join(runs, "\n")
	for _, cmd := range []string{"go vet ./...", "npm ci", "npx biome ci", "make test"} {
		if !strings.Contains(all, cmd) {
			t.Errorf("ci.yml test job does not run %q", cmd)
		}
	}
}

func TestDeployOrderAndApproval(t *testing.T) {
	ws := loadWorkflows(t)
	d := ws["deploy.yml"]
	if _, ok := d.On["push"]; !ok {
		t.Error("deploy.yml does not run on push")
	}
	if d.Jobs["test"].Uses != "./.github/workflows/ci.yml" {
		t.Errorf("deploy test job uses %q, want the CI workflow", d.Jobs["test"].Uses)
	}
	for _, job := range []string{"build", "staging", "production"} {
		if !slices.Contains(needs(d.Jobs[job].Needs), "test") {
			t.Errorf("deploy job %s does not depend on test (needs %v)", job, d.Jobs[job].Needs)
		}
	}
	if !slices.Contains(needs(d.Jobs["staging"].Needs), "build") {
		t.Error("staging does not wait for the build")
	}
	if !slices.Contains(needs(d.Jobs["production"].Needs), "staging") {
		t.Error("production does not wait for staging")
	}
	for job, want := range map[string][2]string{"staging": {"staging", "staging"}, "production": {"prod", "production"}} {
		j := d.Jobs[job]
		if j.Uses != "./.github/workflows/deploy-stack.yml" || j.With["stack"] != want[0] || j.With["environment"] != want[1] {
			t.Errorf("deploy job %s: uses %q with %v, want stack %s in environment %s", job, j.Uses, j.With, want[0], want[1])
		}
		if _, err := os.Stat(filepath.Join("..", "Pulumi."+want[0]+".yaml")); err != nil {
			t.Errorf("deploy job %s: %v", job, err)
		}
		cfg, err := stacktest.LoadStackConfig(want[0])
		if err != nil {
			t.Fatal(err)
		}
		if got := cfg["twin:githubEnvironment"]; got != want[1] {
			t.Errorf("Pulumi.%s.yaml trusts GitHub environment %q, but the workflow deploys from %q", want[0], got, want[1])
		}
	}

	s := ws["deploy-stack.yml"]
	job := s.Jobs["deploy"]
	env, _ := job.Environment.(map[string]any)
	if env["name"] != "${{ inputs.environment }}" {
		t.Errorf("deploy-stack job environment %v: the approval environment must gate the job", job.Environment)
	}
	if g, _ := effective(job.Permissions, s.Permissions, nil); g["id-token"] != permWrite {
		t.Error("deploy-stack job cannot request an OIDC token")
	}
	var ids []string
	var sawRole bool
	for _, st := range job.Steps {
		ids = append(ids, st.ID)
		if strings.HasPrefix(st.Uses, "aws-actions/configure-aws-credentials@") {
			sawRole = st.With["role-to-assume"] != ""
			for k := range st.With {
				if strings.Contains(k, "access-key") {
					t.Errorf("long-lived AWS keys in configure-aws-credentials: %s", k)
				}
			}
		}
		if strings.Contains(st.Run, "pulumi preview") && !strings.Contains(st.Run, "--policy-pack infra/policypack") {
			t.Error("pulumi preview runs without the policy pack")
		}
		if strings.Contains(st.Run, "update-alias") && !strings.Contains(st.If, "failure()") {
			t.Errorf("rollback step runs with if %q", st.If)
		}
	}
	if !sawRole {
		t.Error("no OIDC role assumption")
	}
	smoke, previous := slices.Index(ids, "smoke"), slices.Index(ids, "previous")
	if smoke < 0 || previous < 0 || previous > smoke {
		t.Errorf("steps %v: the previous versions must be recorded before the smoke test", ids)
	}
	last := job.Steps[len(job.Steps)-1]
	if !strings.Contains(last.Run, "update-alias") || !strings.Contains(last.If, "steps.smoke.outcome == 'failure'") {
		t.Errorf("the last step must roll back when the smoke test fails, got %q if %q", last.Name, last.If)
	}
}

func TestNoLongLivedKeys(t *testing.T) {
	root, _ := stacktest.Root()
	files, _ := filepath.Glob(filepath.Join(root, ".github", "workflows", "*.yml"))
	for _, f := range files {
		raw, _ := os.ReadFile(f)
		for _, bad := range []string{"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "aws-access-key-id"} {
			if strings.Contains(string(raw), bad) {
				t.Errorf("%s mentions %s", filepath.Base(f), bad)
			}
		}
	}
}

// TestPulumiUpIsTheDeploy: CI hands `pulumi up` the static export and nothing else; the program
// builds the artifact itself and uploads the site, so no workflow ships a zip or syncs a bucket.
func TestPulumiUpIsTheDeploy(t *testing.T) {
	ws := loadWorkflows(t)
	var downloaded bool
	for _, st := range ws["deploy-stack.yml"].Jobs["deploy"].Steps {
		if strings.HasPrefix(st.Uses, "actions/download-artifact@") {
			downloaded = st.With["path"] == "frontend/out"
		}
	}
	if !downloaded {
		t.Error("deploy-stack does not put the release artifact (the export) in frontend/out, where pulumi up reads it")
	}
	for name, w := range ws {
		for jobName, j := range w.Jobs {
			for _, st := range j.Steps {
				if strings.Contains(st.Run, "s3 sync") || strings.Contains(st.With["path"], "bootstrap.zip") {
					t.Errorf("%s job %s step %q ships the site or the artifact outside pulumi up", name, jobName, st.Name)
				}
			}
		}
	}
}
