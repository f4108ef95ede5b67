package telemetry

import (
	"context"
	"fmt"
	"net/http"
	"time"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"
)

// lambdaTraceKey is the context key under which aws-lambda-go stores the invocation's
// X-Amzn-Trace-Id (its own untyped string key).
const lambdaTraceKey = "x-amzn-trace-id"

// TraceHTTP wraps an http.Handler (the API mux) with the server span of each request:
//
//   - the parent is, in order: the Lambda invocation's trace header (aws-lambda-go puts it in the
//     context, so the span hangs under Lambda's own segment in X-Ray), else the request's
//     traceparent / X-Amzn-Trace-Id headers, else a new trace;
//   - the span is named "METHOD /route" from the ServeMux pattern once routing ran, carries the
//     HTTP semantic-convention attributes, the response status and twin.correlation_id (from the
//     X-Correlation-Id response header), and is marked as an error for 5xx;
//   - the request context carries the span and WithRequest(method, path), so every log line of
//     the request has trace_id, span_id, method and path;
//   - inside Lambda (SetupTracing saw AWS_LAMBDA_FUNCTION_NAME) spans are flushed before the
//     response completes, since the environment may be frozen right after.
//
// The ResponseWriter is wrapped but still implements http.Flusher and Unwrap, so streaming and
// http.ResponseController work through it.
func TraceHTTP(next http.Handler) http.Handler {
	tracer := otel.Tracer(TracerName)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx := extractParent(r)
		ctx, span := tracer.Start(ctx, r.Method, trace.WithSpanKind(trace.SpanKindServer))
		if span.IsRecording() {
			span.SetAttributes(
				attribute.String("http.request.method", r.Method),
				attribute.String("url.path", r.URL.Path),
				attribute.String("url.scheme", scheme(r)),
				attribute.String("server.address", r.Host),
				attribute.String("user_agent.original", r.UserAgent()),
				attribute.String("network.protocol.version", protoVersion(r)),
			)
		}
		info, ok := ctx.Value(requestKey).(*requestInfo)
		if !ok {
			info = &requestInfo{method: r.Method, path: r.URL.Path}
			ctx = context.WithValue(ctx, requestKey, info)
		}
		info.span = span.SpanContext()
		rw := &statusWriter{ResponseWriter: w}
		r2 := r.WithContext(ctx)
		defer func() {
			status := rw.status
			if status == 0 {
				status = http.StatusOK
			}
			// A panic is a 500 for the span even when an outer middleware turns it into a
			// response; re-raise it for that middleware once the span has ended.
			if v := recover(); v != nil {
				if v != http.ErrAbortHandler {
					status = http.StatusInternalServerError
					span.RecordError(fmt.Errorf("panic: %v", v), trace.WithStackTrace(true))
				}
				defer panic(v)
			}
			if r2.Pattern != "" {
				span.SetName(routeName(r.Method, r2.Pattern))
				span.SetAttributes(attribute.String("http.route", route(r2.Pattern)))
			}
			span.SetAttributes(attribute.Int("http.response.status_code", status))
			if id := w.Header().Get("X-Correlation-Id"); id != "" {
				span.SetAttributes(attribute.String("twin.correlation_id", id))
			}
			if status >= 500 {
				span.SetStatus(codes.Error, http.StatusText(status))
			}
			span.End()
			if flushOnEnd.Load() {
				fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 2*time.Second)
				_ = ForceFlush(fctx)
				cancel()
			}
		}()
		next.ServeHTTP(rw, r2)
	})
}

// extractParent returns the request context with the remote parent span context, if any.
func extractParent(r *http.Request) context.Context {
	ctx := r.Context()
	prop := otel.GetTextMapPropagator()
	if h, ok := ctx.Value(lambdaTraceKey).(string); ok && h != "" {
		c := prop.Extract(ctx, propagation.MapCarrier{"X-Amzn-Trace-Id": h})
		if trace.SpanContextFromContext(c).IsValid() {
			return c
		}
	}
	return prop.Extract(ctx, propagation.HeaderCarrier(r.Header))
}

// route drops the method and host from a ServeMux pattern ("POST /api/chat" → "/api/chat").
func route(pattern string) string {
	for i := 0; i < len(pattern); i++ {
		if pattern[i] == '/' {
			return pattern[i:]
		}
	}
	return pattern
}

func routeName(method, pattern string) string { return method + " " + route(pattern) }

func scheme(r *http.Request) string {
	if r.TLS != nil {
		return "https"
	}
	if p := r.Header.Get("X-Forwarded-Proto"); p != "" {
		return p
	}
	return "http"
}

func protoVersion(r *http.Request) string {
	switch r.ProtoMajor {
	case 2:
		return "2"
	case 3:
		return "3"
	}
	return "1.1"
}

// statusWriter records the response status; it keeps streaming working.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

// Flush implements http.Flusher for streaming responses.
func (w *statusWriter) Flush() {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	if f, ok := w.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

// Unwrap lets http.ResponseController reach the underlying writer.
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }
