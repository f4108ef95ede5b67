package telemetry_test

import (
	"bytes"
	"context"
	"encoding/hex"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/propagation"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"
	"go.opentelemetry.io/otel/trace/noop"

	"github.com/digitaltwin/twin/app/telemetry"
)

func env(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

// resetGlobals restores the no-op provider after a test that installed one.
func resetGlobals(t *testing.T) {
	t.Helper()
	t.Cleanup(func() {
		otel.SetTracerProvider(noop.NewTracerProvider())
		otel.SetTextMapPropagator(propagation.NewCompositeTextMapPropagator())
	})
}

func TestSetupTracingNoneByDefault(t *testing.T) {
	resetGlobals(t)
	otel.SetTracerProvider(noop.NewTracerProvider())
	for _, e := range []map[string]string{{}, {"OTEL_TRACES_EXPORTER": "none", "OTEL_EXPORTER_OTLP_ENDPOINT": "http://x"}, {"OTEL_SDK_DISABLED": "true", "OTEL_TRACES_EXPORTER": "otlp"}} {
		shutdown, err := telemetry.SetupTracing(context.Background(), env(e), "test")
		if err != nil {
			t.Fatal(err)
		}
		if _, ok := otel.GetTracerProvider().(*sdktrace.TracerProvider); ok {
			t.Errorf("env %v installed an SDK provider", e)
		}
		_, span := otel.Tracer(telemetry.TracerName).Start(context.Background(), "x")
		if span.IsRecording() {
			t.Errorf("env %v: span is recording", e)
		}
		if err := shutdown(context.Background()); err != nil || telemetry.ForceFlush(context.Background()) != nil {
			t.Error("shutdown/flush of the no-op set-up failed")
		}
	}
}

func TestSetupTracingErrors(t *testing.T) {
	resetGlobals(t)
	for e, want := range map[string]map[string]string{
		"OTEL_TRACES_EXPORTER":               {"OTEL_TRACES_EXPORTER": "jaeger"},
		"OTEL_EXPORTER_OTLP":                 {"OTEL_TRACES_EXPORTER": "otlp", "OTEL_EXPORTER_OTLP_ENDPOINT": "ftp://x"},
		"OTEL_TRACES_SAMPLER":                {"OTEL_TRACES_EXPORTER": "otlp", "OTEL_TRACES_SAMPLER": "sometimes"},
		"OTEL_EXPORTER_OTLP_TRACES_PROTOCOL": {"OTEL_TRACES_EXPORTER": "otlp", "OTEL_EXPORTER_OTLP_TRACES_PROTOCOL": "grpc"},
		"OTEL_TRACES_SAMPLER_ARG":            {"OTEL_TRACES_EXPORTER": "otlp", "OTEL_TRACES_SAMPLER": "traceidratio", "OTEL_TRACES_SAMPLER_ARG": "2"},
	} {
		_, err := telemetry.SetupTracing(context.Background(), env(want), "test")
		if err == nil || !strings.Contains(err.Error(), e) {
			t.Errorf("%v: err = %v, want one naming %s", want, err, e)
		}
	}
}

// TestSetupTracingOTLP: spans reach an OTLP/HTTP receiver, with X-Ray-format trace ids and the
// resource attributes.
func TestSetupTracingOTLP(t *testing.T) {
	resetGlobals(t)
	rc := newReceiver(t)
	shutdown, err := telemetry.SetupTracing(context.Background(), env(map[string]string{
		"OTEL_TRACES_EXPORTER": "otlp", "OTEL_EXPORTER_OTLP_ENDPOINT": rc.URL, "OTEL_SERVICE_NAME": "twin-test",
		"OTEL_EXPORTER_OTLP_COMPRESSION": "gzip", "OTEL_EXPORTER_OTLP_HEADERS": "x-team=obs",
		"OTEL_RESOURCE_ATTRIBUTES": "deployment.region=eu%20west",
	}), "1.2.3")
	if err != nil {
		t.Fatal(err)
	}
	ctx, span := otel.Tracer(telemetry.TracerName).Start(context.Background(), "persona.load")
	_, child := otel.Tracer(telemetry.TracerName).Start(ctx, "llm.stream")
	child.End()
	span.End()
	if err := telemetry.ForceFlush(context.Background()); err != nil {
		t.Fatal(err)
	}
	if err := shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	spans := rc.Spans()
	if len(spans) != 2 {
		t.Fatalf("receiver got %d spans, want 2", len(spans))
	}
	names := map[string]bool{spans[0].Name: true, spans[1].Name: true}
	if !names["persona.load"] || !names["llm.stream"] {
		t.Errorf("span names %v", names)
	}
	// X-Ray ids: the first 4 bytes are the epoch seconds of now.
	tid := spans[0].TraceId
	if sec := uint32(tid[0])<<24 | uint32(tid[1])<<16 | uint32(tid[2])<<8 | uint32(tid[3]); sec < 1_700_000_000 {
		t.Errorf("trace id %s is not X-Ray formatted", hex.EncodeToString(tid))
	}
	res := rc.Resource()
	for k, v := range map[string]string{"service.name": "twin-test", "service.version": "1.2.3", "deployment.region": "eu west"} {
		if res[k] != v {
			t.Errorf("resource %s = %q, want %q", k, res[k], v)
		}
	}
	if h := rc.headers[0]; h.Get("X-Team") != "obs" || h.Get("Content-Encoding") != "gzip" {
		t.Errorf("headers %v", h)
	}
}

func recorder(t *testing.T) *tracetest.SpanRecorder {
	t.Helper()
	return useRecorder(t)
}

func mux(t *testing.T, seen *context.Context) http.Handler {
	m := http.NewServeMux()
	m.HandleFunc("POST /api/chat", func(w http.ResponseWriter, r *http.Request) {
		*seen = r.Context()
		w.Header().Set("X-Correlation-Id", "corr-7")
		_, span := otel.Tracer(telemetry.TracerName).Start(r.Context(), "memory.get")
		span.End()
		w.WriteHeader(http.StatusServiceUnavailable)
	})
	m.HandleFunc("GET /api/chat/history/{id}", func(w http.ResponseWriter, r *http.Request) {
		*seen = r.Context()
		w.(http.Flusher).Flush() // streaming must keep working through the wrapper
		if err := http.NewResponseController(w).Flush(); err != nil {
			t.Errorf("ResponseController.Flush: %v", err)
		}
		_, _ = w.Write([]byte("ok"))
	})
	return telemetry.TraceHTTP(m)
}

func TestTraceHTTP(t *testing.T) {
	sr := recorder(t)
	var seen context.Context
	h := mux(t, &seen)

	req := httptest.NewRequest("POST", "/api/chat", strings.NewReader("{}"))
	req.Header.Set("traceparent", "00-6565b7b1aabbccddeeff001122334455-0102030405060708-01")
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)

	spans := sr.Ended()
	if len(spans) != 2 {
		t.Fatalf("%d spans, want 2", len(spans))
	}
	child, server := spans[0], spans[1]
	if server.Name() != "POST /api/chat" || server.SpanKind() != trace.SpanKindServer {
		t.Errorf("server span %q kind %v", server.Name(), server.SpanKind())
	}
	if got := server.Parent().SpanID().String(); got != "0102030405060708" || server.SpanContext().TraceID().String() != "6565b7b1aabbccddeeff001122334455" {
		t.Errorf("server span parent %s trace %s: traceparent not continued", got, server.SpanContext().TraceID())
	}
	if child.Parent().SpanID() != server.SpanContext().SpanID() {
		t.Error("memory.get is not a child of the server span")
	}
	attrs := attrMap(server.Attributes())
	if attrs["http.route"] != "/api/chat" || attrs["http.response.status_code"] != "503" || attrs["twin.correlation_id"] != "corr-7" || attrs["http.request.method"] != "POST" {
		t.Errorf("server attributes %v", attrs)
	}
	if server.Status().Code != codes.Error {
		t.Errorf("503 status = %v, want Error", server.Status())
	}
	if m, p := telemetry.Request(seen); m != "POST" || p != "/api/chat" {
		t.Errorf("request in context = %q %q", m, p)
	}
}

