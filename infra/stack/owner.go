package stack

import (
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/secretsmanager"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/sns"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// Owner is what the owner features of the app need (app/owner): the SNS topic new leads and
// unanswered questions are published to, and the secret holding the owner's bearer token for the
// owner view. The records themselves live under the memory bucket's ownerPrefixes.
type Owner struct {
	pulumi.ResourceState

	Topic *sns.Topic
	Token *secretsmanager.Secret
}

// NewOwner creates the owner topic (with the optional email subscription) and token secret.
func NewOwner(ctx *pulumi.Context, cfg *Config, storage *Storage, opts ...pulumi.ResourceOption) (*Owner, error) {
	o := &Owner{}
	name := cfg.Prefix + "-owner"
	if err := ctx.RegisterComponentResource("twin:stack:Owner", name, o, opts...); err != nil {
		return nil, err
	}
	p := pulumi.Parent(o)
	var err error
	o.Topic, err = sns.NewTopic(ctx, name+"-notify", &sns.TopicArgs{
		DisplayName: pulumi.String("Digital twin " + cfg.Stack + ": visitors asking for you"),
	}, p)
	if err != nil {
		return nil, err
	}
	if cfg.OwnerEmail != "" {
		if _, err := sns.NewTopicSubscription(ctx, name+"-notify-email", &sns.TopicSubscriptionArgs{
			Topic: o.Topic.Arn, Protocol: pulumi.String("email"), Endpoint: pulumi.String(cfg.OwnerEmail),
		}, pulumi.Parent(o.Topic)); err != nil {
			return nil, err
		}
	}
	var kmsKeyID pulumi.StringPtrInput
	if storage.Key != nil {
		kmsKeyID = storage.Key.Arn
	}
	// Created empty, like the LLM key: docs/deploy.md sets a random token out of band.
	o.Token, err = secretsmanager.NewSecret(ctx, name+"-token", &secretsmanager.SecretArgs{
		Description:          pulumi.String("Bearer token of the " + cfg.Prefix + " owner view (value set out of band)"),
		KmsKeyId:             kmsKeyID,
		RecoveryWindowInDays: pulumi.Int(7),
	}, p)
	if err != nil {
		return nil, err
	}
	if err := ctx.RegisterResourceOutputs(o, pulumi.Map{"topic": o.Topic.Arn, "token": o.Token.Arn}); err != nil {
		return nil, err
	}
	return o, nil
}
