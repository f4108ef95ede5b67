package stack

import (
	"fmt"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/kms"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/s3"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/secretsmanager"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/digitaltwin/twin/dashboards"
)

// Storage is the twin's data at rest: the memory bucket (conversations and, later, the owner's
// leads/questions/feedback prefixes), the persona object and the LLM API key secret.
type Storage struct {
	pulumi.ResourceState

	MemoryBucket *s3.BucketV2
	Persona      []*s3.BucketObjectv2 // one object, or one per file of a persona folder
	// Secret and Key are nil unless the provider needs an API key (openai) / a customer key is asked for.
	Secret *secretsmanager.Secret
	Key    *kms.Key
}

// privateBucket creates a bucket with every public access blocked, ACLs disabled (bucket owner
// enforced), default encryption and optional versioning. The caller adds the bucket policy.
func privateBucket(ctx *pulumi.Context, name string, versioned bool, opts ...pulumi.ResourceOption) (*s3.BucketV2, error) {
	b, err := s3.NewBucketV2(ctx, name, &s3.BucketV2Args{ForceDestroy: pulumi.Bool(false)}, opts...)
	if err != nil {
		return nil, err
	}
	child := []pulumi.ResourceOption{pulumi.Parent(b)}
	if _, err := s3.NewBucketPublicAccessBlock(ctx, name+"-pab", &s3.BucketPublicAccessBlockArgs{
		Bucket:                b.ID(),
		BlockPublicAcls:       pulumi.Bool(true),
		BlockPublicPolicy:     pulumi.Bool(true),
		IgnorePublicAcls:      pulumi.Bool(true),
		RestrictPublicBuckets: pulumi.Bool(true),
	}, child...); err != nil {
		return nil, err
	}
	if _, err := s3.NewBucketOwnershipControls(ctx, name+"-ownership", &s3.BucketOwnershipControlsArgs{
		Bucket: b.ID(),
		Rule:   &s3.BucketOwnershipControlsRuleArgs{ObjectOwnership: pulumi.String("BucketOwnerEnforced")},
	}, child...); err != nil {
		return nil, err
	}
	if _, err := s3.NewBucketServerSideEncryptionConfigurationV2(ctx, name+"-sse", &s3.BucketServerSideEncryptionConfigurationV2Args{
		Bucket: b.ID(),
		Rules: s3.BucketServerSideEncryptionConfigurationV2RuleArray{&s3.BucketServerSideEncryptionConfigurationV2RuleArgs{
			ApplyServerSideEncryptionByDefault: &s3.BucketServerSideEncryptionConfigurationV2RuleApplyServerSideEncryptionByDefaultArgs{
				SseAlgorithm: pulumi.String("AES256"),
			},
			BucketKeyEnabled: pulumi.Bool(true),
		}},
	}, child...); err != nil {
		return nil, err
	}
	if versioned {
		if _, err := s3.NewBucketVersioningV2(ctx, name+"-versioning", &s3.BucketVersioningV2Args{
			Bucket:                  b.ID(),
			VersioningConfiguration: &s3.BucketVersioningV2VersioningConfigurationArgs{Status: pulumi.String("Enabled")},
		}, child...); err != nil {
			return nil, err
		}
	}
	return b, nil
}

