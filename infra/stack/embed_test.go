package stack_test

import (
	"strings"
	"testing"

	"github.com/digitaltwin/twin/infra/stack"
)

// TestEmbedPageFraming: only the embed page (the widget's iframe) may be framed, and only by the
// sites in embedAllowedOrigins (none by default): its own behaviour on the site bucket with its
// own headers policy, without X-Frame-Options; every other page keeps DENY and 'none'.
func TestEmbedPageFraming(t *testing.T) {
	for name, tc := range map[string]struct {
		origins string
		want    []string
	}{
		"default": {"", nil},
		"listed":  {`["https://blog.example", "https://shop.example/"]`, []string{"https://blog.example", "https://shop.example"}},
	} {
		res := mustDeploy(t, "staging", func(c map[string]string) {
			if tc.origins != "" {
				c["twin:embedAllowedOrigins"] = tc.origins
			}
		})
		const typ = "aws:cloudfront/responseHeadersPolicy:ResponseHeadersPolicy"
		embed := one(t, res, typ, "twin-staging-site-embed-headers")
		pages := one(t, res, typ, "twin-staging-site-headers")
		csp := get(embed.Inputs, "securityHeadersConfig", "contentSecurityPolicy", "contentSecurityPolicy")
		if csp != stack.EmbedContentSecurityPolicy("", tc.want) || get(embed.Inputs, "securityHeadersConfig", "frameOptions") != nil {
			t.Errorf("%s: embed page headers %v", name, embed.Inputs["securityHeadersConfig"])
		}
		if tc.want == nil && !strings.Contains(csp.(string), "frame-ancestors 'none'") ||
			tc.want != nil && !strings.Contains(csp.(string), "frame-ancestors https://blog.example https://shop.example;") {
			t.Errorf("%s: embed page CSP %s", name, csp)
		}
		if get(pages.Inputs, "securityHeadersConfig", "frameOptions", "frameOption") != "DENY" {
			t.Errorf("%s: pages may be framed: %v", name, pages.Inputs["securityHeadersConfig"])
		}
		dist := one(t, res, "aws:cloudfront/distribution:Distribution", "twin-staging-site-cdn")
		var found bool
		for _, b := range dist.Inputs["orderedCacheBehaviors"].([]any) {
			bm := b.(map[string]any)
			if bm["pathPattern"] == "/embed/*" {
				found = bm["responseHeadersPolicyId"] == embed.ID && bm["targetOriginId"] == "site"
			} else if bm["responseHeadersPolicyId"] == embed.ID {
				t.Errorf("%s: %s has the embed page's headers", name, bm["pathPattern"])
			}
		}
		if !found {
			t.Errorf("%s: no /embed/* behaviour on the site bucket with the embed headers", name)
		}
	}
	if _, err := deploy(t, "staging", func(c map[string]string) { c["twin:embedAllowedOrigins"] = `["*"]` }); err == nil ||
		!strings.Contains(err.Error(), "embedAllowedOrigins") {
		t.Errorf("embedAllowedOrigins [*]: %v, want an error naming it", err)
	}
}
