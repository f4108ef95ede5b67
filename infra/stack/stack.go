// Package stack is the whole Digital Twin AWS stack (docs/architecture.md, docs/deploy.md) as a
// Pulumi Go program body: Deploy builds it from the stack's configuration, one component per
// concern (storage, functions, api, site, observability, and the optional CI deploy role).
// infra/main.go only calls Deploy and exports the outputs; the tests run Deploy under Pulumi mocks
// for every stack file and hand what it declares to infra/policy.
package stack

import (
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// Outputs are the stack outputs (docs/deploy.md lists them; the deploy workflow reads them).
type Outputs struct {
	SiteURL           pulumi.StringOutput
	SiteBucket        pulumi.StringOutput
	DistributionID    pulumi.StringOutput
	CDNDomain         pulumi.StringOutput // CNAME target when DNS is not in Route 53
	APIEndpoint       pulumi.StringOutput
	APIDomainTarget   pulumi.StringOutput // CNAME target of apiDomain ("" without it)
	APIDomainZoneID   pulumi.StringOutput // its Route 53 zone, for an alias record
	HTTPFunction      pulumi.StringOutput
	StreamFunction    pulumi.StringOutput
	StreamFunctionURL pulumi.StringOutput
	Alias             pulumi.StringOutput
	MemoryBucket      pulumi.StringOutput
	LLMSecretID       pulumi.StringOutput // "" unless llmProvider is openai
	OwnerTokenSecret  pulumi.StringOutput // "" unless ownerFeatures
	OwnerTopicArn     pulumi.StringOutput // "" unless ownerFeatures
	AlarmTopicArn     pulumi.StringOutput
	DashboardName     pulumi.StringOutput
	DeployRoleArn     pulumi.StringOutput // "" unless githubRepository is set
}

// Map is the outputs by their exported names.
func (o *Outputs) Map() map[string]pulumi.StringOutput {
	return map[string]pulumi.StringOutput{
		"siteUrl": o.SiteURL, "siteBucket": o.SiteBucket, "distributionId": o.DistributionID, "cdnDomain": o.CDNDomain,
		"apiEndpoint": o.APIEndpoint, "apiDomainTarget": o.APIDomainTarget, "apiDomainZoneId": o.APIDomainZoneID, "httpFunction": o.HTTPFunction, "streamFunction": o.StreamFunction,
		"streamFunctionUrl": o.StreamFunctionURL, "alias": o.Alias, "memoryBucket": o.MemoryBucket,
		"llmSecretId":        o.LLMSecretID,
		"ownerTokenSecretId": o.OwnerTokenSecret, "ownerTopicArn": o.OwnerTopicArn, "alarmTopicArn": o.AlarmTopicArn, "dashboardName": o.DashboardName,
		"deployRoleArn": o.DeployRoleArn,
	}
}

// Deploy builds the whole stack from the stack configuration.
func Deploy(ctx *pulumi.Context) (*Outputs, error) {
	cfg, err := LoadConfig(ctx)
	if err != nil {
		return nil, err
	}
	caller := aws.GetCallerIdentityOutput(ctx, aws.GetCallerIdentityOutputArgs{})
	accountID := caller.AccountId()

	// CloudFront's certificate and WAF must live in us-east-1 whatever the stack's region.
	// An explicit provider does not read the stack's aws: config, so it gets the tags here.
	useast1, err := aws.NewProvider(ctx, cfg.Prefix+"-us-east-1", &aws.ProviderArgs{
		Region: pulumi.String("us-east-1"),
		DefaultTags: &aws.ProviderDefaultTagsArgs{Tags: pulumi.StringMap{
			"app": pulumi.String("digital-twin"), "stack": pulumi.String(ctx.Stack()),
		}},
	})
	if err != nil {
		return nil, err
	}

	storage, err := NewStorage(ctx, cfg)
	if err != nil {
		return nil, err
	}
	origin, err := newOriginSecret(ctx, cfg, storage)
	if err != nil {
		return nil, err
	}
	deps := functionDeps{accountID: accountID, storage: storage, origin: origin}
	if cfg.OwnerFeatures {
		if deps.owner, err = NewOwner(ctx, cfg, storage); err != nil {
			return nil, err
		}
	}
	if deps.boundary, err = NewBoundary(ctx, cfg, deps); err != nil {
		return nil, err
	}
	fns, err := NewFunctions(ctx, cfg, deps)
	if err != nil {
		return nil, err
	}
	api, err := NewAPI(ctx, cfg, fns.HTTP)
	if err != nil {
		return nil, err
	}
	site, err := NewSite(ctx, cfg, siteDeps{useast1: useast1, api: api, fns: fns})
	if err != nil {
		return nil, err
	}
	if err := NewSiteObjects(ctx, cfg, site.Bucket); err != nil {
		return nil, err
	}
	obs, err := NewObservability(ctx, cfg, observabilityDeps{fns: fns, api: api, storage: storage, site: site})
	if err != nil {
		return nil, err
	}

	empty := pulumi.String("").ToStringOutput()
	out := &Outputs{
		SiteURL:           site.URL,
		SiteBucket:        site.Bucket.Bucket,
		DistributionID:    site.Distribution.ID().ToStringOutput(),
		CDNDomain:         site.Distribution.DomainName,
		APIEndpoint:       api.Endpoint,
		APIDomainTarget:   api.DomainTarget,
		APIDomainZoneID:   api.DomainZoneID,
		HTTPFunction:      fns.HTTP.Function.Name,
		StreamFunction:    fns.Stream.Function.Name,
		StreamFunctionURL: fns.URL.FunctionUrl,
		Alias:             pulumi.String(AliasName).ToStringOutput(),
		MemoryBucket:      storage.MemoryBucket.Bucket,
		LLMSecretID:       empty,
		OwnerTokenSecret:  empty,
		OwnerTopicArn:     empty,
		AlarmTopicArn:     obs.Topic.Arn,
		DashboardName:     obs.Dashboard.DashboardName,
		DeployRoleArn:     empty,
	}
	if storage.Secret != nil {
		out.LLMSecretID = storage.Secret.Arn
	}
	if deps.owner != nil {
		out.OwnerTokenSecret = deps.owner.Token.Arn
		out.OwnerTopicArn = deps.owner.Topic.Arn
	}
	if cfg.GitHubRepository != "" {
		role, err := NewDeployRole(ctx, cfg, accountID, deps.boundary)
		if err != nil {
			return nil, err
		}
		out.DeployRoleArn = role.Role.Arn
	}
	return out, nil
}
