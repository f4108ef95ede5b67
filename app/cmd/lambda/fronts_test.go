package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"

	"github.com/digitaltwin/twin/app/twintest/served"
)

// echo reports what the handler saw.
var echo = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	w.Header().Set("Content-Type", "application/json")
	w.Header().Add("Set-Cookie", "a=1")
	w.Header().Add("Set-Cookie", "b=2")
	w.Header().Add("Vary", "Origin")
	w.Header().Add("Vary", "Accept")
	w.WriteHeader(http.StatusCreated)
	_ = json.NewEncoder(w).Encode(map[string]any{
		"method": r.Method, "path": r.URL.Path, "query": r.URL.Query().Get("q"), "body": string(body),
		"cookie": r.Header.Get("Cookie"), "correlation": r.Header.Get("X-Correlation-Id"),
		"remote": r.RemoteAddr, "host": r.Host, "ua": r.Header.Get("User-Agent"), "len": r.ContentLength,
	})
})

func httpAPIEvent(body string, b64 bool) events.APIGatewayV2HTTPRequest {
	return events.APIGatewayV2HTTPRequest{
		Version: "2.0", RawPath: "/api/chat", RawQueryString: "q=caf%C3%A9&x=1",
		Cookies: []string{"s=1", "t=2"},
		Headers: map[string]string{"content-type": "application/json", "user-agent": "test/1"},
		Body:    body, IsBase64Encoded: b64,
		RequestContext: events.APIGatewayV2HTTPRequestContext{
			DomainName: "api.example.com", RequestID: "req-123",
			HTTP: events.APIGatewayV2HTTPRequestContextHTTPDescription{Method: "POST", Path: "/api/chat", SourceIP: "203.0.113.7"},
		},
	}
}

func TestHTTPAPI(t *testing.T) {
	for name, ev := range map[string]events.APIGatewayV2HTTPRequest{
		"text":   httpAPIEvent(`{"message":"hé"}`, false),
		"base64": httpAPIEvent(base64.StdEncoding.EncodeToString([]byte(`{"message":"hé"}`)), true),
	} {
		t.Run(name, func(t *testing.T) {
			resp, err := HTTPAPI(echo)(context.Background(), ev)
			if err != nil {
				t.Fatal(err)
			}
			if resp.StatusCode != 201 || resp.IsBase64Encoded {
				t.Fatalf("status %d base64 %v", resp.StatusCode, resp.IsBase64Encoded)
			}
			if got := strings.Join(resp.Cookies, " "); got != "a=1 b=2" {
				t.Errorf("cookies = %q", got)
			}
			if got := resp.Headers["Vary"]; got != "Origin,Accept" {
				t.Errorf("Vary = %q", got)
			}
			var seen map[string]any
			if err := json.Unmarshal([]byte(resp.Body), &seen); err != nil {
				t.Fatal(err)
			}
			want := map[string]any{
				"method": "POST", "path": "/api/chat", "query": "café", "body": `{"message":"hé"}`, "cookie": "s=1; t=2",
				"correlation": "req-123", "remote": "203.0.113.7:0", "host": "api.example.com", "ua": "test/1", "len": float64(len(`{"message":"hé"}`)),
			}
			for k, v := range want {
				if seen[k] != v {
					t.Errorf("%s = %v, want %v", k, seen[k], v)
				}
			}
		})
	}
}

func TestHTTPAPIKeepsCallerCorrelationAndEncodesBinary(t *testing.T) {
	ev := httpAPIEvent("", false)
	ev.Headers["x-correlation-id"] = "mine-1"
	resp, _ := HTTPAPI(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Correlation-Id", r.Header.Get("X-Correlation-Id"))
		w.Header().Set("Content-Type", "image/png")
		_, _ = w.Write([]byte{0x89, 'P', 'N', 'G', 0xff})
	}))(context.Background(), ev)
	if resp.Headers["X-Correlation-Id"] != "mine-1" {
		t.Errorf("correlation = %q", resp.Headers["X-Correlation-Id"])
	}
	if b, _ := base64.StdEncoding.DecodeString(resp.Body); !resp.IsBase64Encoded || !bytes.Equal(b, []byte{0x89, 'P', 'N', 'G', 0xff}) {
		t.Errorf("binary body = %q (base64 %v)", resp.Body, resp.IsBase64Encoded)
	}
}

// readStreaming splits a streaming response into its prelude and body, as the runtime does.
func readStreaming(t *testing.T, r io.Reader) (prelude map[string]any, body string) {
	t.Helper()
	all, err := io.ReadAll(r)
	if err != nil {
		t.Fatal(err)
	}
	i := bytes.Index(all, make([]byte, 8))
	if i < 0 {
		t.Fatalf("no prelude separator in %q", all)
	}
	if err := json.Unmarshal(all[:i], &prelude); err != nil {
		t.Fatal(err)
	}
	return prelude, string(all[i+8:])
}

