package telemetry_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"

	"github.com/digitaltwin/twin/app/telemetry"
)

// TestInstrumentAWS: an S3 call made with an instrumented config is a client span under the
// caller's span, its failure is recorded, and the request carries the trace in X-Amzn-Trace-Id.
func TestInstrumentAWS(t *testing.T) {
	sr := useRecorder(t)
	var mu sync.Mutex
	var gotHeader string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		gotHeader = r.Header.Get("X-Amzn-Trace-Id")
		mu.Unlock()
		w.Header().Set("Content-Type", "application/xml")
		w.Header().Set("X-Amz-Request-Id", "REQ123")
		w.WriteHeader(http.StatusNotFound)
		_, _ = w.Write([]byte(`<?xml version="1.0" encoding="UTF-8"?><Error><Code>NoSuchKey</Code><Message>no</Message></Error>`))
	}))
	defer srv.Close()

	cfg := aws.Config{
		Region:           "eu-west-1",
		Credentials:      credentials.NewStaticCredentialsProvider("AKID", "SECRET", ""),
		BaseEndpoint:     aws.String(srv.URL),
		RetryMaxAttempts: 1,
	}
	telemetry.InstrumentAWS(&cfg)
	client := s3.NewFromConfig(cfg, func(o *s3.Options) { o.UsePathStyle = true })

	ctx, parent := otel.Tracer(telemetry.TracerName).Start(context.Background(), "memory.get")
	_, err := client.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("memory"), Key: aws.String("sessions/x.json")})
	parent.End()
	var nsk *types.NoSuchKey
	if !errors.As(err, &nsk) {
		t.Fatalf("GetObject err = %v, want NoSuchKey", err)
	}
	spans := byName(sr.Ended())
	s := spans["S3.GetObject"]
	if s == nil {
		t.Fatalf("no S3.GetObject span among %v", spanNames(sr.Ended()))
	}
	if s.Parent().SpanID() != parent.SpanContext().SpanID() || s.SpanKind() != trace.SpanKindClient {
		t.Errorf("S3 span parent %v kind %v", s.Parent(), s.SpanKind())
	}
	if s.Status().Code != codes.Error {
		t.Errorf("S3 span status %v, want Error", s.Status())
	}
	a := attrMap(s.Attributes())
	if a["rpc.method"] != "S3/GetObject" || a["aws.request_id"] != "REQ123" || a["http.response.status_code"] != "404" {
		t.Errorf("S3 span attributes %v", a)
	}
	mu.Lock()
	defer mu.Unlock()
	if want := "Root=" + telemetry.XRayTraceID(parent.SpanContext().TraceID()); !strings.HasPrefix(gotHeader, want) {
		t.Errorf("X-Amzn-Trace-Id = %q, want prefix %q", gotHeader, want)
	}
}
