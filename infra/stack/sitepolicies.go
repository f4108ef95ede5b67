package stack

import (
	"github.com/digitaltwin/twin/app/httpapi"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/cloudfront"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// ContentSecurityPolicy of the chat page. Next's static export inlines its bootstrap scripts,
// hence 'unsafe-inline' for scripts; everything is loaded from the site's own origin, and the
// page may call the API's custom domain when one is configured (a cross-origin API base). No
// page may be framed.
func ContentSecurityPolicy(apiOrigin string) string {
	return pagePolicy(apiOrigin, httpapi.FrameAncestors(nil))
}

// EmbedContentSecurityPolicy is the embed page's (the widget's iframe, httpapi.EmbedPath): the
// chat page's policy, framed by exactly the embedders (none when the list is empty).
func EmbedContentSecurityPolicy(apiOrigin string, embedders []string) string {
	return pagePolicy(apiOrigin, httpapi.FrameAncestors(embedders))
}

func pagePolicy(apiOrigin, frameAncestors string) string {
	connect := "'self'"
	if apiOrigin != "" {
		connect += " " + apiOrigin
	}
	return "default-src 'self'; script-src 'self' 'unsafe-inline'; " +
		"style-src 'self' 'unsafe-inline'; img-src 'self' data:; font-src 'self'; connect-src " + connect + "; " +
		frameAncestors + "; base-uri 'self'; form-action 'self'; object-src 'none'"
}

// OriginHeaders are the viewer headers CloudFront passes to the API origins (HTTP API and the
// streaming function URL), plus CloudFront-Viewer-Address: behind CloudFront the origins see an
// edge server's address, and this header carries the visitor's "ip:port" for per-client rate
// limits. Host is never passed (API Gateway and function URLs answer only to their own host),
// and a short list keeps the SigV4-signed function URL request predictable. Authorization goes
// to the HTTP API through the API cache policy (CloudFront passes it only as part of a cache key).
var OriginHeaders = []string{"Accept", "Content-Type", "Origin", "X-Correlation-Id", "CloudFront-Viewer-Address"}

// indexRewrite maps /about/ and /about to /about/index.html (the export's trailingSlash layout):
// an S3 origin behind OAC has no index documents.
const indexRewrite = `function handler(event) {
  var req = event.request;
  var uri = req.uri;
  if (uri.endsWith('/')) {
    req.uri = uri + 'index.html';
  } else if (uri.lastIndexOf('.') < uri.lastIndexOf('/')) {
    req.uri = uri + '/index.html';
  }
  return req;
}
`

// edgePolicies are the parts of the distribution that are neither origins nor behaviours: the
// origin access controls, the security headers, the cache and origin-request policies and the
// index rewrite.
type edgePolicies struct {
	s3OAC, lambdaOAC   *cloudfront.OriginAccessControl
	headers, embed     *cloudfront.ResponseHeadersPolicy
	static, pages, api *cloudfront.CachePolicy
	forward            *cloudfront.OriginRequestPolicy
	rewrite            *cloudfront.Function
}

// newEdgePolicies creates the edge policies of the site called name.
func newEdgePolicies(ctx *pulumi.Context, cfg *Config, name string, p pulumi.ResourceOption) (*edgePolicies, error) {
	pol := &edgePolicies{}
	var err error
	if pol.s3OAC, err = cloudfront.NewOriginAccessControl(ctx, name+"-s3-oac", &cloudfront.OriginAccessControlArgs{
		Description:                   pulumi.String("CloudFront to the " + name + " bucket"),
		OriginAccessControlOriginType: pulumi.String("s3"),
		SigningBehavior:               pulumi.String("always"),
		SigningProtocol:               pulumi.String("sigv4"),
	}, p); err != nil {
		return nil, err
	}
	if pol.lambdaOAC, err = cloudfront.NewOriginAccessControl(ctx, name+"-lambda-oac", &cloudfront.OriginAccessControlArgs{
		Description:                   pulumi.String("CloudFront to the " + cfg.Prefix + " streaming function URL"),
		OriginAccessControlOriginType: pulumi.String("lambda"),
		SigningBehavior:               pulumi.String("always"),
		SigningProtocol:               pulumi.String("sigv4"),
	}, p); err != nil {
		return nil, err
	}

	// Every path but the embed page: never framed (X-Frame-Options DENY and frame-ancestors
	// 'none'). The embed page: framed by the configured sites only, so no X-Frame-Options (it
	// cannot name origins).
	headers := func(suffix, comment, csp string, deny bool) (*cloudfront.ResponseHeadersPolicy, error) {
		var frame *cloudfront.ResponseHeadersPolicySecurityHeadersConfigFrameOptionsArgs
		if deny {
			frame = &cloudfront.ResponseHeadersPolicySecurityHeadersConfigFrameOptionsArgs{
				FrameOption: pulumi.String("DENY"), Override: pulumi.Bool(true),
			}
		}
		return cloudfront.NewResponseHeadersPolicy(ctx, name+suffix, &cloudfront.ResponseHeadersPolicyArgs{
			Comment: pulumi.String(comment),
			SecurityHeadersConfig: &cloudfront.ResponseHeadersPolicySecurityHeadersConfigArgs{
				StrictTransportSecurity: &cloudfront.ResponseHeadersPolicySecurityHeadersConfigStrictTransportSecurityArgs{
					AccessControlMaxAgeSec: pulumi.Int(63072000), IncludeSubdomains: pulumi.Bool(true),
					Preload: pulumi.Bool(true), Override: pulumi.Bool(true),
				},
				ContentTypeOptions: &cloudfront.ResponseHeadersPolicySecurityHeadersConfigContentTypeOptionsArgs{Override: pulumi.Bool(true)},
				FrameOptions:       frame,
				ReferrerPolicy: &cloudfront.ResponseHeadersPolicySecurityHeadersConfigReferrerPolicyArgs{
					ReferrerPolicy: pulumi.String("strict-origin-when-cross-origin"), Override: pulumi.Bool(true),
				},
				ContentSecurityPolicy: &cloudfront.ResponseHeadersPolicySecurityHeadersConfigContentSecurityPolicyArgs{
					ContentSecurityPolicy: pulumi.String(csp), Override: pulumi.Bool(true),
				},
			},
		}, p)
	}
	if pol.headers, err = headers("-headers", "Security headers of the "+cfg.Prefix+" twin", ContentSecurityPolicy(cfg.APIOrigin()), true); err != nil {
		return nil, err
	}
	if pol.embed, err = headers("-embed-headers", "Security headers of the "+cfg.Prefix+" widget's embed page",
		EmbedContentSecurityPolicy(cfg.APIOrigin(), cfg.EmbedAllowedOrigins), false); err != nil {
		return nil, err
	}
	cachePolicy := func(suffix, comment string, minTTL, defTTL, maxTTL int) (*cloudfront.CachePolicy, error) {
		return cloudfront.NewCachePolicy(ctx, name+"-"+suffix, &cloudfront.CachePolicyArgs{
			Comment: pulumi.String(comment),
			MinTtl:  pulumi.Int(minTTL), DefaultTtl: pulumi.Int(defTTL), MaxTtl: pulumi.Int(maxTTL),
			ParametersInCacheKeyAndForwardedToOrigin: &cloudfront.CachePolicyParametersInCacheKeyAndForwardedToOriginArgs{
				EnableAcceptEncodingGzip:   pulumi.Bool(true),
				EnableAcceptEncodingBrotli: pulumi.Bool(true),
				CookiesConfig:              &cloudfront.CachePolicyParametersInCacheKeyAndForwardedToOriginCookiesConfigArgs{CookieBehavior: pulumi.String("none")},
				HeadersConfig:              &cloudfront.CachePolicyParametersInCacheKeyAndForwardedToOriginHeadersConfigArgs{HeaderBehavior: pulumi.String("none")},
				QueryStringsConfig:         &cloudfront.CachePolicyParametersInCacheKeyAndForwardedToOriginQueryStringsConfigArgs{QueryStringBehavior: pulumi.String("none")},
			},
		}, p)
	}
	// Hashed build assets never change: a year at the edge. HTML (index.html) is not cached:
	// the default TTL is 0 and the upload marks it Cache-Control: no-cache, so a deploy shows at once.
	if pol.static, err = cachePolicy("static", "Hashed static assets: cached a year", 31536000, 31536000, 31536000); err != nil {
		return nil, err
	}
	if pol.pages, err = cachePolicy("pages", "Pages: follow the object's Cache-Control, default no caching", 0, 0, 31536000); err != nil {
		return nil, err
	}
	// API answers carry no Cache-Control, so a default TTL of 0 caches nothing; the max TTL of 1 s
	// is what lets the policy name Authorization (the owner view's bearer token) in the key.
	if pol.api, err = cloudfront.NewCachePolicy(ctx, name+"-api", &cloudfront.CachePolicyArgs{
		Comment: pulumi.String("API: not cached; Authorization and query strings reach the origin"),
		MinTtl:  pulumi.Int(0), DefaultTtl: pulumi.Int(0), MaxTtl: pulumi.Int(1),
		ParametersInCacheKeyAndForwardedToOrigin: &cloudfront.CachePolicyParametersInCacheKeyAndForwardedToOriginArgs{
			EnableAcceptEncodingGzip:   pulumi.Bool(true),
			EnableAcceptEncodingBrotli: pulumi.Bool(true),
			CookiesConfig:              &cloudfront.CachePolicyParametersInCacheKeyAndForwardedToOriginCookiesConfigArgs{CookieBehavior: pulumi.String("none")},
			HeadersConfig: &cloudfront.CachePolicyParametersInCacheKeyAndForwardedToOriginHeadersConfigArgs{
				HeaderBehavior: pulumi.String("whitelist"),
				Headers: &cloudfront.CachePolicyParametersInCacheKeyAndForwardedToOriginHeadersConfigHeadersArgs{
					Items: pulumi.StringArray{pulumi.String("Authorization")},
				},
			},
			QueryStringsConfig: &cloudfront.CachePolicyParametersInCacheKeyAndForwardedToOriginQueryStringsConfigArgs{QueryStringBehavior: pulumi.String("all")},
		},
	}, p); err != nil {
		return nil, err
	}
	if pol.forward, err = cloudfront.NewOriginRequestPolicy(ctx, name+"-origin-request", &cloudfront.OriginRequestPolicyArgs{
		Comment: pulumi.String("API origins: a few viewer headers and the viewer address, never Host"),
		HeadersConfig: &cloudfront.OriginRequestPolicyHeadersConfigArgs{
			HeaderBehavior: pulumi.String("whitelist"),
			Headers:        &cloudfront.OriginRequestPolicyHeadersConfigHeadersArgs{Items: pulumi.ToStringArray(OriginHeaders)},
		},
		CookiesConfig:      &cloudfront.OriginRequestPolicyCookiesConfigArgs{CookieBehavior: pulumi.String("none")},
		QueryStringsConfig: &cloudfront.OriginRequestPolicyQueryStringsConfigArgs{QueryStringBehavior: pulumi.String("all")},
	}, p); err != nil {
		return nil, err
	}
	if pol.rewrite, err = cloudfront.NewFunction(ctx, name+"-index", &cloudfront.FunctionArgs{
		Name:    pulumi.String(cfg.Prefix + "-index-rewrite"),
		Runtime: pulumi.String("cloudfront-js-2.0"),
		Comment: pulumi.String("Directory URIs to index.html"),
		Code:    pulumi.String(indexRewrite),
		Publish: pulumi.Bool(true),
	}, p); err != nil {
		return nil, err
	}

	return pol, nil
}
