package stack_test

import (
	"maps"
	"testing"

	"github.com/digitaltwin/twin/infra/policy"
)

// TestSiteObjects: `pulumi up` uploads the export as one object per file in the site bucket:
// HTML and other stable names revalidated (no-cache), _next/static/* immutable for a year, a
// content type per file, dotfiles never. What the export no longer holds is not declared, so
// Pulumi deletes it.
func TestSiteObjects(t *testing.T) {
	for _, s := range stacks {
		t.Run(s.name, func(t *testing.T) {
			res := mustDeploy(t, s.name, nil)
			bucket := one(t, res, policy.TypeBucket, s.prefix+"-site").State["bucket"]
			type object struct{ ContentType, CacheControl string }
			got := map[string]object{}
			for _, o := range res.Find(policy.TypeBucketObject) {
				if o.Inputs["bucket"] != bucket {
					continue
				}
				got[o.Inputs["key"].(string)] = object{o.Inputs["contentType"].(string), o.Inputs["cacheControl"].(string)}
				if src, _ := o.Inputs["source"].(map[string]any); src["path"] == "" {
					t.Errorf("%s has no file source", o.Name)
				}
			}
			const html, revalidate, immutable = "text/html; charset=utf-8", "no-cache", "public, max-age=31536000, immutable"
			want := map[string]object{
				"index.html":                          {html, revalidate},
				"404.html":                            {html, revalidate},
				"chat/index.html":                     {html, revalidate},
				"index.txt":                           {"text/plain; charset=utf-8", revalidate},
				"icon.svg":                            {"image/svg+xml", revalidate},
				"_next/static/chunks/app-0123abcd.js": {"text/javascript; charset=utf-8", immutable},
				"_next/static/css/app-4567ef.css":     {"text/css; charset=utf-8", immutable},
			}
			if !maps.Equal(got, want) {
				t.Errorf("site objects\n got %v\nwant %v", got, want)
			}
		})
	}
}