// NewStorage creates the memory bucket, uploads the persona and creates the LLM secret.
func NewStorage(ctx *pulumi.Context, cfg *Config, opts ...pulumi.ResourceOption) (*Storage, error) {
	s := &Storage{}
	name := cfg.Prefix + "-storage"
	if err := ctx.RegisterComponentResource("twin:stack:Storage", name, s, opts...); err != nil {
		return nil, err
	}
	parent := pulumi.Parent(s)

	// Conversations and owner records are the one thing a redeploy cannot recreate.
	b, err := privateBucket(ctx, cfg.Prefix+"-memory", true, parent, pulumi.Protect(cfg.ProtectData))
	if err != nil {
		return nil, err
	}
	s.MemoryBucket = b
	child := pulumi.Parent(b)

	if _, err := s3.NewBucketPolicy(ctx, cfg.Prefix+"-memory-policy", &s3.BucketPolicyArgs{
		Bucket: b.ID(),
		Policy: policyJSON(func(v []any) (PolicyDocument, error) {
			return Policy(denyInsecureTransport(v[0].(string))), nil
		}, b.Arn),
	}, child); err != nil {
		return nil, err
	}

	// Lifecycle: old versions of overwritten sessions go after NoncurrentDays; sessions
	// themselves optionally after SessionRetention days; stray multipart uploads after a day.
	rules := s3.BucketLifecycleConfigurationV2RuleArray{
		&s3.BucketLifecycleConfigurationV2RuleArgs{
			Id:     pulumi.String("expire-noncurrent-versions"),
			Status: pulumi.String("Enabled"),
			Filter: &s3.BucketLifecycleConfigurationV2RuleFilterArgs{Prefix: pulumi.String("")},
			NoncurrentVersionExpiration: &s3.BucketLifecycleConfigurationV2RuleNoncurrentVersionExpirationArgs{
				NoncurrentDays: pulumi.Int(cfg.NoncurrentDays),
			},
			AbortIncompleteMultipartUpload: &s3.BucketLifecycleConfigurationV2RuleAbortIncompleteMultipartUploadArgs{
				DaysAfterInitiation: pulumi.Int(1),
			},
		},
	}
	if cfg.SessionRetention > 0 {
		rules = append(rules, &s3.BucketLifecycleConfigurationV2RuleArgs{
			Id:         pulumi.String("expire-sessions"),
			Status:     pulumi.String("Enabled"),
			Filter:     &s3.BucketLifecycleConfigurationV2RuleFilterArgs{Prefix: pulumi.String(cfg.MemoryPrefix)},
			Expiration: &s3.BucketLifecycleConfigurationV2RuleExpirationArgs{Days: pulumi.Int(cfg.SessionRetention)},
		})
	}
	if _, err := s3.NewBucketLifecycleConfigurationV2(ctx, cfg.Prefix+"-memory-lifecycle", &s3.BucketLifecycleConfigurationV2Args{
		Bucket: b.ID(),
		Rules:  rules,
	}, child); err != nil {
		return nil, err
	}
	// Request metrics (4xx/5xx) for the S3 errors alarm: S3 only publishes them for a metrics
	// configuration, under the FilterId dimension the dashboards package expects.
	if _, err := s3.NewBucketMetric(ctx, cfg.Prefix+"-memory-metrics", &s3.BucketMetricArgs{
		Bucket: b.ID(),
		Name:   pulumi.String(dashboards.S3MetricsFilterID),
	}, child); err != nil {
		return nil, err
	}

	// Not under the protected bucket: a new personaKey replaces the objects.
	s.Persona, err = uploadPersona(ctx, cfg, b, parent, pulumi.DependsOn([]pulumi.Resource{b}))
	if err != nil {
		return nil, err
	}

	var kmsKeyID pulumi.StringPtrInput
	if cfg.CustomerManagedKey {
		s.Key, err = kms.NewKey(ctx, cfg.Prefix+"-secret-key", &kms.KeyArgs{
			Description:          pulumi.String(fmt.Sprintf("%s secrets (LLM API key, owner token)", cfg.Prefix)),
			EnableKeyRotation:    pulumi.Bool(true),
			DeletionWindowInDays: pulumi.Int(30),
		}, parent)
		if err != nil {
			return nil, err
		}
		kmsKeyID = s.Key.Arn
	}
	if cfg.LLMProvider == "openai" {
		// The secret is created empty: the key never passes through Pulumi config or state.
		// docs/deploy.md: aws secretsmanager put-secret-value after the first `pulumi up`.
		s.Secret, err = secretsmanager.NewSecret(ctx, cfg.Prefix+"-llm-api-key", &secretsmanager.SecretArgs{
			Description:          pulumi.String("LLM API key of the " + cfg.Prefix + " twin (value set out of band)"),
			KmsKeyId:             kmsKeyID,
			RecoveryWindowInDays: pulumi.Int(7),
		}, parent)
		if err != nil {
			return nil, err
		}
	}

	if err := ctx.RegisterResourceOutputs(s, pulumi.Map{"memoryBucket": b.Bucket}); err != nil {
		return nil, err
	}
	return s, nil
}
