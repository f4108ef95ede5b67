package stacktest

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"sync/atomic"
	"unicode/utf8"

	"github.com/aws/aws-lambda-go/events"
)

// Invoke runs the function behind a front ("http-api" or "function-url") with a Lambda event
// and returns the raw invocation response.
type Invoke func(front string, event any) ([]byte, error)

// EdgeSource is the address CloudFront's edge servers call the origins from, as the functions
// see it (RequestContext.HTTP.SourceIP).
const EdgeSource = "130.176.12.34"

// OriginHeader is the response header naming the origin that answered ("site", "api",
// "stream"), so a replay can tell which way CloudFront sent a request.
const OriginHeader = "X-Stacktest-Origin"

// Handler serves HTTP as the deployed edge does: CloudFront picks the behaviour (its allowed
// methods, the headers its origin request and cache policies forward, CloudFront-Viewer-Address
// from the connection, the origin's custom headers), then the HTTP API (its route keys) or the
// function URL (OAC-signed, RESPONSE_STREAM) builds the function's event, invoke runs it, and the
// answer goes back through the distribution's custom error responses, with the behaviour's
// response headers policy applied. Site paths are answered
// with an empty 200 from "site" (the bucket's content is not part of the stack).
func (e *Edge) Handler(invoke Invoke) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b := e.Behaviour(r.URL.Path)
		if !slices.Contains(b.AllowedMethods, r.Method) {
			http.Error(w, "CloudFront: method not allowed by the cache behaviour", http.StatusForbidden)
			return
		}
		origin := e.Origins[b.Origin]
		if origin.S3 {
			for k, v := range b.ResponseHeaders {
				w.Header().Set(k, v)
			}
			w.Header().Set(OriginHeader, b.Origin)
			return
		}
		headers := map[string]string{}
		for _, name := range append(slices.Clone(b.Forwarded), b.CacheKeyHeaders...) {
			if strings.EqualFold(name, "CloudFront-Viewer-Address") {
				headers[name] = strings.NewReplacer("[", "", "]", "").Replace(r.RemoteAddr)
			} else if v := r.Header.Get(name); v != "" {
				headers[name] = v
			}
		}
		for k, v := range origin.CustomHeaders {
			headers[k] = v
		}
		rec := &recorder{header: http.Header{}}
		if b.Origin == "stream" {
			e.toFunctionURL(rec, r, headers, origin.Domain, invoke, true)
		} else {
			e.toHTTPAPI(rec, r, headers, origin.Domain, invoke)
		}
		for _, er := range e.ErrorResponses {
			if rec.status == er.ErrorCode {
				rec.status, rec.header = er.ResponseCode, http.Header{"Content-Type": {"text/html"}}
				rec.body.Reset()
				fmt.Fprintf(&rec.body, "<!-- custom error page %s -->", er.PagePath)
			}
		}
		for k, v := range b.ResponseHeaders { // the policies override what the origin sent
			rec.header.Set(k, v)
		}
		rec.header.Set(OriginHeader, b.Origin)
		rec.writeTo(w)
	})
}

// APIHandler is the HTTP API called directly, skipping CloudFront: the caller's own headers.
func (e *Edge) APIHandler(invoke Invoke) http.Handler {
	return direct(func(w *recorder, r *http.Request, headers map[string]string) {
		e.toHTTPAPI(w, r, headers, "a1b2c3d4e5.execute-api.eu-west-1.amazonaws.com", invoke)
	})
}

// FunctionURLHandler is the function URL called directly, unsigned: with AWS_IAM auth, Lambda
// refuses it before the function runs.
func (e *Edge) FunctionURLHandler(invoke Invoke) http.Handler {
	return direct(func(w *recorder, r *http.Request, headers map[string]string) {
		e.toFunctionURL(w, r, headers, "direct.lambda-url.eu-west-1.on.aws", invoke, false)
	})
}

// direct serves an origin reached without CloudFront: it gets every header the caller sent.
func direct(origin func(w *recorder, r *http.Request, headers map[string]string)) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		headers := map[string]string{}
		for k := range r.Header {
			headers[k] = r.Header.Get(k)
		}
		rec := &recorder{header: http.Header{}}
		origin(rec, r, headers)
		rec.writeTo(w)
	})
}

var requestIDs atomic.Int64

