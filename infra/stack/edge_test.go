package stack_test

import (
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/digitaltwin/twin/app/httpapi"
	"github.com/digitaltwin/twin/dashboards"
	"github.com/digitaltwin/twin/infra/policy"
	"github.com/digitaltwin/twin/infra/stack"
	"github.com/digitaltwin/twin/infra/stack/stacktest"
)

func TestAPI(t *testing.T) {
	for _, s := range stacks {
		t.Run(s.name, func(t *testing.T) {
			res := mustDeploy(t, s.name, nil)
			cfg, _ := stacktest.LoadStackConfig(s.name)
			api := one(t, res, "aws:apigatewayv2/api:Api", s.prefix+"-api")
			if got := strs(get(api.Inputs, "corsConfiguration", "allowOrigins")); !slices.Equal(got, []string{"https://" + s.domain}) {
				t.Errorf("CORS origins %v", got)
			}
			stage := one(t, res, "aws:apigatewayv2/stage:Stage", s.prefix+"-api-stage")
			rs := stage.Inputs["defaultRouteSettings"].(map[string]any)
			if fmt.Sprint(rs["throttlingRateLimit"]) != cfg["twin:throttleRate"] || fmt.Sprint(rs["throttlingBurstLimit"]) != cfg["twin:throttleBurst"] {
				t.Errorf("throttling %v", rs)
			}
			if get(stage.Inputs, "accessLogSettings", "destinationArn") == nil {
				t.Error("no access logs")
			}
			var keys []string
			for _, r := range res.Find("aws:apigatewayv2/route:Route") {
				keys = append(keys, r.Inputs["routeKey"].(string))
			}
			sort.Strings(keys)
			want := []string{"$default"}
			for _, r := range httpapi.Routes {
				if !r.Stream {
					want = append(want, r.Pattern())
				}
			}
			if sort.Strings(want); !slices.Equal(keys, want) {
				t.Errorf("routes %v, want %v", keys, want)
			}
			chat := one(t, res, "aws:apigatewayv2/integration:Integration", s.prefix+"-api-chat")
			alias := one(t, res, "aws:lambda/alias:Alias", s.prefix+"-http-live").State["arn"]
			if chat.Inputs["timeoutMilliseconds"] != 30000.0 || chat.Inputs["integrationUri"] != alias || chat.Inputs["payloadFormatVersion"] != "2.0" {
				t.Errorf("chat integration %v", chat.Inputs)
			}
			perm := one(t, res, policy.TypePermission, s.prefix+"-api-invoke")
			if perm.Inputs["qualifier"] != "live" || perm.Inputs["principal"] != "apigateway.amazonaws.com" ||
				!strings.HasPrefix(perm.Inputs["sourceArn"].(string), "arn:aws:execute-api:") {
				t.Errorf("API permission %v", perm.Inputs)
			}
			domains := res.Find(policy.TypeAPIDomain)
			if (cfg["twin:apiDomain"] != "") != (len(domains) == 1) {
				t.Errorf("apiDomain %q but %d domain names", cfg["twin:apiDomain"], len(domains))
			}
		})
	}
}