func functionURLEvent(method, path, body string) *events.LambdaFunctionURLRequest {
	return &events.LambdaFunctionURLRequest{
		Version: "2.0", RawPath: path, Body: body, Cookies: []string{"s=1"},
		Headers: map[string]string{"content-type": "application/json"},
		RequestContext: events.LambdaFunctionURLRequestContext{
			DomainName: "abc.lambda-url.us-east-1.on.aws", RequestID: "req-456",
			HTTP: events.LambdaFunctionURLRequestContextHTTPDescription{Method: method, Path: path, SourceIP: "198.51.100.9"},
		},
	}
}

func TestFunctionURLEcho(t *testing.T) {
	resp, err := FunctionURL(echo)(context.Background(), functionURLEvent("POST", "/api/chat", `{"m":1}`))
	if err != nil {
		t.Fatal(err)
	}
	prelude, body := readStreaming(t, resp)
	if prelude["statusCode"] != float64(201) {
		t.Errorf("prelude = %v", prelude)
	}
	var seen map[string]any
	_ = json.Unmarshal([]byte(body), &seen)
	if seen["cookie"] != "s=1" || seen["correlation"] != "req-456" || seen["remote"] != "198.51.100.9:0" || seen["body"] != `{"m":1}` {
		t.Errorf("handler saw %v", seen)
	}
}

// newApp wires the twin on the offline responder and a file store, with settings overriding
// the defaults.
func newApp(t testing.TB, settings ...string) http.Handler {
	t.Helper()
	env := map[string]string{
		"DATA_DIR": t.TempDir(), "PERSONA_FILE": "../../../me.txt", "FRONTEND_DIR": t.TempDir(),
		"OFFLINE_TOKEN_DELAY_MS": "0", "LOG_LEVEL": "error",
	}
	for i := 0; i+1 < len(settings); i += 2 {
		env[settings[i]] = settings[i+1]
	}
	return served.Build(t, env).Handler
}

// TestFunctionURLStreamsTheTwin runs a real chat turn through the streaming front: the UI message
// stream must arrive whole (the SSE writer flushes after every event).
func TestFunctionURLStreamsTheTwin(t *testing.T) {
	resp, err := FunctionURL(newApp(t))(context.Background(), functionURLEvent("POST", "/api/chat/stream", `{"message":"Where do you live?"}`))
	if err != nil {
		t.Fatal(err)
	}
	prelude, body := readStreaming(t, resp)
	headers, _ := prelude["headers"].(map[string]any)
	if prelude["statusCode"] != float64(200) || !strings.HasPrefix(fmt.Sprint(headers["Content-Type"]), "text/event-stream") {
		t.Fatalf("prelude = %v", prelude)
	}
	if text, done := streamText(t, body); !done || !strings.Contains(text, "Gothenburg") {
		t.Fatalf("stream (done=%v) text %q\n%s", done, text, body)
	}
}

// streamText joins the text deltas of a UI message stream (the output guard may split a word
// across two) and reports whether it ended with [DONE]; an error event fails t.
func streamText(t *testing.T, body string) (string, bool) {
	t.Helper()
	var text strings.Builder
	sc := bufio.NewScanner(strings.NewReader(body))
	done := false
	for sc.Scan() {
		line, ok := strings.CutPrefix(sc.Text(), "data: ")
		if !ok {
			continue
		}
		if line == "[DONE]" {
			done = true
			continue
		}
		var ev struct{ Type, Delta string }
		_ = json.Unmarshal([]byte(line), &ev)
		if ev.Type == "error" {
			t.Fatalf("error event: %s", line)
		}
		if ev.Type == "text-delta" {
			text.WriteString(ev.Delta)
		}
	}
	return text.String(), done
}

func TestHTTPAPIServesTheTwin(t *testing.T) {
	ev := httpAPIEvent(`{"message":"Where do you live?"}`, false)
	ev.RawQueryString = ""
	resp, err := HTTPAPI(newApp(t))(context.Background(), ev)
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("%d %v %s", resp.StatusCode, err, resp.Body)
	}
	if !strings.Contains(resp.Body, "Gothenburg") || resp.Headers["X-Correlation-Id"] != "req-123" {
		t.Fatalf("response %v %s", resp.Headers, resp.Body)
	}
}

// TestRemoteAddrIsTheSource: the front gives the app the connection's source, never a viewer
// address from a header (the app decides when CloudFront-Viewer-Address is to be trusted).
func TestRemoteAddrIsTheSource(t *testing.T) {
	ev := httpAPIEvent("", false)
	ev.Headers["cloudfront-viewer-address"] = "198.51.100.10:46532"
	resp, _ := HTTPAPI(echo)(context.Background(), ev)
	var seen map[string]any
	_ = json.Unmarshal([]byte(resp.Body), &seen)
	if seen["remote"] != "203.0.113.7:0" {
		t.Errorf("RemoteAddr %v, want the source 203.0.113.7:0", seen["remote"])
	}
}
