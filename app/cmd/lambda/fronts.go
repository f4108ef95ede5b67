package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambdaurl"

	"github.com/digitaltwin/twin/app/telemetry"
)

// HTTPAPI adapts h to API Gateway HTTP API events (payload format 2.0). The response is
// buffered: HTTP APIs cannot stream.
func HTTPAPI(h http.Handler) func(context.Context, events.APIGatewayV2HTTPRequest) (events.APIGatewayV2HTTPResponse, error) {
	return func(ctx context.Context, ev events.APIGatewayV2HTTPRequest) (events.APIGatewayV2HTTPResponse, error) {
		defer flushTraces(ctx)
		rc := ev.RequestContext
		r, err := newRequest(ctx, rc.HTTP.Method, rc.DomainName, ev.RawPath, ev.RawQueryString, ev.Body, ev.IsBase64Encoded)
		if err != nil {
			return events.APIGatewayV2HTTPResponse{StatusCode: http.StatusBadRequest, Body: "bad request"}, nil
		}
		fillRequest(r, ev.Headers, ev.Cookies, rc.HTTP.SourceIP, rc.RequestID)
		w := &bufferedWriter{header: http.Header{}}
		h.ServeHTTP(w, r)
		return w.response(), nil
	}
}

// FunctionURL adapts h to function URL events with response streaming. It is lambdaurl.Wrap
// plus what lambdaurl leaves out: the request's cookies (function URL events carry them apart
// from the headers), a correlation id defaulting to the invocation's request id, a
// ResponseWriter that implements http.Flusher (each write already goes to the runtime API as
// one chunk through an io.Pipe, so Flush has nothing to do; but the SSE writer flushes through
// http.ResponseController, which fails on lambdaurl's bare writer unless some middleware happens
// to swallow it), and a trace flush when the runtime has read the whole body.
func FunctionURL(h http.Handler) func(context.Context, *events.LambdaFunctionURLRequest) (*events.LambdaFunctionURLStreamingResponse, error) {
	wrapped := lambdaurl.Wrap(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if ev, ok := lambdaurl.RequestFromContext(r.Context()); ok {
			// lambdaurl already copied the headers; add what it leaves out.
			fillRequest(r, nil, ev.Cookies, ev.RequestContext.HTTP.SourceIP, ev.RequestContext.RequestID)
		}
		h.ServeHTTP(flushWriter{w}, r)
	}))
	return func(ctx context.Context, ev *events.LambdaFunctionURLRequest) (*events.LambdaFunctionURLStreamingResponse, error) {
		resp, err := wrapped(ctx, ev)
		if err != nil {
			flushTraces(ctx)
			return nil, err
		}
		// Flush traces once the runtime has read the whole body, before the invocation ends.
		resp.Body = &onEOF{r: resp.Body, fn: func() { flushTraces(ctx) }}
		return resp, nil
	}
}

// newRequest builds the http.Request of an event.
func newRequest(ctx context.Context, method, host, rawPath, rawQuery, body string, b64 bool) (*http.Request, error) {
	var payload []byte
	if b64 {
		var err error
		if payload, err = base64.StdEncoding.DecodeString(body); err != nil {
			return nil, err
		}
	} else {
		payload = []byte(body)
	}
	if rawPath == "" {
		rawPath = "/"
	}
	target := "https://" + host + rawPath
	if rawQuery != "" {
		target += "?" + rawQuery
	}
	r, err := http.NewRequestWithContext(ctx, method, target, bytes.NewReader(payload))
	if err != nil {
		return nil, err
	}
	r.ContentLength = int64(len(payload))
	r.RequestURI = rawPath
	return r, nil
}

// fillRequest copies headers and cookies, and sets RemoteAddr to the front's source IP and
// X-Correlation-Id to the front's request id when the caller sent none.
//
// Behind CloudFront the source IP is an edge server shared by many visitors; the visitor's own
// address arrives in CloudFront-Viewer-Address, which the app trusts only on a request that
// carries the origin secret (app/httpapi, origin.go), never here.
func fillRequest(r *http.Request, headers map[string]string, cookies []string, sourceIP, requestID string) {
	for k, v := range headers {
		r.Header.Set(k, v)
	}
	if len(cookies) > 0 && r.Header.Get("Cookie") == "" {
		r.Header.Set("Cookie", strings.Join(cookies, "; "))
	}
	if sourceIP != "" {
		r.RemoteAddr = net.JoinHostPort(sourceIP, "0")
	}
	if r.Header.Get("X-Correlation-Id") == "" && requestID != "" {
		r.Header.Set("X-Correlation-Id", requestID)
	}
}

// bufferedWriter collects a response for the HTTP API front.
type bufferedWriter struct {
	header http.Header
	status int
	body   bytes.Buffer
}

func (w *bufferedWriter) Header() http.Header { return w.header }

func (w *bufferedWriter) WriteHeader(status int) {
	if w.status == 0 {
		w.status = status
	}
}

func (w *bufferedWriter) Write(p []byte) (int, error) {
	w.WriteHeader(http.StatusOK)
	return w.body.Write(p)
}

// Flush is a no-op: the whole response leaves at the end.
func (w *bufferedWriter) Flush() {}

func (w *bufferedWriter) response() events.APIGatewayV2HTTPResponse {
	resp := events.APIGatewayV2HTTPResponse{StatusCode: w.status, Headers: map[string]string{}}
	if resp.StatusCode == 0 {
		resp.StatusCode = http.StatusOK
	}
	for k, v := range w.header {
		if k == "Set-Cookie" {
			resp.Cookies = append(resp.Cookies, v...)
			continue
		}
		resp.Headers[k] = strings.Join(v, ",")
	}
	if isText(w.header.Get("Content-Type")) && utf8.Valid(w.body.Bytes()) {
		resp.Body = w.body.String()
	} else {
		resp.Body = base64.StdEncoding.EncodeToString(w.body.Bytes())
		resp.IsBase64Encoded = true
	}
	return resp
}

// isText reports a content type whose body API Gateway can carry as a string.
func isText(ct string) bool {
	ct = strings.ToLower(ct)
	if ct == "" {
		return true
	}
	for _, p := range []string{"text/", "application/json", "application/javascript", "application/xml", "image/svg+xml", "application/manifest+json"} {
		if strings.HasPrefix(ct, p) {
			return true
		}
	}
	return false
}

// flushWriter adds a no-op Flush to lambdaurl's unbuffered writer.
type flushWriter struct{ http.ResponseWriter }

func (flushWriter) Flush() {}

func (w flushWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// onEOF calls fn once when r is exhausted or closed.
type onEOF struct {
	r    io.Reader
	fn   func()
	once sync.Once
}

func (o *onEOF) Read(p []byte) (int, error) {
	n, err := o.r.Read(p)
	if err != nil {
		o.once.Do(o.fn)
	}
	return n, err
}

func (o *onEOF) Close() error {
	o.once.Do(o.fn)
	if c, ok := o.r.(io.Closer); ok {
		return c.Close()
	}
	return nil
}

// flushTraces exports the invocation's spans before Lambda may freeze the environment.
func flushTraces(ctx context.Context) {
	fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 2*time.Second)
	defer cancel()
	_ = telemetry.ForceFlush(fctx)
}
