package awsclient

import (
	"context"
	"sync/atomic"

	"github.com/digitaltwin/twin/app/telemetry"
)

type counterKey struct{}

// RetryCounter counts the retries made on behalf of one request: SDK retries after throttling,
// 5xx or transport errors, and optimistic-write re-applies after a conflict (s3store).
type RetryCounter struct{ n atomic.Int64 }

// WithRetryCounter returns ctx carrying a new counter, for callers (tests, tools) that want the
// count of one operation. The S3Retries metric does not need it: AddRetries also counts into the
// request scope of app/telemetry, which RecordTurn reads.
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

// AddRetries adds n to the counter in ctx, if any, and to the request's telemetry count.
func AddRetries(ctx context.Context, n int) {
	telemetry.AddRetries(ctx, n)
	if c, ok := ctx.Value(counterKey{}).(*RetryCounter); ok {
		c.n.Add(int64(n))
	}
}