func TestTraceHTTPXRayAndLambdaParents(t *testing.T) {
	sr := recorder(t)
	var seen context.Context
	h := mux(t, &seen)

	// X-Amzn-Trace-Id from a caller.
	req := httptest.NewRequest("GET", "/api/chat/history/abc", nil)
	req.Header.Set("X-Amzn-Trace-Id", "Root=1-6565b7b1-aabbccddeeff001122334455;Parent=1112131415161718;Sampled=1")
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	s := sr.Ended()[0]
	if s.Parent().SpanID().String() != "1112131415161718" || s.Name() != "GET /api/chat/history/{id}" {
		t.Errorf("X-Ray parent %s name %q", s.Parent().SpanID(), s.Name())
	}
	if rec.Body.String() != "ok" || !rec.Flushed {
		t.Error("response not streamed through the wrapper")
	}

	// Inside Lambda the invocation's header (in the context) wins over the request's.
	//lint:ignore SA1029 aws-lambda-go stores the trace header under this plain string key
	ctx := context.WithValue(context.Background(), "x-amzn-trace-id",
		"Root=1-6565b7b1-00000000000000000000abcd;Parent=2122232425262728;Sampled=1;Lineage=a:1")
	req = httptest.NewRequest("GET", "/api/chat/history/abc", nil).WithContext(ctx)
	req.Header.Set("traceparent", "00-6565b7b1aabbccddeeff001122334455-0102030405060708-01")
	h.ServeHTTP(httptest.NewRecorder(), req)
	s = sr.Ended()[1]
	if s.Parent().SpanID().String() != "2122232425262728" || s.SpanContext().TraceID().String() != "6565b7b100000000000000000000abcd" {
		t.Errorf("Lambda parent %s trace %s", s.Parent().SpanID(), s.SpanContext().TraceID())
	}
	if sc := trace.SpanContextFromContext(seen); sc.SpanID() != s.SpanContext().SpanID() {
		t.Error("handler context does not carry the server span")
	}
}

