package telemetry

import (
	"bytes"
	"compress/gzip"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"

	collectortrace "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	commonpb "go.opentelemetry.io/proto/otlp/common/v1"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"
	"google.golang.org/protobuf/proto"
)

func sampleSpans() []*tracepb.ResourceSpans {
	return []*tracepb.ResourceSpans{{
		ScopeSpans: []*tracepb.ScopeSpans{{
			Scope: &commonpb.InstrumentationScope{Name: TracerName},
			Spans: []*tracepb.Span{{Name: "llm.stream", TraceId: bytes.Repeat([]byte{1}, 16), SpanId: bytes.Repeat([]byte{2}, 8)}},
		}},
	}, {}}
}

// The hand-written request is byte for byte what the collector package would send.
func TestEncodeExportRequestMatchesCollector(t *testing.T) {
	spans := sampleSpans()
	got, err := encodeExportRequest(spans)
	if err != nil {
		t.Fatal(err)
	}
	want, err := proto.MarshalOptions{Deterministic: true}.Marshal(&collectortrace.ExportTraceServiceRequest{ResourceSpans: spans})
	if err != nil {
		t.Fatal(err)
	}
	var decoded collectortrace.ExportTraceServiceRequest
	if err := proto.Unmarshal(got, &decoded); err != nil || !proto.Equal(&decoded, &collectortrace.ExportTraceServiceRequest{ResourceSpans: spans}) {
		t.Fatalf("request does not decode as ExportTraceServiceRequest: %v", err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("encoded %x, collector %x", got, want)
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
		if err := proto.Unmarshal(body, &req); err != nil || len(req.ResourceSpans) != 2 {
			t.Errorf("body: %v, %d resource spans", err, len(req.ResourceSpans))
		}
		if n == 1 {
			w.WriteHeader(http.StatusServiceUnavailable)
		}
	}))
	defer srv.Close()
	c := &otlpHTTPClient{endpoint: srv.URL + "/v1/traces", headers: map[string]string{"X-Tenant": "t1"}, gzip: true, client: srv.Client()}
	if err := c.UploadTraces(context.Background(), sampleSpans()); err != nil || calls.Load() != 2 {
		t.Fatalf("upload: %v after %d calls, want success on the retry", err, calls.Load())
	}

	bad := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		calls.Add(1)
		w.WriteHeader(http.StatusBadRequest)
	}))
	defer bad.Close()
	calls.Store(0)
	c = &otlpHTTPClient{endpoint: bad.URL, client: bad.Client()}
	if err := c.UploadTraces(context.Background(), sampleSpans()); err == nil || calls.Load() != 1 {
		t.Fatalf("400: err %v after %d calls, want one call and an error", err, calls.Load())
	}
}
