package telemetry

import (
	"bytes"
	"compress/gzip"
	"context"
	"fmt"
	"io"
	"net/http"
	"time"

	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"
	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"
)

// otlpHTTPClient is an otlptrace.Client speaking OTLP/HTTP with protobuf bodies. It stands in
// for otlptracehttp, whose import of the OTLP collector package links gRPC and the gRPC gateway
// (3.2 MB of the Lambda zip) though OTLP over HTTP needs neither.
type otlpHTTPClient struct {
	endpoint string
	headers  map[string]string
	gzip     bool
	client   *http.Client
}

// otlpAttempts bounds one export: retryable answers (429, 502, 503, 504) are retried with backoff.
const otlpAttempts = 3

func (c *otlpHTTPClient) Start(context.Context) error { return nil }

func (c *otlpHTTPClient) Stop(context.Context) error { return nil }

// UploadTraces posts one ExportTraceServiceRequest.
func (c *otlpHTTPClient) UploadTraces(ctx context.Context, spans []*tracepb.ResourceSpans) error {
	body, err := encodeExportRequest(spans)
	if err != nil {
		return err
	}
	if c.gzip {
		var b bytes.Buffer
		zw := gzip.NewWriter(&b)
		_, _ = zw.Write(body)
		if err := zw.Close(); err != nil {
			return fmt.Errorf("otlp: gzip: %w", err)
		}
		body = b.Bytes()
	}
	delay := 500 * time.Millisecond
	for attempt := 1; ; attempt++ {
		status, err := c.post(ctx, body)
		switch {
		case err == nil && status/100 == 2:
			return nil
		case attempt == otlpAttempts || err == nil && !retryableStatus(status):
			if err != nil {
				return fmt.Errorf("otlp export to %s: %w", c.endpoint, err)
			}
			return fmt.Errorf("otlp export to %s: HTTP %d", c.endpoint, status)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(delay):
			delay *= 2
		}
	}
}

func (c *otlpHTTPClient) post(ctx context.Context, body []byte) (int, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.endpoint, bytes.NewReader(body))
	if err != nil {
		return 0, err
	}
	req.Header.Set("Content-Type", "application/x-protobuf")
	if c.gzip {
		req.Header.Set("Content-Encoding", "gzip")
	}
	for k, v := range c.headers {
		req.Header.Set(k, v)
	}
	resp, err := c.client.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	return resp.StatusCode, nil
}

func retryableStatus(s int) bool {
	return s == http.StatusTooManyRequests || s == http.StatusBadGateway || s == http.StatusServiceUnavailable || s == http.StatusGatewayTimeout
}

// encodeExportRequest writes ExportTraceServiceRequest{resource_spans (field 1)} in protobuf wire
// format, the same bytes the collector package's type would marshal to.
func encodeExportRequest(spans []*tracepb.ResourceSpans) ([]byte, error) {
	var out []byte
	for _, rs := range spans {
		b, err := proto.Marshal(rs)
		if err != nil {
			return nil, fmt.Errorf("otlp: encode spans: %w", err)
		}
		out = protowire.AppendTag(out, 1, protowire.BytesType)
		out = protowire.AppendBytes(out, b)
	}
	return out, nil
}