func TestSite(t *testing.T) {
	for _, s := range stacks {
		t.Run(s.name, func(t *testing.T) {
			res := mustDeploy(t, s.name, nil)
			cfg, _ := stacktest.LoadStackConfig(s.name)
			d := one(t, res, policy.TypeDistribution, s.prefix+"-site-cdn")
			in := d.Inputs
			if got := strs(in["aliases"]); !slices.Equal(got, []string{s.domain}) {
				t.Errorf("aliases %v", got)
			}
			vc := in["viewerCertificate"].(map[string]any)
			if vc["minimumProtocolVersion"] != "TLSv1.2_2021" || vc["sslSupportMethod"] != "sni-only" ||
				!strings.HasPrefix(vc["acmCertificateArn"].(string), "arn:aws:acm:us-east-1:") {
				t.Errorf("viewer certificate %v", vc)
			}
			if cfg["twin:certificateArn"] != "" && vc["acmCertificateArn"] != cfg["twin:certificateArn"] {
				t.Errorf("certificate %v, want the configured one", vc["acmCertificateArn"])
			}
			behaviours := map[string]map[string]any{"default": in["defaultCacheBehavior"].(map[string]any)}
			for _, b := range in["orderedCacheBehaviors"].([]any) {
				bm := b.(map[string]any)
				behaviours[bm["pathPattern"].(string)] = bm
			}
			for p, b := range behaviours {
				if b["viewerProtocolPolicy"] != "redirect-to-https" || b["responseHeadersPolicyId"] == nil {
					t.Errorf("behaviour %s: %v", p, b)
				}
			}
			order := []string{}
			for _, b := range in["orderedCacheBehaviors"].([]any) {
				order = append(order, b.(map[string]any)["pathPattern"].(string))
			}
			if i, j := slices.Index(order, "/api/chat/stream"), slices.Index(order, "/api/*"); i < 0 || j < i {
				t.Errorf("behaviour order %v: the stream path must precede /api/*", order)
			}
			if behaviours["/api/chat/stream"]["targetOriginId"] != "stream" || behaviours["/api/*"]["targetOriginId"] != "api" {
				t.Errorf("API behaviours %v", behaviours)
			}
			orp := res.Find("aws:cloudfront/originRequestPolicy:OriginRequestPolicy")
			if len(orp) != 1 {
				t.Fatalf("%d origin request policies", len(orp))
			}
			fwd := strs(get(orp[0].Inputs, "headersConfig", "headers", "items"))
			if get(orp[0].Inputs, "headersConfig", "headerBehavior") != "whitelist" || !slices.Contains(fwd, "CloudFront-Viewer-Address") || slices.Contains(fwd, "Host") {
				t.Errorf("origin request policy headers %v", orp[0].Inputs["headersConfig"])
			}
			apiCache := one(t, res, "aws:cloudfront/cachePolicy:CachePolicy", s.prefix+"-site-api")
			if apiCache.Inputs["defaultTtl"] != 0.0 || !slices.Equal(strs(get(apiCache.Inputs, "parametersInCacheKeyAndForwardedToOrigin", "headersConfig", "headers", "items")), []string{"Authorization"}) {
				t.Errorf("API cache policy %v", apiCache.Inputs)
			}
			for p, wantCache := range map[string]any{"/api/chat/stream": "4135ea2d-6df8-44a3-9df3-4b5a84be39ad", "/api/*": apiCache.ID} {
				if b := behaviours[p]; b["cachePolicyId"] != wantCache || b["originRequestPolicyId"] != orp[0].ID || b["compress"] != false {
					t.Errorf("behaviour %s: cache %v, origin request %v, compress %v", p, b["cachePolicyId"], b["originRequestPolicyId"], b["compress"])
				}
			}
			origins := map[string]map[string]any{}
			for _, o := range in["origins"].([]any) {
				om := o.(map[string]any)
				origins[om["originId"].(string)] = om
			}
			url := one(t, res, policy.TypeFunctionURL, s.prefix+"-stream-url").State["functionUrl"].(string)
			if want := strings.TrimSuffix(strings.TrimPrefix(url, "https://"), "/"); origins["stream"]["domainName"] != want {
				t.Errorf("stream origin %v, want %s", origins["stream"]["domainName"], want)
			}
			oacs := map[string]string{}
			for _, o := range res.Find("aws:cloudfront/originAccessControl:OriginAccessControl") {
				oacs[o.ID] = o.Inputs["originAccessControlOriginType"].(string)
			}
			if oacs[fmt.Sprint(origins["stream"]["originAccessControlId"])] != "lambda" || oacs[fmt.Sprint(origins["site"]["originAccessControlId"])] != "s3" {
				t.Errorf("OACs %v, origins %v", oacs, origins)
			}
			// Custom error responses are distribution-wide: any would rewrite the API's own
			// statuses and JSON bodies (a 403 refusal, a 404 session_not_found).
			if errs, _ := in["customErrorResponses"].([]any); len(errs) != 0 {
				t.Errorf("custom error responses %v rewrite the API's errors", errs)
			}
			if waf := in["webAclId"] != nil; waf != (cfg["twin:waf"] == "true") {
				t.Errorf("webAclId %v with waf %s", in["webAclId"], cfg["twin:waf"])
			}
			for _, acl := range res.Find("aws:wafv2/webAcl:WebAcl") {
				if acl.Region != "us-east-1" || acl.Inputs["scope"] != "CLOUDFRONT" || acl.State["arn"] != in["webAclId"] {
					t.Errorf("web ACL in %s, scope %v", acl.Region, acl.Inputs["scope"])
				}
				rule := acl.Inputs["rules"].([]any)[0].(map[string]any)
				if fmt.Sprint(get(rule, "statement", "rateBasedStatement", "limit")) != cfg["twin:wafRateLimit"] || get(rule, "statement", "rateBasedStatement", "aggregateKeyType") != "IP" {
					t.Errorf("WAF rule %v", rule)
				}
			}
			for _, c := range res.Find("aws:acm/certificate:Certificate") {
				if c.Region != "us-east-1" {
					t.Errorf("certificate %s in %s: CloudFront needs us-east-1", c.Name, c.Region)
				}
			}
			// Cache: hashed assets a year, pages not cached by default.
			for _, c := range res.Find("aws:cloudfront/cachePolicy:CachePolicy") {
				switch {
				case strings.HasSuffix(c.Name, "-static"):
					if c.Inputs["minTtl"] != 31536000.0 {
						t.Errorf("static cache %v", c.Inputs)
					}
				case strings.HasSuffix(c.Name, "-pages"):
					if c.Inputs["defaultTtl"] != 0.0 || c.Inputs["minTtl"] != 0.0 {
						t.Errorf("pages cache %v", c.Inputs)
					}
				}
			}
			hdr := one(t, res, "aws:cloudfront/responseHeadersPolicy:ResponseHeadersPolicy", s.prefix+"-site-headers")
			if get(hdr.Inputs, "securityHeadersConfig", "strictTransportSecurity", "accessControlMaxAgeSec") == nil ||
				get(hdr.Inputs, "securityHeadersConfig", "contentSecurityPolicy", "contentSecurityPolicy") != stack.ContentSecurityPolicy(apiOrigin(cfg)) {
				t.Errorf("security headers %v", hdr)
			}
			// CloudFront's two permissions on the live alias, scoped to this distribution.
			dist := d.State["arn"]
			want := map[string]any{"lambda:InvokeFunctionUrl": "AWS_IAM", "lambda:InvokeFunction": nil}
			for _, sfx := range []string{"url", "invoke"} {
				p := one(t, res, policy.TypePermission, s.prefix+"-site-cloudfront-"+sfx).Inputs
				action := p["action"].(string)
				auth, ok := want[action]
				if !ok || p["functionUrlAuthType"] != auth || p["sourceArn"] != dist || p["principal"] != "cloudfront.amazonaws.com" ||
					p["qualifier"] != "live" || p["function"] != s.prefix+"-stream" {
					t.Errorf("CloudFront permission %v", p)
				}
				delete(want, action)
			}
			site := one(t, res, policy.TypeBucketPolicy, s.prefix+"-site-policy")
			for _, sid := range []string{"CloudFrontRead", "CloudFrontList"} {
				if sp := parseDoc(t, site.Inputs["policy"]).bySid()[sid]; sp.Condition["StringEquals"]["AWS:SourceArn"] != dist {
					t.Errorf("site bucket policy %s %+v", sid, sp)
				}
			}
		})
	}
}

