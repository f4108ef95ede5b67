package stack

import (
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/apigatewayv2"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/cloudwatch"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/lambda"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/route53"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// API is the HTTP API in front of the buffered (http-api) function.
type API struct {
	pulumi.ResourceState

	API   *apigatewayv2.Api
	Stage *apigatewayv2.Stage
	// Host is CloudFront's origin for the API: the custom domain when configured, else the
	// execute-api host name.
	Host pulumi.StringOutput
	// Endpoint is the public base URL: the custom domain when configured, else execute-api.
	Endpoint pulumi.StringOutput
	// DomainTarget and DomainZoneID are where apiDomain's DNS record must point (the regional
	// endpoint's name and Route 53 zone): "" without apiDomain. With hostedZoneId the stack
	// creates the alias record itself; otherwise the owner creates a CNAME to DomainTarget.
	DomainTarget, DomainZoneID pulumi.StringOutput
}

// NewAPI creates the HTTP API, its stage, integrations, routes and optional custom domain.
func NewAPI(ctx *pulumi.Context, cfg *Config, fn *Function, opts ...pulumi.ResourceOption) (*API, error) {
	a := &API{}
	name := cfg.Prefix + "-api"
	if err := ctx.RegisterComponentResource("twin:stack:API", name, a, opts...); err != nil {
		return nil, err
	}
	p := pulumi.Parent(a)
	var err error
	a.API, err = apigatewayv2.NewApi(ctx, name, &apigatewayv2.ApiArgs{
		ProtocolType: pulumi.String("HTTP"),
		// With a custom domain CloudFront reaches the API there, and the execute-api host is
		// closed; without one it is CloudFront's origin. Either way the functions refuse requests
		// without the origin secret (origin.go).
		DisableExecuteApiEndpoint: pulumi.Bool(cfg.APIDomain != ""),
		Description:               pulumi.String("Digital twin API (" + cfg.Environment + ")"),
		CorsConfiguration: &apigatewayv2.ApiCorsConfigurationArgs{
			AllowOrigins:  pulumi.StringArray{pulumi.String(cfg.SiteOrigin())},
			AllowMethods:  pulumi.ToStringArray(apiMethods()),
			AllowHeaders:  pulumi.ToStringArray([]string{"content-type", "accept", "authorization", "x-correlation-id"}),
			ExposeHeaders: pulumi.ToStringArray([]string{"x-correlation-id", "x-session-id", "retry-after"}),
			MaxAge:        pulumi.Int(600),
		},
	}, p)
	if err != nil {
		return nil, err
	}
	ap := pulumi.Parent(a.API)
	logs, err := cloudwatch.NewLogGroup(ctx, name+"-access-logs", &cloudwatch.LogGroupArgs{
		Name:            pulumi.String("/aws/apigateway/" + name),
		RetentionInDays: pulumi.Int(cfg.LogRetentionDays),
	}, ap)
	if err != nil {
		return nil, err
	}
	a.Stage, err = apigatewayv2.NewStage(ctx, name+"-stage", &apigatewayv2.StageArgs{
		ApiId:      a.API.ID(),
		Name:       pulumi.String("$default"),
		AutoDeploy: pulumi.Bool(true),
		DefaultRouteSettings: &apigatewayv2.StageDefaultRouteSettingsArgs{
			ThrottlingBurstLimit:   pulumi.Int(cfg.ThrottleBurst),
			ThrottlingRateLimit:    pulumi.Float64(cfg.ThrottleRate),
			DetailedMetricsEnabled: pulumi.Bool(false),
		},
		AccessLogSettings: &apigatewayv2.StageAccessLogSettingsArgs{
			DestinationArn: logs.Arn,
			Format: pulumi.String(`{"requestId":"$context.requestId","ip":"$context.identity.sourceIp",` +
				`"routeKey":"$context.routeKey","status":"$context.status","latency":"$context.responseLatency",` +
				`"integrationLatency":"$context.integrationLatency","error":"$context.error.message",` +
				`"integrationError":"$context.integrationErrorMessage"}`),
		},
	}, ap)
	if err != nil {
		return nil, err
	}

	integration := func(suffix string, timeoutSec int) (*apigatewayv2.Integration, error) {
		return apigatewayv2.NewIntegration(ctx, name+"-"+suffix, &apigatewayv2.IntegrationArgs{
			ApiId:                a.API.ID(),
			IntegrationType:      pulumi.String("AWS_PROXY"),
			IntegrationUri:       fn.Alias.Arn,
			PayloadFormatVersion: pulumi.String("2.0"),
			TimeoutMilliseconds:  pulumi.Int(timeoutSec * 1000),
		}, ap)
	}
	chat, err := integration("chat", cfg.ChatTimeout)
	if err != nil {
		return nil, err
	}
	quick, err := integration("quick", cfg.ShortTimeout)
	if err != nil {
		return nil, err
	}
	// The app's buffered routes (routes.go), each with its timeout, and $default for every other
	// request, so the app answers unknown paths and wrong methods with its own JSON 404 and 405.
	route := func(key string, target *apigatewayv2.Integration) error {
		_, err := apigatewayv2.NewRoute(ctx, name+"-route-"+slug(key), &apigatewayv2.RouteArgs{
			ApiId:    a.API.ID(),
			RouteKey: pulumi.String(key),
			Target:   pulumi.Sprintf("integrations/%s", target.ID()),
		}, ap)
		return err
	}
	for _, r := range apiRoutes() {
		target := quick
		if r.Model {
			target = chat
		}
		if err := route(routeKey(r), target); err != nil {
			return nil, err
		}
	}
	if err := route("$default", quick); err != nil {
		return nil, err
	}
	// API Gateway may invoke only the live alias, and only from this API's routes ($default's
	// source ARN ends in /$default, not in the request path).
	if _, err := lambda.NewPermission(ctx, name+"-invoke", &lambda.PermissionArgs{
		Action:    pulumi.String("lambda:InvokeFunction"),
		Function:  fn.Function.Name,
		Qualifier: fn.Alias.Name,
		Principal: pulumi.String("apigateway.amazonaws.com"),
		SourceArn: pulumi.Sprintf("%s/*", a.API.ExecutionArn),
	}, ap); err != nil {
		return nil, err
	}

	a.Host = a.API.ApiEndpoint.ApplyT(hostOf).(pulumi.StringOutput)
	a.Endpoint = a.API.ApiEndpoint
	a.DomainTarget = pulumi.String("").ToStringOutput()
	a.DomainZoneID = a.DomainTarget
	if cfg.APIDomain != "" {
		if a.Endpoint, err = apiDomain(ctx, cfg, a, ap); err != nil {
			return nil, err
		}
		a.Host = pulumi.String(cfg.APIDomain).ToStringOutput()
	}
	if err := ctx.RegisterResourceOutputs(a, pulumi.Map{"endpoint": a.Endpoint}); err != nil {
		return nil, err
	}
	return a, nil
}

// apiDomain maps the optional custom domain (regional endpoint, TLS 1.2) onto the stage.
func apiDomain(ctx *pulumi.Context, cfg *Config, a *API, p pulumi.ResourceOption) (pulumi.StringOutput, error) {
	certArn := pulumi.String(cfg.APICertArn).ToStringOutput()
	if cfg.APICertArn == "" {
		cert, err := dnsCertificate(ctx, cfg.Prefix+"-api-cert", cfg.APIDomain, cfg.HostedZoneID, p)
		if err != nil {
			return pulumi.StringOutput{}, err
		}
		certArn = cert
	}
	dn, err := apigatewayv2.NewDomainName(ctx, cfg.Prefix+"-api-domain", &apigatewayv2.DomainNameArgs{
		DomainName: pulumi.String(cfg.APIDomain),
		DomainNameConfiguration: &apigatewayv2.DomainNameDomainNameConfigurationArgs{
			CertificateArn: certArn,
			EndpointType:   pulumi.String("REGIONAL"),
			SecurityPolicy: pulumi.String("TLS_1_2"),
		},
	}, p)
	if err != nil {
		return pulumi.StringOutput{}, err
	}
	if _, err := apigatewayv2.NewApiMapping(ctx, cfg.Prefix+"-api-mapping", &apigatewayv2.ApiMappingArgs{
		ApiId:      a.API.ID(),
		DomainName: dn.ID(),
		Stage:      a.Stage.ID(),
	}, p); err != nil {
		return pulumi.StringOutput{}, err
	}
	target := dn.DomainNameConfiguration.TargetDomainName().Elem()
	zone := dn.DomainNameConfiguration.HostedZoneId().Elem()
	a.DomainTarget, a.DomainZoneID = target, zone
	if cfg.HostedZoneID != "" {
		if _, err := route53.NewRecord(ctx, cfg.Prefix+"-api-a", &route53.RecordArgs{
			ZoneId: pulumi.String(cfg.HostedZoneID),
			Name:   pulumi.String(cfg.APIDomain),
			Type:   pulumi.String("A"),
			Aliases: route53.RecordAliasArray{&route53.RecordAliasArgs{
				Name: target, ZoneId: zone, EvaluateTargetHealth: pulumi.Bool(false),
			}},
		}, p); err != nil {
			return pulumi.StringOutput{}, err
		}
	}
	return pulumi.String("https://" + cfg.APIDomain).ToStringOutput(), nil
}
