// Package awsclient loads the one aws.Config every AWS adapter of the twin shares: region,
// credentials and endpoints from the SDK's standard environment (AWS_REGION, AWS_ENDPOINT_URL,
// AWS_ENDPOINT_URL_S3, profiles, the Lambda role), and a bounded retryer with exponential backoff
// and full jitter whose retries are counted per request context (the S3Retries metric).
package awsclient

import (
	"context"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/config"
)

// Defaults of the retryer. A chat turn has a person waiting, so the budget is small: four
// attempts with at most about 0.1+0.2+0.4 s of jittered sleep between them.
const (
	DefaultMaxAttempts = 4
	DefaultBaseDelay   = 100 * time.Millisecond
	DefaultMaxBackoff  = 2 * time.Second
)

// Options tunes Load. The zero value is the production setting.
type Options struct {
	MaxAttempts int           // attempts per API call, including the first; default 4
	BaseDelay   time.Duration // first backoff; doubled each retry; default 100ms
	MaxBackoff  time.Duration // cap of one backoff; default 2s

	// LoadOptions are passed on to config.LoadDefaultConfig (tests set static credentials,
	// a region and an HTTP client here).
	LoadOptions []func(*config.LoadOptions) error
}

// Load returns the shared aws.Config. It never reads the environment itself: the SDK does, with
// its documented variables.
func Load(ctx context.Context, o Options) (aws.Config, error) {
	opts := append([]func(*config.LoadOptions) error{
		config.WithRetryer(func() aws.Retryer { return NewRetryer(o) }),
	}, o.LoadOptions...)
	cfg, err := config.LoadDefaultConfig(ctx, opts...)
	if err != nil {
		return aws.Config{}, fmt.Errorf("load AWS config: %w", err)
	}
	return cfg, nil
}

// NewRetryer returns the SDK's standard retryer (which retries throttling, 5xx and transport
// errors, and honours the clock-skew rules) with the twin's attempt budget, a full-jitter
// exponential backoff for every retryable error (the SDK's default waits a whole second before a
// throttling retry), and a per-context retry counter.
func NewRetryer(o Options) aws.RetryerV2 {
	if o.MaxAttempts <= 0 {
		o.MaxAttempts = DefaultMaxAttempts
	}
	if o.BaseDelay <= 0 {
		o.BaseDelay = DefaultBaseDelay
	}
	if o.MaxBackoff <= 0 {
		o.MaxBackoff = DefaultMaxBackoff
	}
	std := retry.NewStandard(func(so *retry.StandardOptions) {
		so.MaxAttempts = o.MaxAttempts
		so.MaxBackoff = o.MaxBackoff
		so.Backoff = Backoff(o.BaseDelay, o.MaxBackoff)
	})
	return countingRetryer{std}
}

// Backoff is full-jitter exponential backoff: a uniform delay in [0, min(max, base·2^(attempt-1))).
func Backoff(base, maxDelay time.Duration) retry.BackoffDelayer {
	return retry.BackoffDelayerFunc(func(attempt int, _ error) (time.Duration, error) {
		if attempt < 1 {
			attempt = 1
		}
		ceil := maxDelay
		if shift := attempt - 1; shift < 30 {
			if d := base << shift; d > 0 && d < maxDelay {
				ceil = d
			}
		}
		return time.Duration(rand.Int64N(int64(ceil) + 1)), nil
	})
}

// countingRetryer counts every retry the SDK decides to make into the context's RetryCounter.
type countingRetryer struct{ aws.RetryerV2 }

// GetRetryToken is called exactly once before each retry; a granted token is a retry.
func (r countingRetryer) GetRetryToken(ctx context.Context, opErr error) (func(error) error, error) {
	release, err := r.RetryerV2.GetRetryToken(ctx, opErr)
	if err == nil {
		AddRetries(ctx, 1)
	}
	return release, err
}
