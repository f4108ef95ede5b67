package awsclient

import (
	"context"
	"sync/atomic"
)

type counterKey struct{}

// RetryCounter counts the retries made on behalf of one request: SDK retries after throttling,
// 5xx or transport errors, and optimistic-write re-applies after a conflict (s3store).
type RetryCounter struct{ n atomic.Int64 }

// WithRetryCounter returns ctx carrying a new counter. The core calls it at the start of a turn
// and reads Retries(ctx) at the end for the S3Retries metric.
func WithRetryCounter(ctx context.Context) context.Context {
	return context.WithValue(ctx, counterKey{}, &RetryCounter{})
}

// Retries returns the retries counted in ctx so far (0 without a counter).
func Retries(ctx context.Context) int {
	if c, ok := ctx.Value(counterKey{}).(*RetryCounter); ok {
		return int(c.n.Load())
	}
	return 0
}

// AddRetries adds n to the counter in ctx, if any.
func AddRetries(ctx context.Context, n int) {
	if c, ok := ctx.Value(counterKey{}).(*RetryCounter); ok {
		c.n.Add(int64(n))
	}
}
