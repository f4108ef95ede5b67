package telemetry

import (
	"bytes"
	"compress/gzip"
	"context"
	"fmt"
	"io"
	"net/http"
	"sync/atomic"
	"time"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"
)

// otlpHTTPClient exports spans over OTLP/HTTP with protobuf bodies (an sdktrace.SpanExporter).
// It stands in for otlptracehttp, whose import of the OTLP collector package links gRPC and the
// gRPC gateway (3.2 MB of the Lambda zip) though OTLP over HTTP needs neither, and it encodes the
// SDK's spans itself (encodeSpans) rather than through the generated protobuf types.
type otlpHTTPClient struct {
	endpoint string
	headers  map[string]string
	gzip     bool
	client   *http.Client
	// lastSize is the size of the last request: the next one starts with that much room, so
	// encoding a batch allocates its buffer once instead of growing it step by step. (The
	// buffer itself is not reused: the transport may still read a body after Do returns.)
	lastSize atomic.Int64
}

var _ sdktrace.SpanExporter = (*otlpHTTPClient)(nil)

// otlpAttempts bounds one export: retryable answers (429, 502, 503, 504) are retried with backoff.
const otlpAttempts = 3

// ExportSpans posts one ExportTraceServiceRequest holding spans.
func (c *otlpHTTPClient) ExportSpans(ctx context.Context, spans []sdktrace.ReadOnlySpan) error {
	if len(spans) == 0 {
		return nil
	}
	body := encodeSpans(make([]byte, 0, c.lastSize.Load()+c.lastSize.Load()/8), spans)
	c.lastSize.Store(int64(len(body)))
	return c.upload(ctx, body)
}

// Shutdown has nothing to release: the batch span processor flushes before calling it.
func (c *otlpHTTPClient) Shutdown(context.Context) error { return nil }

// upload posts an encoded request, retrying retryable answers (429, 502, 503, 504) with backoff.
func (c *otlpHTTPClient) upload(ctx context.Context, body []byte) error {
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
