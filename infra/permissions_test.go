package main

import (
	"fmt"
	"path"
	"slices"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

// GITHUB_TOKEN levels, ordered so that a grant covers a request when it is >= it.
const (
	permNone = iota
	permRead
	permWrite
)

var levelName = []string{"none", "read", "write"}

// tokenScopes are the GITHUB_TOKEN permission scopes a workflow can set.
var tokenScopes = []string{
	"actions", "attestations", "checks", "contents", "deployments", "discussions", "id-token",
	"issues", "models", "packages", "pages", "pull-requests", "repository-projects",
	"security-events", "statuses",
}

// grant is a GITHUB_TOKEN permission set: scope → level (absent = none).
type grant map[string]int

// restrictedDefault is what a workflow without any permissions key gets in a repository (or
// organisation) with the restricted default, GitHub's default for new ones. The permissive
// default grants more; a workflow must work under the restricted one.
var restrictedDefault = grant{"contents": permRead, "packages": permRead}

// parsePermissions reads a workflow- or job-level permissions value: a map of scopes,
// "read-all", "write-all" or {}. set is false when the key is absent.
func parsePermissions(v any) (g grant, set bool, err error) {
	switch v := v.(type) {
	case nil:
		return nil, false, nil
	case string:
		g = grant{}
		switch v {
		case "write-all":
			for _, s := range tokenScopes {
				g[s] = permWrite
			}
		case "read-all":
			for _, s := range tokenScopes {
				if s != "id-token" { // id-token has no read level
					g[s] = permRead
				}
			}
		default:
			return nil, true, fmt.Errorf("permissions %q: want read-all, write-all or a map", v)
		}
		return g, true, nil
	case map[string]any:
		g = grant{}
		for scope, lv := range v {
			if !slices.Contains(tokenScopes, scope) {
				return nil, true, fmt.Errorf("unknown permission scope %q", scope)
			}
			i := slices.Index(levelName, fmt.Sprint(lv))
			if i < 0 {
				return nil, true, fmt.Errorf("permission %s: %v: want none, read or write", scope, lv)
			}
			g[scope] = i
		}
		return g, true, nil
	}
	return nil, true, fmt.Errorf("permissions: unexpected %T", v)
}

// effective is the grant of a job: its own permissions, else its workflow's, else inherit
// (the caller's grant for a called workflow, the repository default for a top-level one).
func effective(job, wf, inherit any) (grant, error) {
	for _, v := range []any{job, wf} {
		g, set, err := parsePermissions(v)
		if err != nil || set {
			return g, err
		}
	}
	if g, ok := inherit.(grant); ok {
		return g, nil
	}
	return restrictedDefault, nil
}

// uncovered lists the scopes where want asks more than have grants, as GitHub words it.
func uncovered(want, have grant) []string {
	var out []string
	for _, s := range tokenScopes {
		if want[s] > have[s] {
			out = append(out, fmt.Sprintf("requesting '%s: %s', but is only allowed '%s: %s'",
				s, levelName[want[s]], s, levelName[have[s]]))
		}
	}
	return out
}

// checkReusableCalls finds every reusable-workflow call (jobs with uses: ./.github/workflows/…)
// in the top-level workflows and fails each called job, at any depth, that asks for more than
// its caller grants: GitHub refuses such a run before any job starts.
func checkReusableCalls(ws map[string]workflow) []string {
	var out []string
	var visit func(file string, ceiling grant, trail string, depth int)
	visit = func(file string, ceiling grant, trail string, depth int) {
		w, ok := ws[file]
		if !ok {
			out = append(out, fmt.Sprintf("%s: called workflow %s does not exist", trail, file))
			return
		}
		if depth > 0 {
			if _, ok := w.On["workflow_call"]; !ok {
				out = append(out, fmt.Sprintf("%s: %s has no workflow_call trigger", trail, file))
			}
		}
		for _, name := range sortedKeys(w.Jobs) {
			j := w.Jobs[name]
			where := file + " job " + name
			if trail != "" {
				where = trail + " → " + where
			}
			var inherit any
			if depth > 0 {
				inherit = ceiling
			}
			g, err := effective(j.Permissions, w.Permissions, inherit)
			if err != nil {
				out = append(out, where+": "+err.Error())
				continue
			}
			if depth > 0 {
				for _, msg := range uncovered(g, ceiling) {
					out = append(out, fmt.Sprintf("%s: the nested job is %s", where, msg))
				}
			}
			if called, ok := strings.CutPrefix(j.Uses, "./.github/workflows/"); ok && depth < 4 {
				visit(path.Base(called), g, where, depth+1)
			}
		}
	}
	for _, file := range sortedKeys(ws) {
		if _, callable := ws[file].On["workflow_call"]; callable && len(ws[file].On) == 1 {
			continue // only ever called: checked from its callers
		}
		visit(file, nil, "", 0)
	}
	return out
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

func TestReusableWorkflowCallsGrantWhatCalledJobsNeed(t *testing.T) {
	for _, msg := range checkReusableCalls(loadWorkflows(t)) {
		t.Error(msg)
	}
}

// TestCheckReusableCalls proves the check on small workflows: each case is a caller and a
// called workflow, and whether GitHub would accept the pair.
func TestCheckReusableCalls(t *testing.T) {
	called := func(wfPerms, jobPerms string) string {
		return "on: {workflow_call: {}}\n" + wfPerms + "jobs:\n  deploy:\n    runs-on: x\n" + jobPerms
	}
	caller := func(wfPerms, jobPerms string) string {
		return "on: {push: {}}\n" + wfPerms + "jobs:\n  call:\n    uses: ./.github/workflows/called.yml\n" + jobPerms
	}
	const needsToken = "    permissions: {contents: read, id-token: write}\n"
	cases := []struct {
		name, caller, called string
		want                 string // "" = accepted, else a fragment of the finding
	}{
		{"workflow-level contents read only (the deploy.yml bug)",
			caller("permissions: {contents: read}\n", ""), called("", needsToken), "'id-token: write', but is only allowed 'id-token: none'"},
		{"job-level grant on the calling job",
			caller("permissions: {contents: read}\n", needsToken), called("", needsToken), ""},
		{"job-level grant narrower than the workflow's wins",
			caller("permissions: write-all\n", "    permissions: {contents: read}\n"), called("", needsToken), "id-token"},
		{"write-all covers everything",
			caller("permissions: write-all\n", ""), called("", needsToken), ""},
		{"read-all has no id-token",
			caller("permissions: read-all\n", ""), called("", needsToken), "'id-token: none'"},
		{"omitted caller permissions are the restricted default",
			caller("", ""), called("", needsToken), "'id-token: none'"},
		{"omitted caller permissions cover a contents: read job",
			caller("", ""), called("", "    permissions: {contents: read}\n"), ""},
		{"called workflow-level permissions count when the job sets none",
			caller("permissions: {contents: read}\n", ""), called("permissions: {contents: write}\n", ""), "'contents: write'"},
		{"a called job without permissions inherits",
			caller("permissions: {contents: read}\n", ""), called("", ""), ""},
		{"empty map grants nothing",
			caller("permissions: {}\n", ""), called("", "    permissions: {contents: read}\n"), "'contents: read', but is only allowed 'contents: none'"},
		{"unknown scope", caller("permissions: {content: read}\n", ""), called("", ""), "unknown permission scope"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ws := map[string]workflow{}
			for file, src := range map[string]string{"caller.yml": c.caller, "called.yml": c.called} {
				var w workflow
				if err := yaml.Unmarshal([]byte(src), &w); err != nil {
					t.Fatalf("%s: %v\n%s", file, err, src)
				}
				ws[file] = w
			}
			got := strings.Join(checkReusableCalls(ws), "\n")
			if c.want == "" && got != "" {
				t.Errorf("findings on an accepted pair:\n%s", got)
			}
			if c.want != "" && !strings.Contains(got, c.want) {
				t.Errorf("findings %q, want one containing %q", got, c.want)
			}
		})
	}
}