func TestObservability(t *testing.T) {
	for _, s := range stacks {
		t.Run(s.name, func(t *testing.T) {
			res := mustDeploy(t, s.name, nil)
			arn := one(t, res, "aws:sns/topic:Topic", s.prefix+"-alarms").State["arn"]
			alarms := res.Find(policy.TypeMetricAlarm)
			want := dashboards.Alarms(dashboards.Names{Region: s.region, Environment: s.env, HTTPFunction: s.prefix + "-http",
				StreamFunction: s.prefix + "-stream", APIID: "x", MemoryBucket: "y", HTTPTimeout: time.Second, StreamTimeout: time.Second})
			if len(alarms) == 0 || len(alarms) != len(want) {
				t.Fatalf("%d alarms, want %d", len(alarms), len(want))
			}
			for _, a := range alarms {
				if !slices.Equal(strs(a.Inputs["alarmActions"]), []string{arn.(string)}) || !slices.Equal(strs(a.Inputs["okActions"]), []string{arn.(string)}) {
					t.Errorf("alarm %s actions %v", a.Name, a.Inputs["alarmActions"])
				}
				qs := a.Inputs["metricQueries"].([]any)
				returns := 0
				for _, q := range qs {
					if q.(map[string]any)["returnData"] == true {
						returns++
					}
				}
				if returns != 1 {
					t.Errorf("alarm %s: %d queries return data", a.Name, returns)
				}
				if strings.Contains(fmt.Sprint(qs), "api-id") || strings.Contains(fmt.Sprint(qs), "memory-bucket") {
					t.Errorf("alarm %s still has placeholder names: %v", a.Name, qs)
				}
			}
			dash := res.Find("aws:cloudwatch/dashboard:Dashboard")
			if len(dash) != 1 {
				t.Fatalf("%d dashboards", len(dash))
			}
			body := dash[0].Inputs["dashboardBody"].(string)
			if !json.Valid([]byte(body)) || !strings.Contains(body, s.prefix+"-stream") || !strings.Contains(body, "a1b2c3d4e5") {
				t.Errorf("dashboard body does not name the stack's resources: %.300s", body)
			}
		})
	}
}

