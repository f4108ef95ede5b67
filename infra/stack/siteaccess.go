package stack

import (
	"net/url"
	"strings"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/acm"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/lambda"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/route53"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/s3"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/wafv2"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// grantSiteAccess lets the distribution, and only it, read the site bucket and invoke the
// streaming function, and points the domain at it when the stack has a hosted zone.
func grantSiteAccess(ctx *pulumi.Context, cfg *Config, name string, s *Site, d siteDeps) error {
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
		return err
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
			return err
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
				return err
			}
		}
	}
	return nil
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
