package stack

import (
	"github.com/digitaltwin/twin/app/httpapi"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/cloudfront"
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

	pol, err := newEdgePolicies(ctx, cfg, name, p)
	if err != nil {
		return nil, err
	}
	if cfg.WAF {
		if s.WebACL, err = webACL(ctx, cfg, p, edge); err != nil {
			return nil, err
		}
	}

	if s.Distribution, err = newDistribution(ctx, cfg, name, s, d, pol, certArn, p); err != nil {
		return nil, err
	}
	if err := grantSiteAccess(ctx, cfg, name, s, d); err != nil {
		return nil, err
	}
	if err := ctx.RegisterResourceOutputs(s, pulumi.Map{"url": s.URL, "distributionId": s.Distribution.ID()}); err != nil {
		return nil, err
	}
	return s, nil
}

// newDistribution is the CloudFront distribution: the site bucket, the HTTP API and the streaming
// function URL as origins; the API's behaviours from the app's route table, then the hashed
// assets; TLS with the site's certificate.
func newDistribution(ctx *pulumi.Context, cfg *Config, name string, s *Site, d siteDeps, pol *edgePolicies, certArn pulumi.StringOutput, p pulumi.ResourceOption) (*cloudfront.Distribution, error) {
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
			OriginRequestPolicyId:   pol.forward.ID(),
			ResponseHeadersPolicyId: pol.headers.ID(),
			Compress:                pulumi.Bool(false), // do not buffer the token stream
		}
	}
	var behaviours cloudfront.DistributionOrderedCacheBehaviorArray
	for _, b := range routeBehaviours() {
		cache := pol.api.ID()
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
	return cloudfront.NewDistribution(ctx, name+"-cdn", &cloudfront.DistributionArgs{
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
				OriginAccessControlId: pol.s3OAC.ID(),
			},
			apiOrigin(apiOriginID, d.api.Host, nil, 30),
			apiOrigin(urlOID, streamHost, pol.lambdaOAC.ID(), 60),
		},
		DefaultCacheBehavior: &cloudfront.DistributionDefaultCacheBehaviorArgs{
			TargetOriginId:          pulumi.String(siteOriginID),
			ViewerProtocolPolicy:    pulumi.String("redirect-to-https"),
			AllowedMethods:          pulumi.ToStringArray([]string{"GET", "HEAD", "OPTIONS"}),
			CachedMethods:           pulumi.ToStringArray([]string{"GET", "HEAD"}),
			CachePolicyId:           pol.pages.ID(),
			ResponseHeadersPolicyId: pol.headers.ID(),
			Compress:                pulumi.Bool(true),
			FunctionAssociations: cloudfront.DistributionDefaultCacheBehaviorFunctionAssociationArray{
				&cloudfront.DistributionDefaultCacheBehaviorFunctionAssociationArgs{
					EventType: pulumi.String("viewer-request"), FunctionArn: pol.rewrite.Arn,
				},
			},
		},
		// Order matters: CloudFront takes the first matching pattern. The API's behaviours come
		// from the app's route table (routes.go), then the embed page (the one page other sites
		// may frame), then the hashed assets.
		OrderedCacheBehaviors: append(behaviours, &cloudfront.DistributionOrderedCacheBehaviorArgs{
			PathPattern:             pulumi.String(httpapi.EmbedPath + "*"),
			TargetOriginId:          pulumi.String(siteOriginID),
			ViewerProtocolPolicy:    pulumi.String("redirect-to-https"),
			AllowedMethods:          pulumi.ToStringArray([]string{"GET", "HEAD"}),
			CachedMethods:           pulumi.ToStringArray([]string{"GET", "HEAD"}),
			CachePolicyId:           pol.pages.ID(),
			ResponseHeadersPolicyId: pol.embed.ID(),
			Compress:                pulumi.Bool(true),
			FunctionAssociations: cloudfront.DistributionOrderedCacheBehaviorFunctionAssociationArray{
				&cloudfront.DistributionOrderedCacheBehaviorFunctionAssociationArgs{
					EventType: pulumi.String("viewer-request"), FunctionArn: pol.rewrite.Arn,
				},
			},
		}, &cloudfront.DistributionOrderedCacheBehaviorArgs{
			PathPattern:             pulumi.String("/_next/static/*"),
			TargetOriginId:          pulumi.String(siteOriginID),
			ViewerProtocolPolicy:    pulumi.String("redirect-to-https"),
			AllowedMethods:          pulumi.ToStringArray([]string{"GET", "HEAD"}),
			CachedMethods:           pulumi.ToStringArray([]string{"GET", "HEAD"}),
			CachePolicyId:           pol.static.ID(),
			ResponseHeadersPolicyId: pol.headers.ID(),
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
}
