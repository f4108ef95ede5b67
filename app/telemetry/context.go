// Package telemetry carries request identity through a context and makes every log line, span and
// metric of a chat turn carry it: correlation ids, the slog handler that stamps them, tracing
// set-up and the per-turn CloudWatch EMF record.
package telemetry

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"regexp"

	"go.opentelemetry.io/otel/trace"
)

type ctxKey int

const (
	correlationKey ctxKey = iota
	sessionKey
)

// correlationPattern is a sane incoming correlation id (DESIGN §4).
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