// toHTTPAPI is API Gateway: route selection, the payload 2.0 event, the buffered answer.
func (e *Edge) toHTTPAPI(w *recorder, r *http.Request, headers map[string]string, host string, invoke Invoke) {
	route := e.APIRoute(r.Method, r.URL.Path)
	if route == "" {
		w.set(http.StatusNotFound, jsonType, nil, []byte(`{"message":"Not Found"}`))
		return
	}
	body, b64 := readBody(r)
	ev := events.APIGatewayV2HTTPRequest{
		Version: "2.0", RouteKey: route, RawPath: r.URL.Path, RawQueryString: r.URL.RawQuery,
		Headers: lower(headers), Body: body, IsBase64Encoded: b64,
		RequestContext: events.APIGatewayV2HTTPRequestContext{
			DomainName: host, RequestID: fmt.Sprintf("apigw-%d", requestIDs.Add(1)), RouteKey: route,
			HTTP: events.APIGatewayV2HTTPRequestContextHTTPDescription{Method: r.Method, Path: r.URL.Path, SourceIP: EdgeSource},
		},
	}
	out, err := invoke("http-api", ev)
	if err != nil {
		w.fail(err)
		return
	}
	var resp events.APIGatewayV2HTTPResponse
	if err := json.Unmarshal(out, &resp); err != nil || resp.StatusCode == 0 {
		w.fail(fmt.Errorf("http-api answered %q: %v", out, err)) // API Gateway: 500 Internal Server Error
		return
	}
	answer := []byte(resp.Body)
	if resp.IsBase64Encoded {
		answer, _ = base64.StdEncoding.DecodeString(resp.Body)
	}
	w.set(resp.StatusCode, resp.Headers, resp.Cookies, answer)
}

// toFunctionURL is the function URL front door: AWS_IAM refuses an unsigned request; a signed
// one (CloudFront's OAC) becomes the function URL event, and the streamed answer is relayed.
func (e *Edge) toFunctionURL(w *recorder, r *http.Request, headers map[string]string, host string, invoke Invoke, signed bool) {
	if e.URLAuthType == "AWS_IAM" && !signed {
		w.set(http.StatusForbidden, jsonType, nil, []byte(`{"Message":"Forbidden"}`))
		return
	}
	body, b64 := readBody(r)
	ev := events.LambdaFunctionURLRequest{
		Version: "2.0", RawPath: r.URL.Path, RawQueryString: r.URL.RawQuery,
		Headers: lower(headers), Body: body, IsBase64Encoded: b64,
		RequestContext: events.LambdaFunctionURLRequestContext{
			DomainName: host, RequestID: fmt.Sprintf("url-%d", requestIDs.Add(1)),
			HTTP: events.LambdaFunctionURLRequestContextHTTPDescription{Method: r.Method, Path: r.URL.Path, SourceIP: EdgeSource},
		},
	}
	out, err := invoke("function-url", ev)
	if err != nil {
		w.fail(err)
		return
	}
	if e.URLInvokeMode != "RESPONSE_STREAM" {
		w.fail(fmt.Errorf("invoke mode %q: the streaming front's answer cannot be relayed", e.URLInvokeMode))
		return
	}
	// The stream: a JSON prelude (status, headers, cookies), 8 NUL bytes, the body.
	i := bytes.Index(out, make([]byte, 8))
	var prelude struct {
		StatusCode int               `json:"statusCode"`
		Headers    map[string]string `json:"headers"`
		Cookies    []string          `json:"cookies"`
	}
	if i < 0 || json.Unmarshal(out[:i], &prelude) != nil {
		w.fail(fmt.Errorf("function-url answered without a stream prelude: %q", out))
		return
	}
	w.set(prelude.StatusCode, prelude.Headers, prelude.Cookies, out[i+8:])
}

func readBody(r *http.Request) (string, bool) {
	raw, _ := io.ReadAll(r.Body)
	if utf8.Valid(raw) {
		return string(raw), false
	}
	return base64.StdEncoding.EncodeToString(raw), true
}

// lower lower-cases header names, as both fronts deliver them.
func lower(h map[string]string) map[string]string {
	out := make(map[string]string, len(h))
	for k, v := range h {
		out[strings.ToLower(k)] = v
	}
	return out
}

// jsonType is the header of the answers AWS itself gives (an unknown route, an unsigned call).
var jsonType = map[string]string{"Content-Type": "application/json"}

// recorder buffers one answer so the distribution's error responses can replace it.
type recorder struct {
	header http.Header
	status int
	body   bytes.Buffer
}

// set records a function's answer.
func (w *recorder) set(status int, headers map[string]string, cookies []string, body []byte) {
	for k, v := range headers {
		w.header.Set(k, v)
	}
	for _, c := range cookies {
		w.header.Add("Set-Cookie", c)
	}
	w.status = status
	w.body.Write(body)
}

func (w *recorder) fail(err error) {
	w.header = http.Header{"Content-Type": {"text/plain"}}
	w.status = http.StatusBadGateway
	w.body.Reset()
	w.body.WriteString(err.Error())
}

func (w *recorder) writeTo(rw http.ResponseWriter) {
	for k, vs := range w.header {
		rw.Header()[k] = vs
	}
	if w.status == 0 {
		w.status = http.StatusOK
	}
	rw.WriteHeader(w.status)
	_, _ = rw.Write(w.body.Bytes())
}