func TestOutputsAndDeployRole(t *testing.T) {
	for _, s := range stacks {
		t.Run(s.name, func(t *testing.T) {
			res := mustDeploy(t, s.name, nil)
			want := []string{"alarmTopicArn", "alias", "apiDomainTarget", "apiDomainZoneId", "apiEndpoint", "cdnDomain", "dashboardName", "deployRoleArn", "distributionId",
				"httpFunction", "llmSecretId", "memoryBucket", "ownerTokenSecretId", "ownerTopicArn", "siteBucket", "siteUrl",
				"streamFunction", "streamFunctionUrl"}
			if got := slices.Sorted(maps.Keys(res.Outputs)); !slices.Equal(got, want) {
				t.Errorf("outputs %v, want %v", got, want)
			}
			if res.Outputs["siteUrl"] != "https://"+s.domain || res.Outputs["alias"] != "live" || res.Outputs["httpFunction"] != s.prefix+"-http" {
				t.Errorf("outputs %v", res.Outputs)
			}
			role := one(t, res, policy.TypeRole, s.prefix+"-deploy-role")
			trust := parseDoc(t, role.Inputs["assumeRolePolicy"]).Statement[0]
			if sub := trust.Condition["StringEquals"]["token.actions.githubusercontent.com:sub"]; sub != "repo:digitaltwin/twin:environment:"+s.env {
				t.Errorf("deploy role subject %v", sub)
			}
			if res.Outputs["deployRoleArn"] != role.State["arn"] {
				t.Errorf("deployRoleArn %q", res.Outputs["deployRoleArn"])
			}
			providers := res.Find("aws:iam/openIdConnectProvider:OpenIdConnectProvider")
			if s.name == "prod" && len(providers) != 0 || s.name == "staging" && len(providers) != 1 {
				t.Errorf("%d OIDC providers", len(providers))
			}
		})
	}
}

func apiOrigin(cfg map[string]string) string {
	if d := cfg["twin:apiDomain"]; d != "" {
		return "https://" + d
	}
	return ""
}
