package main

import (
	"context"
	"net"
	"net/http"
	"testing"

	"github.com/aws/aws-lambda-go/events"
)

// FuzzHTTPAPI feeds arbitrary event fields to the HTTP API front: it never panics, always
// answers, and the handler always sees a RemoteAddr the rate limiter can split.
func FuzzHTTPAPI(f *testing.F) {
	f.Add("/api/chat", "q=1&q=2", `{"message":"hi"}`, false, "198.51.100.10:443", "s=1")
	f.Add("", "", "aGk=", true, "2001:db8::1:46532", "")
	f.Add("/%zz/../x", "%", "!!", true, "garbage", "a=b; c")
	f.Fuzz(func(t *testing.T, path, query, body string, b64 bool, viewer, cookie string) {
		var remote string
		h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			remote = r.RemoteAddr
			w.WriteHeader(http.StatusNoContent)
		})
		ev := events.APIGatewayV2HTTPRequest{
			RawPath: path, RawQueryString: query, Body: body, IsBase64Encoded: b64,
			Cookies: []string{cookie}, Headers: map[string]string{"cloudfront-viewer-address": viewer},
			RequestContext: events.APIGatewayV2HTTPRequestContext{
				DomainName: "api.example.com", RequestID: "r",
				HTTP: events.APIGatewayV2HTTPRequestContextHTTPDescription{Method: "POST", SourceIP: "203.0.113.7"},
			},
		}
		resp, err := HTTPAPI(h)(context.Background(), ev)
		if err != nil || resp.StatusCode == 0 {
			t.Fatalf("resp %+v, err %v", resp, err)
		}
		if resp.StatusCode == http.StatusNoContent {
			if _, _, err := net.SplitHostPort(remote); err != nil {
				t.Fatalf("RemoteAddr %q does not split: %v", remote, err)
			}
		}
	})
}
