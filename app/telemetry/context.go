// Package telemetry carries request identity through a context and makes every log line, span and
// metric of a chat turn carry it (see docs/observability.md):
//
//   - Identity: CorrelationIDFrom, WithCorrelationID, WithSessionID, WithRequest (method, path).
//   - Logs: NewLogger / NewHandler, a slog handler that stamps correlation_id, session_id,
//     trace_id, span_id, xray_trace_id, method and path on every line, redacts emails and phone
//     numbers, and gives every ERROR line error, error_code and a short stack; LogError; ParseLevel,
//     DefaultLevel, RedactFor.
//   - Traces: SetupTracing installs the global provider and propagator from the OTEL_* variables
//     (none by default, console, OTLP/HTTP; X-Ray ids; SigV4 to X-Ray's OTLP endpoint) and returns
//     its shutdown; ForceFlush exports ended spans (end of a Lambda invocation); TraceHTTP is the
//     HTTP middleware that continues the caller's or the Lambda invocation's trace and starts the
//     server span of each request; InstrumentAWS traces AWS SDK calls. The twin's own spans use
//     otel.Tracer(TracerName).
//   - Metrics: NewMetrics(w, environment).RecordTurn writes one CloudWatch EMF line per chat turn
//     (namespace DigitalTwin, dimensions Environment and Environment+Outcome); DefaultPrices
//     estimates its cost.
package telemetry

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"regexp"
	"sync/atomic"

	"go.opentelemetry.io/otel/trace"
)

type ctxKey int

const (
	correlationKey ctxKey = iota
	sessionKey
)

// correlationPattern is a sane incoming correlation id: at most 128 characters of [A-Za-z0-9._-].
var correlationPattern = regexp.MustCompile(`^[A-Za-z0-9._-]{1,128}$`)

// CorrelationIDFrom returns incoming when it is a sane token, else a new random id.
func CorrelationIDFrom(incoming string) string {
	if correlationPattern.MatchString(incoming) {
		return incoming
	}
	var b [16]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// WithCorrelationID returns ctx carrying the request's correlation id.
func WithCorrelationID(ctx context.Context, id string) context.Context {
	return context.WithValue(ctx, correlationKey, id)
}

// CorrelationID returns the correlation id in ctx, or "".
func CorrelationID(ctx context.Context) string {
	s, _ := ctx.Value(correlationKey).(string)
	return s
}

// WithSessionID returns ctx carrying the chat session id.
func WithSessionID(ctx context.Context, id string) context.Context {
	return context.WithValue(ctx, sessionKey, id)
}

// SessionID returns the session id in ctx, or "".
func SessionID(ctx context.Context) string {
	s, _ := ctx.Value(sessionKey).(string)
	return s
}

// requestInfo is the request scope: method and path for log lines, and the server span once
// TraceHTTP started it, so lines logged with the request's outer context (an access log in a
// middleware around TraceHTTP) still carry the trace.
type requestInfo struct {
	method, path string
	span         trace.SpanContext // written once by TraceHTTP before the handler runs
	retries      atomic.Int64      // AddRetries
	toolsRefused atomic.Int64      // CountToolsRefused
}

const requestKey ctxKey = 100

// WithRequest returns ctx carrying the HTTP request's method and path, which the log Handler
// stamps on every line. TraceHTTP adds it when the caller has not.
func WithRequest(ctx context.Context, method, path string) context.Context {
	return context.WithValue(ctx, requestKey, &requestInfo{method: method, path: path})
}

// Request returns the method and path in ctx, or "", "".
func Request(ctx context.Context) (method, path string) {
	if r, ok := ctx.Value(requestKey).(*requestInfo); ok {
		return r.method, r.path
	}
	return "", ""
}

// spanContext returns the span context in ctx, else the request's server span.
func spanContext(ctx context.Context) trace.SpanContext {
	if sc := trace.SpanContextFromContext(ctx); sc.IsValid() {
		return sc
	}
	if r, ok := ctx.Value(requestKey).(*requestInfo); ok {
		return r.span
	}
	return trace.SpanContext{}
}

// AddRetries counts n retries made for the request in ctx (AWS SDK retries, optimistic-write
// re-applies); RecordTurn reports them as S3Retries when the Turn does not say. Without a
// request scope (WithRequest or TraceHTTP) it does nothing.
func AddRetries(ctx context.Context, n int) {
	if r, ok := ctx.Value(requestKey).(*requestInfo); ok {
		r.retries.Add(int64(n))
	}
}

// Retries returns the retries counted for the request in ctx.
func Retries(ctx context.Context) int {
	if r, ok := ctx.Value(requestKey).(*requestInfo); ok {
		return int(r.retries.Load())
	}
	return 0
}

// CountToolsRefused records that the model refused the tools offered during the request in ctx
// (they are then off for a cool-down); RecordTurn reports it as ToolsRefused. Without a request
// scope it does nothing.
func CountToolsRefused(ctx context.Context) {
	if r, ok := ctx.Value(requestKey).(*requestInfo); ok {
		r.toolsRefused.Add(1)
	}
}

// ToolsRefused returns how many refusals of tools were counted for the request in ctx.
func ToolsRefused(ctx context.Context) int {
	if r, ok := ctx.Value(requestKey).(*requestInfo); ok {
		return int(r.toolsRefused.Load())
	}
	return 0
}
