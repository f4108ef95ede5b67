package stack

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/cloudfront"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/secretsmanager"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/digitaltwin/twin/app/httpapi"
)

// MinOriginSecret is the shortest origin secret the stack accepts (the app refuses shorter).
const MinOriginSecret = 32

// OriginSecret is the secret header CloudFront adds to every request it sends to the functions
// (both origins), so they can refuse anything that skipped CloudFront
// (docs/decisions/0013-origins-accept-only-cloudfront.md). Its value comes from the stack's
// secret config (twin:originSecret, and twin:originSecretPrevious during a rotation); the
// functions read it from this Secrets Manager secret at cold start (ORIGIN_SECRET_ID), since
// the project keeps secret values out of Lambda environments.
type OriginSecret struct {
	Secret  *secretsmanager.Secret
	Version *secretsmanager.SecretVersion
	// Rotation changes whenever the accepted values change; the functions' environment carries
	// it (ORIGIN_ROTATION), so a rotation publishes new versions and no warm instance keeps the
	// old values. A short digest prefix: it says nothing usable about the secret. It resolves
	// once the new value is stored, so the functions update (and start reading it) only then,
	// and CloudFront, which depends on the functions, sends a new value last.
	Rotation pulumi.StringOutput
}

// newOriginSecret creates the secret holding {"current", "previous"} for the functions.
func newOriginSecret(ctx *pulumi.Context, cfg *Config, storage *Storage, opts ...pulumi.ResourceOption) (*OriginSecret, error) {
	var kmsKeyID pulumi.StringPtrInput
	if storage.Key != nil {
		kmsKeyID = storage.Key.Arn
	}
	o := &OriginSecret{}
	var err error
	o.Secret, err = secretsmanager.NewSecret(ctx, cfg.Prefix+"-origin-secret", &secretsmanager.SecretArgs{
		Description:          pulumi.String("Origin header CloudFront adds to requests for the " + cfg.Prefix + " functions"),
		KmsKeyId:             kmsKeyID,
		RecoveryWindowInDays: pulumi.Int(7),
	}, opts...)
	if err != nil {
		return nil, err
	}
	value, _ := json.Marshal(map[string]string{"current": cfg.OriginSecret, "previous": cfg.OriginSecretPrevious})
	sum := sha256.Sum256(value)
	rotation := hex.EncodeToString(sum[:6])
	o.Version, err = secretsmanager.NewSecretVersion(ctx, cfg.Prefix+"-origin-secret-value", &secretsmanager.SecretVersionArgs{
		SecretId:     o.Secret.ID(),
		SecretString: pulumi.ToSecret(pulumi.String(string(value))).(pulumi.StringOutput),
	}, pulumi.Parent(o.Secret))
	if err != nil {
		return nil, err
	}
	o.Rotation = o.Version.ID().ApplyT(func(pulumi.ID) string { return rotation }).(pulumi.StringOutput)
	return o, nil
}

// originHeaders are the custom headers CloudFront adds to the requests it sends to an API origin.
func originHeaders(cfg *Config) cloudfront.DistributionOriginCustomHeaderArray {
	return cloudfront.DistributionOriginCustomHeaderArray{&cloudfront.DistributionOriginCustomHeaderArgs{
		Name:  pulumi.String(httpapi.OriginHeader),
		Value: pulumi.ToSecret(pulumi.String(cfg.OriginSecret)).(pulumi.StringOutput),
	}}
}
