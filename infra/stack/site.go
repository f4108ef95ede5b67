package stack

import (
	"net/url"
	"strings"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/acm"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/cloudfront"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/lambda"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/route53"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/s3"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/wafv2"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// AWS managed CloudFront policies (ids are global constants).
const (
	managedCachingDisabled            = "4135ea2d-6df8-44a3-9df3-4b5a84be39ad"
	cloudFrontHostedZoneID            = "Z2FDTNDATAQYW2"
	minimumViewerTLS                  = "TLSv1.2_2021"
	siteOriginID, apiOriginID, urlOID = "site", "api", "stream"
)

// ContentSecurityPolicy of the chat page. Next's static export inlines its bootstrap scripts,
// hence 'unsafe-inline' for scripts; everything is loaded from the site's own origin, and the
// page may call the API's custom domain when one is configured (a cross-origin API base).
func ContentSecurityPolicy(apiOrigin string) string {
	connect := "'self'"
	if apiOrigin != "" {
		connect += " " + apiOrigin
	}
	return "default-src 'self'; script-src 'self' 'unsafe-inline'; " +
		"style-src 'self' 'unsafe-inline'; img-src 'self' data:; font-src 'self'; connect-src " + connect + "; " +
		"frame-ancestors 'none'; base-uri 'self'; form-action 'self'; object-src 'none'"
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

// Site is the public edge: the private site bucket, CloudFront with its certificate, security
// headers and cache policies, the streaming route to the function URL, and the optional WAF.
type Site struct {
	pulumi.ResourceState

	Bucket       *s3.BucketV2
	Distribution *cloudfront.Distribution
	WebACL       *wafv2.WebAcl
	URL          pulumi.StringOutput
}

type siteDeps struct {
	useast1 pulumi.ProviderResource
	api     *API
	fns     *Functions
}

// NewSite creates the site bucket and the distribution in front of bucket, API and stream.
func NewSite(ctx *pulumi.Context, cfg *Config, d siteDeps, opts ...pulumi.ResourceOption) (*Site, error) {
	s := &Site{URL: pulumi.String(cfg.SiteOrigin()).ToStringOutput()}
	name := cfg.Prefix + "-site"
	if err := ctx.RegisterComponentResource("twin:stack:Site", name, s, opts...); err != nil {
		return nil, err
	}
	p := pulumi.Parent(s)
	edge := pulumi.Provider(d.useast1)
	var err error
	if s.Bucket, err = privateBucket(ctx, name, false, p); err != nil {
		return nil, err
	}

	certArn := pulumi.String(cfg.CertificateArn).ToStringOutput()
	if cfg.CertificateArn == "" {
		if certArn, err = dnsCertificate(ctx, name+"-cert", cfg.Domain, cfg.HostedZoneID, p, edge); err != nil {
			return nil, err
		}
	}

	s3OAC, err := cloudfront.NewOriginAccessControl(ctx, name+"-s3-oac", &cloudfront.OriginAccessControlArgs{
		Description:                   pulumi.String("CloudFront to the " + name + " bucket"),
		OriginAccessControlOriginType: pulumi.String("s3"),
		SigningBehavior:               pulumi.String("always"),
		SigningProtocol:               pulumi.String("sigv4"),
	}, p)
	if err != nil {
		return nil, err
	}
	lambdaOAC, err := cloudfront.NewOriginAccessControl(ctx, name+"-lambda-oac", &cloudfront.OriginAccessControlArgs{
		Description:                   pulumi.String("CloudFront to the " + cfg.Prefix + " streaming function URL"),
		OriginAccessControlOriginType: pulumi.String("lambda"),
		SigningBehavior:               pulumi.String("always"),
		SigningProtocol:               pulumi.String("sigv4"),
	}, p)
	if err != nil {
		return nil, err
	}

	headers, err := cloudfront.NewResponseHeadersPolicy(ctx, name+"-headers", &cloudfront.ResponseHeadersPolicyArgs{
		Comment: pulumi.String("Security headers of the " + cfg.Prefix + " twin"),
		SecurityHeadersConfig: &cloudfront.ResponseHeadersPolicySecurityHeadersConfigArgs{
			StrictTransportSecurity: &cloudfront.ResponseHeadersPolicySecurityHeadersConfigStrictTransportSecurityArgs{
				AccessControlMaxAgeSec: pulumi.Int(63072000), IncludeSubdomains: pulumi.Bool(true),
				Preload: pulumi.Bool(true), Override: pulumi.Bool(true),
			},
			ContentTypeOptions: &cloudfront.ResponseHeadersPolicySecurityHeadersConfigContentTypeOptionsArgs{Override: pulumi.Bool(true)},
			FrameOptions: &cloudfront.ResponseHeadersPolicySecurityHeadersConfigFrameOptionsArgs{
				FrameOption: pulumi.String("DENY"), Override: pulumi.Bool(true),
			},
			ReferrerPolicy: &cloudfront.ResponseHeadersPolicySecurityHeadersConfigReferrerPolicyArgs{
				ReferrerPolicy: pulumi.String("strict-origin-when-cross-origin"), Override: pulumi.Bool(true),
			},
			ContentSecurityPolicy: &cloudfront.ResponseHeadersPolicySecurityHeadersConfigContentSecurityPolicyArgs{
				ContentSecurityPolicy: pulumi.String(ContentSecurityPolicy(cfg.APIOrigin())), Override: pulumi.Bool(true),
			},
		},
	}, p)
	if err != nil {
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
	static, err := cachePolicy("static", "Hashed static assets: cached a year", 31536000, 31536000, 31536000)
	if err != nil {
		return nil, err
	}
	pages, err := cachePolicy("pages", "Pages: follow the object's Cache-Control, default no caching", 0, 0, 31536000)
	if err != nil {
		return nil, err
	}
	// API answers carry no Cache-Control, so a default TTL of 0 caches nothing; the max TTL of 1 s
	// is what lets the policy name Authorization (the owner view's bearer token) in the key.
	api, err := cloudfront.NewCachePolicy(ctx, name+"-api", &cloudfront.CachePolicyArgs{
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
	}, p)
	if err != nil {
		return nil, err
	}
	forward, err := cloudfront.NewOriginRequestPolicy(ctx, name+"-origin-request", &cloudfront.OriginRequestPolicyArgs{
		Comment: pulumi.String("API origins: a few viewer headers and the viewer address, never Host"),
		HeadersConfig: &cloudfront.OriginRequestPolicyHeadersConfigArgs{
			HeaderBehavior: pulumi.String("whitelist"),
			Headers:        &cloudfront.OriginRequestPolicyHeadersConfigHeadersArgs{Items: pulumi.ToStringArray(OriginHeaders)},
		},
		CookiesConfig:      &cloudfront.OriginRequestPolicyCookiesConfigArgs{CookieBehavior: pulumi.String("none")},
		QueryStringsConfig: &cloudfront.OriginRequestPolicyQueryStringsConfigArgs{QueryStringBehavior: pulumi.String("all")},
	}, p)
	if err != nil {
		return nil, err
	}
	rewrite, err := cloudfront.NewFunction(ctx, name+"-index", &cloudfront.FunctionArgs{
		Name:    pulumi.String(cfg.Prefix + "-index-rewrite"),
		Runtime: pulumi.String("cloudfront-js-2.0"),
		Comment: pulumi.String("Directory URIs to index.html"),
		Code:    pulumi.String(indexRewrite),
		Publish: pulumi.Bool(true),
	}, p)
	if err != nil {
		return nil, err
	}

	if cfg.WAF {
		if s.WebACL, err = webACL(ctx, cfg, p, edge); err != nil {
			return nil, err
		}
	}

	streamHost := d.fns.URL.FunctionUrl.ApplyT(hostOf).(pulumi.StringOutput)
	apiOrigin := func(id string, host pulumi.StringInput, oac pulumi.StringPtrInput, readTimeout int) *cloudfront.DistributionOriginArgs {
		return &cloudfront.DistributionOriginArgs{
			OriginId:              pulumi.String(id),
			DomainName:            host,
			OriginAccessControlId: oac,
			CustomHeaders:         originHeaders(cfg),
			CustomOriginConfig: &cloudfront.DistributionOriginCustomOriginConfigArgs{
				HttpPort: pulumi.Int(80), HttpsPort: pulumi.Int(443),
				OriginProtocolPolicy: pulumi.String("https-only"),
				OriginSslProtocols:   pulumi.StringArray{pulumi.String("TLSv1.2")},
				OriginReadTimeout:    pulumi.Int(readTimeout),
			},
		}
	}
	dynamic := func(pattern, origin string, cache pulumi.StringInput) *cloudfront.DistributionOrderedCacheBehaviorArgs {
		return &cloudfront.DistributionOrderedCacheBehaviorArgs{
			PathPattern:             pulumi.String(pattern),
			TargetOriginId:          pulumi.String(origin),
			ViewerProtocolPolicy:    pulumi.String("redirect-to-https"),
			AllowedMethods:          pulumi.ToStringArray([]string{"GET", "HEAD", "OPTIONS", "PUT", "POST", "PATCH", "DELETE"}),
			CachedMethods:           pulumi.ToStringArray([]string{"GET", "HEAD"}),
			CachePolicyId:           cache,
			OriginRequestPolicyId:   forward.ID(),
			ResponseHeadersPolicyId: headers.ID(),
			Compress:                pulumi.Bool(false), // do not buffer the token stream
		}
	}
	var behaviours cloudfront.DistributionOrderedCacheBehaviorArray
	for _, b := range routeBehaviours() {
		cache := api.ID()
		if b.Origin == urlOID {
			// The function URL signs with OAC, which overwrites Authorization: no cache key at all.
			cache = pulumi.ID(managedCachingDisabled).ToIDOutput()
		}
		behaviours = append(behaviours, dynamic(b.Pattern, b.Origin, cache))
	}
	var webACLArn pulumi.StringPtrInput
	if s.WebACL != nil {
		webACLArn = s.WebACL.Arn
	}
	s.Distribution, err = cloudfront.NewDistribution(ctx, name+"-cdn", &cloudfront.DistributionArgs{
		Enabled:           pulumi.Bool(true),
		Comment:           pulumi.String("Digital twin " + cfg.Stack),
		Aliases:           pulumi.StringArray{pulumi.String(cfg.Domain)},
		DefaultRootObject: pulumi.String("index.html"),
		HttpVersion:       pulumi.String("http2and3"),
		IsIpv6Enabled:     pulumi.Bool(true),
		PriceClass:        pulumi.String(cfg.PriceClass),
		WebAclId:          webACLArn,
		Origins: cloudfront.DistributionOriginArray{
			&cloudfront.DistributionOriginArgs{
				OriginId:              pulumi.String(siteOriginID),
				DomainName:            s.Bucket.BucketRegionalDomainName,
				OriginAccessControlId: s3OAC.ID(),
			},
			apiOrigin(apiOriginID, d.api.Host, nil, 30),
			apiOrigin(urlOID, streamHost, lambdaOAC.ID(), 60),
		},
		DefaultCacheBehavior: &cloudfront.DistributionDefaultCacheBehaviorArgs{
			TargetOriginId:          pulumi.String(siteOriginID),
			ViewerProtocolPolicy:    pulumi.String("redirect-to-https"),
			AllowedMethods:          pulumi.ToStringArray([]string{"GET", "HEAD", "OPTIONS"}),
			CachedMethods:           pulumi.ToStringArray([]string{"GET", "HEAD"}),
			CachePolicyId:           pages.ID(),
			ResponseHeadersPolicyId: headers.ID(),
			Compress:                pulumi.Bool(true),
			FunctionAssociations: cloudfront.DistributionDefaultCacheBehaviorFunctionAssociationArray{
				&cloudfront.DistributionDefaultCacheBehaviorFunctionAssociationArgs{
					EventType: pulumi.String("viewer-request"), FunctionArn: rewrite.Arn,
				},
			},
		},
		// Order matters: CloudFront takes the first matching pattern. The API's behaviours come
		// from the app's route table (routes.go), then the hashed assets.
		OrderedCacheBehaviors: append(behaviours, &cloudfront.DistributionOrderedCacheBehaviorArgs{
			PathPattern:             pulumi.String("/_next/static/*"),
			TargetOriginId:          pulumi.String(siteOriginID),
			ViewerProtocolPolicy:    pulumi.String("redirect-to-https"),
			AllowedMethods:          pulumi.ToStringArray([]string{"GET", "HEAD"}),
			CachedMethods:           pulumi.ToStringArray([]string{"GET", "HEAD"}),
			CachePolicyId:           static.ID(),
			ResponseHeadersPolicyId: headers.ID(),
			Compress:                pulumi.Bool(true),
		}),
		// No custom error responses: they apply to every behaviour, so they would rewrite the
		// API's own statuses and JSON bodies (a 403 refusal, a 404 session_not_found) into the
		// site's HTML. The site bucket lets CloudFront list it, so a missing page is S3's 404,
		// not a 403 (docs/decisions/0013-origins-accept-only-cloudfront.md).
		Restrictions: &cloudfront.DistributionRestrictionsArgs{
			GeoRestriction: &cloudfront.DistributionRestrictionsGeoRestrictionArgs{RestrictionType: pulumi.String("none")},
		},
		ViewerCertificate: &cloudfront.DistributionViewerCertificateArgs{
			AcmCertificateArn:      certArn,
			SslSupportMethod:       pulumi.String("sni-only"),
			MinimumProtocolVersion: pulumi.String(minimumViewerTLS),
		},
	}, p)
	if err != nil {
		return nil, err
	}
	dp := pulumi.Parent(s.Distribution)

	// The bucket admits only this distribution, and only over TLS.
	if _, err := s3.NewBucketPolicy(ctx, name+"-policy", &s3.BucketPolicyArgs{
		Bucket: s.Bucket.ID(),
		Policy: policyJSON(func(v []any) (PolicyDocument, error) {
			bucket, dist := v[0].(string), v[1].(string)
			return Policy(
				Statement{
					Sid: "CloudFrontRead", Effect: "Allow",
					Principal: map[string]any{"Service": "cloudfront.amazonaws.com"},
					Action:    []string{"s3:GetObject"}, Resource: []string{bucket + "/*"},
					Condition: map[string]map[string]any{"StringEquals": {"AWS:SourceArn": dist}},
				},
				// Listing makes a missing key a 404 rather than a 403 (S3's answer without it).
				Statement{
					Sid: "CloudFrontList", Effect: "Allow",
					Principal: map[string]any{"Service": "cloudfront.amazonaws.com"},
					Action:    []string{"s3:ListBucket"}, Resource: []string{bucket},
					Condition: map[string]map[string]any{"StringEquals": {"AWS:SourceArn": dist}},
				},
				denyInsecureTransport(bucket),
			), nil
		}, s.Bucket.Arn, s.Distribution.Arn),
	}, pulumi.Parent(s.Bucket)); err != nil {
		return nil, err
	}

	// CloudFront (this distribution only) may call the streaming function URL. Lambda wants both
	// statements since October 2025; pulumi-aws v6.83.4 lacks invokedViaFunctionUrl, so the
	// second one is a plain lambda:InvokeFunction scoped by SourceArn.
	stream := d.fns.Stream
	for _, perm := range []struct {
		suffix, action string
		authType       pulumi.StringPtrInput
	}{
		{"url", "lambda:InvokeFunctionUrl", pulumi.String("AWS_IAM")},
		{"invoke", "lambda:InvokeFunction", nil},
	} {
		if _, err := lambda.NewPermission(ctx, name+"-cloudfront-"+perm.suffix, &lambda.PermissionArgs{
			Action:              pulumi.String(perm.action),
			Function:            stream.Function.Name,
			Qualifier:           stream.Alias.Name,
			Principal:           pulumi.String("cloudfront.amazonaws.com"),
			SourceArn:           s.Distribution.Arn,
			FunctionUrlAuthType: perm.authType,
		}, dp); err != nil {
			return nil, err
		}
	}

	if cfg.HostedZoneID != "" {
		for _, typ := range []string{"A", "AAAA"} {
			if _, err := route53.NewRecord(ctx, name+"-"+strings.ToLower(typ), &route53.RecordArgs{
				ZoneId: pulumi.String(cfg.HostedZoneID),
				Name:   pulumi.String(cfg.Domain),
				Type:   pulumi.String(typ),
				Aliases: route53.RecordAliasArray{&route53.RecordAliasArgs{
					Name: s.Distribution.DomainName, ZoneId: pulumi.String(cloudFrontHostedZoneID),
					EvaluateTargetHealth: pulumi.Bool(false),
				}},
			}, dp); err != nil {
				return nil, err
			}
		}
	}
	if err := ctx.RegisterResourceOutputs(s, pulumi.Map{"url": s.URL, "distributionId": s.Distribution.ID()}); err != nil {
		return nil, err
	}
	return s, nil
}

// webACL is the CloudFront-scope WAF (us-east-1) with one per-IP rate-based rule.
func webACL(ctx *pulumi.Context, cfg *Config, opts ...pulumi.ResourceOption) (*wafv2.WebAcl, error) {
	metric := func(n string) *wafv2.WebAclVisibilityConfigArgs {
		return &wafv2.WebAclVisibilityConfigArgs{
			CloudwatchMetricsEnabled: pulumi.Bool(true), MetricName: pulumi.String(n), SampledRequestsEnabled: pulumi.Bool(true),
		}
	}
	return wafv2.NewWebAcl(ctx, cfg.Prefix+"-waf", &wafv2.WebAclArgs{
		Description:   pulumi.String("Per-IP rate limit in front of the " + cfg.Prefix + " twin"),
		Scope:         pulumi.String("CLOUDFRONT"),
		DefaultAction: &wafv2.WebAclDefaultActionArgs{Allow: &wafv2.WebAclDefaultActionAllowArgs{}},
		Rules: wafv2.WebAclRuleArray{&wafv2.WebAclRuleArgs{
			Name:     pulumi.String("rate-per-ip"),
			Priority: pulumi.Int(0),
			Action:   &wafv2.WebAclRuleActionArgs{Block: &wafv2.WebAclRuleActionBlockArgs{}},
			Statement: &wafv2.WebAclRuleStatementArgs{
				RateBasedStatement: &wafv2.WebAclRuleStatementRateBasedStatementArgs{
					Limit: pulumi.Int(cfg.WAFRateLimit), AggregateKeyType: pulumi.String("IP"),
				},
			},
			VisibilityConfig: (*wafv2.WebAclRuleVisibilityConfigArgs)(metric(cfg.Prefix + "-rate-per-ip")),
		}},
		VisibilityConfig: metric(cfg.Prefix + "-waf"),
	}, opts...)
}

// dnsCertificate requests an ACM certificate for domain, validates it through DNS records in
// the hosted zone and returns the validated certificate's ARN. Pass the us-east-1 provider for
// CloudFront.
func dnsCertificate(ctx *pulumi.Context, name, domain, zoneID string, opts ...pulumi.ResourceOption) (pulumi.StringOutput, error) {
	cert, err := acm.NewCertificate(ctx, name, &acm.CertificateArgs{
		DomainName:       pulumi.String(domain),
		ValidationMethod: pulumi.String("DNS"),
	}, opts...)
	if err != nil {
		return pulumi.StringOutput{}, err
	}
	opt := cert.DomainValidationOptions.Index(pulumi.Int(0))
	rec, err := route53.NewRecord(ctx, name+"-validation", &route53.RecordArgs{
		ZoneId:         pulumi.String(zoneID),
		Name:           opt.ResourceRecordName().Elem(),
		Type:           opt.ResourceRecordType().Elem(),
		Records:        pulumi.StringArray{opt.ResourceRecordValue().Elem()},
		Ttl:            pulumi.Int(300),
		AllowOverwrite: pulumi.Bool(true),
	}, pulumi.Parent(cert))
	if err != nil {
		return pulumi.StringOutput{}, err
	}
	valid, err := acm.NewCertificateValidation(ctx, name+"-validated", &acm.CertificateValidationArgs{
		CertificateArn:        cert.Arn,
		ValidationRecordFqdns: pulumi.StringArray{rec.Fqdn},
	}, append(opts, pulumi.Parent(cert))...)
	if err != nil {
		return pulumi.StringOutput{}, err
	}
	return valid.CertificateArn, nil
}

// hostOf turns https://host/ into host.
func hostOf(u string) (string, error) {
	parsed, err := url.Parse(u)
	if err != nil {
		return "", err
	}
	return parsed.Host, nil
}
