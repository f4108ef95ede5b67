package stack_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/digitaltwin/twin/infra/policy"
)

// TestPersonaFolder: a personaFile naming a folder, with a personaKey prefix, uploads one object
// per persona file (content types by kind; hidden files and other kinds left out), points the
// functions at the prefix, and lets them read and list only under it.
func TestPersonaFolder(t *testing.T) {
	res := mustDeploy(t, "staging", func(c map[string]string) {
		c["twin:personaFile"] = "eval/folder/persona"
		c["twin:personaKey"] = "persona/"
	})
	got := map[string]string{}
	for _, r := range res.Find("aws:s3/bucketObjectv2:BucketObjectv2") {
		if k := fmt.Sprint(r.Inputs["key"]); strings.HasPrefix(k, "persona/") {
			got[k] = fmt.Sprint(r.Inputs["contentType"])
		}
	}
	want := map[string]string{
		"persona/linkedin-profile.pdf": "application/pdf",
		"persona/me.md":                "text/markdown; charset=utf-8",
		"persona/notes/talks.txt":      "text/plain; charset=utf-8",
		"persona/persona.yaml":         "application/yaml",
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("persona objects %v, want %v", got, want)
	}
	memory := fmt.Sprint(one(t, res, policy.TypeBucket, "twin-staging-memory").State["arn"])
	for _, fn := range []string{"twin-staging-http", "twin-staging-stream"} {
		d := parseDoc(t, one(t, res, policy.TypeRolePolicy, fn+"-policy").Inputs["policy"]).bySid()
		if r := d["PersonaRead"]; !slices.Equal(r.Resource, []string{memory + "/persona/*"}) {
			t.Errorf("%s PersonaRead %+v", fn, r)
		}
		if p := fmt.Sprint(d["MemoryList"].Condition["StringLike"]["s3:prefix"]); !strings.Contains(p, "persona/*") {
			t.Errorf("%s MemoryList prefixes %s: the persona prefix cannot be listed", fn, p)
		}
	}
	// A folder with a plain key, or a file with a prefix, is one clear error.
	for _, edit := range []map[string]string{
		{"twin:personaFile": "eval/folder/persona", "twin:personaKey": "me.txt"},
		{"twin:personaFile": "me.txt", "twin:personaKey": "persona/"},
	} {
		if _, err := deploy(t, "staging", func(c map[string]string) {
			for k, v := range edit {
				c[k] = v
			}
		}); err == nil || !strings.Contains(err.Error(), "personaKey") {
			t.Errorf("%v: err = %v, want one naming personaKey", edit, err)
		}
	}
}
