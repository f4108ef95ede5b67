package telemetry

import (
	"compress/gzip"
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"
	collectortrace "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"
	"google.golang.org/protobuf/encoding/prototext"
	"google.golang.org/protobuf/proto"
)

// captured is an otlptrace.Client keeping what the OTLP exporter's own transform makes of spans.
type captured struct{ spans []*tracepb.ResourceSpans }

func (c *captured) Start(context.Context) error { return nil }
func (c *captured) Stop(context.Context) error  { return nil }
func (c *captured) UploadTraces(_ context.Context, rs []*tracepb.ResourceSpans) error {
	c.spans = append(c.spans, rs...)
	return nil
}

// sampleSpans are spans of every shape an export carries: a server span with a remote parent,
// children with every attribute type, events, a link, error and ok statuses, three scopes (one
// with a version and attributes) and a resource with a schema URL.
func sampleSpans(t testing.TB) []sdktrace.ReadOnlySpan {
	t.Helper()
	mem := tracetest.NewInMemoryExporter()
	res := resource.NewWithAttributes("https://opentelemetry.io/schemas/1.26.0", attribute.String("service.name", "twin"), attribute.Int("n", 3))
	tp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(mem), sdktrace.WithResource(res))
	remote := trace.NewSpanContext(trace.SpanContextConfig{
		TraceID: trace.TraceID{1, 2, 3}, SpanID: trace.SpanID{4, 5}, TraceFlags: trace.FlagsSampled, Remote: true,
	})
	ctx := trace.ContextWithRemoteSpanContext(context.Background(), remote)
	ctx, server := tp.Tracer(TracerName, trace.WithInstrumentationVersion("1.2.3"), trace.WithInstrumentationAttributes(attribute.Bool("scope", true))).
		Start(ctx, "POST /api/chat", trace.WithSpanKind(trace.SpanKindServer), trace.WithLinks(trace.Link{SpanContext: remote, Attributes: []attribute.KeyValue{attribute.String("why", "retry")}}))
	_, child := tp.Tracer(TracerName).Start(ctx, "llm.stream", trace.WithSpanKind(trace.SpanKindClient))
	child.SetAttributes(
		attribute.String("s", "text é"), attribute.String("empty", ""), attribute.Bool("f", false), attribute.Bool("t", true),
		attribute.Int64("i", -7), attribute.Int64("zero", 0), attribute.Float64("d", 2.5), attribute.Float64("dz", 0),
		attribute.StringSlice("ss", []string{"a", ""}), attribute.Int64Slice("is", []int64{1, -1}),
		attribute.Float64Slice("fs", []float64{0.5}), attribute.BoolSlice("bs", []bool{true, false}),
		attribute.String(strings.Repeat("k", 200), strings.Repeat("v", 300)), // lengths over one byte
	)
	child.AddEvent("first_token", trace.WithAttributes(attribute.Int("n", 1)))
	child.RecordError(errors.New("boom"))
	child.SetStatus(codes.Error, "llm_unavailable")
	child.End()
	_, ok := tp.Tracer("").Start(ctx, "memory.append")
	ok.SetStatus(codes.Ok, "")
	ok.End()
	server.End()
	return mem.GetSpans().Snapshots()
}

// The request encoded straight from the SDK's spans is, field for field, what the OTLP exporter's
// own transform and the collector package's message would send.
func TestEncodeSpansMatchesTransform(t *testing.T) {
	spans := sampleSpans(t)
	c := &captured{}
	exp, err := otlptrace.New(context.Background(), c)
	if err != nil {
		t.Fatal(err)
	}
	if err := exp.ExportSpans(context.Background(), spans); err != nil {
		t.Fatal(err)
	}
	var got collectortrace.ExportTraceServiceRequest
	if err := proto.Unmarshal(encodeSpans(nil, spans), &got); err != nil {
		t.Fatalf("request does not decode as ExportTraceServiceRequest: %v", err)
	}
	want := &collectortrace.ExportTraceServiceRequest{ResourceSpans: c.spans}
	if !proto.Equal(&got, want) {
		t.Fatalf("encoded\n%v\ntransform\n%v", prototext.Format(&got), prototext.Format(want))
	}
	if n := len(got.ResourceSpans[0].ScopeSpans); n != 3 { // with and without a version, and the SDK's default
		t.Fatalf("%d scopes, want 3", n)
	}
	if encodeSpans(nil, nil) != nil {
		t.Fatal("no spans should encode to an empty request")
	}
}

func TestOTLPHTTPClientRetriesAndCompresses(t *testing.T) {
	var calls atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := calls.Add(1)
		if r.Header.Get("Content-Type") != "application/x-protobuf" || r.Header.Get("Content-Encoding") != "gzip" || r.Header.Get("X-Tenant") != "t1" {
			t.Errorf("headers %v", r.Header)
		}
		zr, err := gzip.NewReader(r.Body)
		if err != nil {
			t.Error(err)
			return
		}
		body, _ := io.ReadAll(zr)
		var req collectortrace.ExportTraceServiceRequest
		if err := proto.Unmarshal(body, &req); err != nil || len(req.ResourceSpans) != 1 {
			t.Errorf("body: %v, %d resource spans", err, len(req.ResourceSpans))
		}
		if n == 1 {
			w.WriteHeader(http.StatusServiceUnavailable)
		}
	}))
	defer srv.Close()
	c := &otlpHTTPClient{endpoint: srv.URL + "/v1/traces", headers: map[string]string{"X-Tenant": "t1"}, gzip: true, client: srv.Client()}
	if err := c.ExportSpans(context.Background(), sampleSpans(t)); err != nil || calls.Load() != 2 {
		t.Fatalf("upload: %v after %d calls, want success on the retry", err, calls.Load())
	}

	bad := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		calls.Add(1)
		w.WriteHeader(http.StatusBadRequest)
	}))
	defer bad.Close()
	calls.Store(0)
	c = &otlpHTTPClient{endpoint: bad.URL, client: bad.Client()}
	if err := c.ExportSpans(context.Background(), sampleSpans(t)); err == nil || calls.Load() != 1 {
		t.Fatalf("400: err %v after %d calls, want one call and an error", err, calls.Load())
	}
}

// BenchmarkEncodeSpans: one batch of sample spans encoded straight from the SDK's spans, and as
// the OTLP exporter's transform and the generated types did it before (docs/benchmarks.md).
func BenchmarkEncodeSpans(b *testing.B) {
	spans := sampleSpans(b)
	b.Run("direct", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			_ = encodeSpans(nil, spans)
		}
	})
	b.Run("direct-sized", func(b *testing.B) { // as the exporter calls it: the last size as room
		size := len(encodeSpans(nil, spans))
		b.ReportAllocs()
		for b.Loop() {
			_ = encodeSpans(make([]byte, 0, size+size/8), spans)
		}
	})
	b.Run("transform", func(b *testing.B) {
		c := &captured{}
		exp, _ := otlptrace.New(context.Background(), c)
		b.ReportAllocs()
		for b.Loop() {
			c.spans = c.spans[:0]
			_ = exp.ExportSpans(context.Background(), spans)
			_, _ = proto.Marshal(&collectortrace.ExportTraceServiceRequest{ResourceSpans: c.spans})
		}
	})
}