// TestTraceHTTPDisabled: with no provider installed, the middleware still continues an
// incoming trace id into the logs' context and costs no recording span.
func TestTraceHTTPDisabled(t *testing.T) {
	resetGlobals(t)
	if _, err := telemetry.SetupTracing(context.Background(), env(nil), "x"); err != nil {
		t.Fatal(err)
	}
	var seen context.Context
	h := mux(t, &seen)
	req := httptest.NewRequest("POST", "/api/chat", nil)
	req.Header.Set("traceparent", "00-6565b7b1aabbccddeeff001122334455-0102030405060708-01")
	h.ServeHTTP(httptest.NewRecorder(), req)
	if trace.SpanFromContext(seen).IsRecording() {
		t.Error("recording span with tracing off")
	}
	var buf bytes.Buffer
	telemetry.NewLogger(&buf, slog.LevelInfo, true).InfoContext(seen, "x")
	if !strings.Contains(buf.String(), `"trace_id":"6565b7b1aabbccddeeff001122334455"`) {
		t.Errorf("incoming trace id not in logs: %s", buf.String())
	}
}

func attrMap(kvs []attribute.KeyValue) map[string]string {
	m := map[string]string{}
	for _, kv := range kvs {
		m[string(kv.Key)] = kv.Value.String()
	}
	return m
}

// TestTraceHTTPPanic: a panic marks the server span as a 500 error and still reaches the outer
// recovery middleware.
func TestTraceHTTPPanic(t *testing.T) {
	sr := recorder(t)
	h := telemetry.TraceHTTP(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { panic("boom") }))
	var recovered any
	func() {
		defer func() { recovered = recover() }()
		h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", "/api/health", nil))
	}()
	if recovered != "boom" {
		t.Fatalf("recovered %v, want the panic re-raised", recovered)
	}
	s := sr.Ended()
	if len(s) != 1 || s[0].Status().Code != codes.Error || attrMap(s[0].Attributes())["http.response.status_code"] != "500" {
		t.Fatalf("spans %v", spanNames(s))
	}
	if len(s[0].Events()) == 0 || s[0].Events()[0].Name != "exception" {
		t.Error("panic not recorded as an exception")
	}
}
