package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	s3api "github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/digitaltwin/twin/app/twintest/fakeaws"
	"github.com/digitaltwin/twin/app/twintest/lambdarie"
	"github.com/digitaltwin/twin/infra/stack"
	"github.com/digitaltwin/twin/infra/stack/stacktest"
)

const ownerToken = "owner-token-for-the-edge-replay-0123456789"

// replayEdge is a stack as a request meets it: the edge read from the stack's own
// resources under mocks, in front of the real bootstrap under the Lambda runtime emulator, with
// each function's environment as the stack sets it (AWS pointed at fakes, the offline model).
type replayEdge struct {
	edge   *stacktest.Edge
	invoke stacktest.Invoke
}

func newReplayEdge(t *testing.T, rie, bootstrap, stackName string) *replayEdge {
	t.Helper()
	cfg, err := stacktest.LoadStackConfig(stackName)
	if err != nil {
		t.Fatal(err)
	}
	res, err := stacktest.Run(stackName, cfg, func(ctx *pulumi.Context, _ func(string, pulumi.StringOutput)) error {
		_, err := stack.Deploy(ctx)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	edge, err := stacktest.NewEdge(res)
	if err != nil {
		t.Fatal(err)
	}
	envs := map[string]map[string]any{}
	for _, fn := range res.Find("aws:lambda/function:Function") {
		vars := stacktest.Dig(fn.Inputs, "environment", "variables").(map[string]any)
		envs[fmt.Sprint(vars["LAMBDA_FRONT"])] = vars
	}
	http := envs["http-api"]
	bucket, personaKey := fmt.Sprint(http["S3_PERSONA_BUCKET"]), fmt.Sprint(http["PERSONA_KEY"])
	s3 := fakeaws.NewS3(t, bucket)
	me, err := os.ReadFile("../../me.txt")
	if err != nil {
		t.Fatal(err)
	}
	// The stack's memory bucket is versioned (conversation deletes remove every version).
	if _, err := s3.Client(t).PutBucketVersioning(context.Background(), &s3api.PutBucketVersioningInput{
		Bucket: aws.String(bucket), VersioningConfiguration: &s3types.VersioningConfiguration{Status: s3types.BucketVersioningStatusEnabled},
	}); err != nil {
		t.Fatal(err)
	}
	if _, err := s3.Client(t).PutObject(context.Background(), &s3api.PutObjectInput{
		Bucket: aws.String(bucket), Key: aws.String(personaKey), Body: bytes.NewReader(me),
	}); err != nil {
		t.Fatal(err)
	}
	origin, _ := json.Marshal(map[string]string{"current": stacktest.TestOriginSecret})
	sm := fakeaws.NewSecretsManager(t, fmt.Sprint(http["ORIGIN_SECRET_ID"]), string(origin))
	sm.Put(fmt.Sprint(http["OWNER_TOKEN_SECRET_ID"]), ownerToken)

	frontendDir := t.TempDir()
	var current *lambdarie.Emulator
	var currentFront string
	invoke := func(front string, event any) ([]byte, error) {
		if front != currentFront {
			if current != nil {
				current.Stop()
			}
			var env []string
			for k, v := range envs[front] {
				switch k {
				case "LLM_PROVIDER", "OPENAI_BASE_URL", "OPENAI_MODEL", "LLM_API_KEY_SECRET_ID", "OWNER_TOPIC_ARN", "OTEL_TRACES_EXPORTER":
					continue // the offline model, no SNS, no trace export: nothing leaves the machine
				}
				env = append(env, k+"="+fmt.Sprint(v))
			}
			env = append(env, "LLM_PROVIDER=offline", "OTEL_TRACES_EXPORTER=none", "OFFLINE_TOKEN_DELAY_MS=0",
				"FRONTEND_DIR="+frontendDir, "AWS_REGION="+cfg["aws:region"], "AWS_ACCESS_KEY_ID=AKIDFAKE",
				"AWS_SECRET_ACCESS_KEY=fake", "AWS_EC2_METADATA_DISABLED=true",
				"AWS_ENDPOINT_URL_S3="+s3.URL, "AWS_ENDPOINT_URL_SECRETS_MANAGER="+sm.URL)
			current, currentFront = lambdarie.Start(t, rie, bootstrap, env), front
		}
		return current.Invoke(event)
	}
	return &replayEdge{edge: edge, invoke: invoke}
}

// call sends one request through handler and returns the response with its body read.
func call(t *testing.T, h http.Handler, method, path, body string, hdr ...string) (*http.Response, string) {
	t.Helper()
	srv := httptest.NewServer(h)
	defer srv.Close()
	req, err := http.NewRequest(method, srv.URL+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	resp, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	return resp, string(raw)
}

// TestEdgeReplay replays, through each stack's edge to the real bootstrap, the requests the
// smoke test, the chat page, the owner page and the widget make, and requests that skip
// CloudFront.
func TestEdgeReplay(t *testing.T) {
	rie := lambdarie.Tool(t)
	bootstrap := lambdarie.Build(t, "../../app/cmd/lambda")
	for _, name := range []string{"staging", "prod"} {
		t.Run(name, func(t *testing.T) { replay(t, newReplayEdge(t, rie, bootstrap, name)) })
	}
}

func replay(t *testing.T, r *replayEdge) {
	cdn := r.edge.Handler(r.invoke)

	t.Run("smoke test", func(t *testing.T) {
		srv := httptest.NewServer(cdn)
		defer srv.Close()
		var out bytes.Buffer
		if err := run(context.Background(), []string{"-url", srv.URL, "-wait", "30s"}, &out); err != nil {
			t.Fatalf("smoke through the edge: %v\n%s", err, out.String())
		}
	})

	t.Run("chat page", func(t *testing.T) {
		for _, page := range []string{"/", "/owner/", "/_next/static/chunks/app.js"} {
			if resp, _ := call(t, cdn, http.MethodGet, page, ""); resp.StatusCode != 200 || resp.Header.Get(stacktest.OriginHeader) != "site" {
				t.Errorf("GET %s: %d from %q, want the site bucket", page, resp.StatusCode, resp.Header.Get(stacktest.OriginHeader))
			}
		}
		resp, body := call(t, cdn, http.MethodGet, "/api/persona", "", "Accept", "application/json", "X-Correlation-Id", "page-persona")
		expect(t, resp, body, 200, "application/json", "api", "page-persona")
		msg := `{"message":"Where do you live?","session_id":null,"stream":true}`
		sum := sha256.Sum256([]byte(msg))
		resp, body = call(t, cdn, http.MethodPost, "/api/chat/stream", msg, "Content-Type", "application/json",
			"Accept", "text/event-stream", "x-amz-content-sha256", hex.EncodeToString(sum[:]), "X-Correlation-Id", "page-stream")
		expect(t, resp, body, 200, "text/event-stream", "stream", "page-stream")
		sid := resp.Header.Get("X-Session-Id")
		if resp.Header.Get("x-vercel-ai-ui-message-stream") != "v1" || !strings.Contains(body, `"type":"text-delta"`) ||
			!strings.HasSuffix(body, "data: [DONE]\n\n") || sid == "" {
			t.Fatalf("stream %v:\n%s", resp.Header, body)
		}
		resp, body = call(t, cdn, http.MethodGet, "/api/chat/history/"+sid, "", "Accept", "application/json")
		expect(t, resp, body, 200, "application/json", "api", "")
		var hist struct {
			Messages []struct{ Role, ID string }
		}
		if err := json.Unmarshal([]byte(body), &hist); err != nil || len(hist.Messages) != 2 || hist.Messages[1].ID == "" {
			t.Fatalf("history %s: %v", body, err)
		}
		rating := fmt.Sprintf(`{"session_id":%q,"message_id":%q,"rating":"up"}`, sid, hist.Messages[1].ID)
		resp, body = call(t, cdn, http.MethodPost, "/api/feedback", rating, "Content-Type", "application/json", "Accept", "application/json")
		expect(t, resp, body, 204, "", "api", "")
		resp, body = call(t, cdn, http.MethodDelete, "/api/chat/history/"+sid, "", "Accept", "application/json")
		expect(t, resp, body, 204, "", "api", "")
		// The app's own errors pass CloudFront unchanged: a 404 and a 405 from the app, in JSON.
		resp, body = call(t, cdn, http.MethodGet, "/api/chat/history/"+sid, "", "Accept", "application/json")
		expect(t, resp, body, 404, "application/json", "api", "")
		expectCode(t, body, "session_not_found")
		resp, body = call(t, cdn, http.MethodGet, "/api/chat", "")
		expect(t, resp, body, 405, "application/json", "api", "")
		expectCode(t, body, "method_not_allowed")
	})

	t.Run("owner page", func(t *testing.T) {
		resp, body := call(t, cdn, http.MethodGet, "/api/owner/summary", "", "Accept", "application/json", "Authorization", "Bearer "+ownerToken)
		expect(t, resp, body, 200, "application/json", "api", "")
		if resp.Header.Get("Cache-Control") != "no-store" || !strings.Contains(body, `"recent_feedback"`) {
			t.Errorf("summary %v %s", resp.Header, body)
		}
		resp, body = call(t, cdn, http.MethodGet, "/api/owner/summary", "", "Accept", "application/json", "Authorization", "Bearer wrong")
		expect(t, resp, body, 404, "application/json", "api", "")
	})

	t.Run("widget", func(t *testing.T) {
		// The host page loads the loader from the twin; its iframe loads the embed page, which only
		// the embedders allowed by the stack may frame (none by default); other pages never.
		resp, body := call(t, cdn, http.MethodGet, "/widget.js", "", "X-Correlation-Id", "widget-1")
		expect(t, resp, body, 200, "text/javascript", "api", "widget-1")
		if !strings.Contains(body, "TwinWidget") {
			t.Errorf("widget.js does not define TwinWidget:\n%.300s", body)
		}
		resp, _ = call(t, cdn, http.MethodGet, "/embed/", "")
		if csp := resp.Header.Get("Content-Security-Policy"); resp.StatusCode != 200 || resp.Header.Get(stacktest.OriginHeader) != "site" ||
			!strings.Contains(csp, "frame-ancestors 'none'") || resp.Header.Get("X-Frame-Options") != "" {
			t.Errorf("GET /embed/: %d from %q, CSP %q, X-Frame-Options %q", resp.StatusCode, resp.Header.Get(stacktest.OriginHeader), csp, resp.Header.Get("X-Frame-Options"))
		}
		if resp, _ := call(t, cdn, http.MethodGet, "/", ""); resp.Header.Get("X-Frame-Options") != "DENY" {
			t.Errorf("GET /: X-Frame-Options %q, want DENY", resp.Header.Get("X-Frame-Options"))
		}
	})

	t.Run("skipping CloudFront", func(t *testing.T) {
		// Straight to the HTTP API, naming a visitor: refused by the function, in the API's JSON.
		resp, body := call(t, r.edge.APIHandler(r.invoke), http.MethodPost, "/api/chat", `{"message":"hi"}`,
			"Content-Type", "application/json", "CloudFront-Viewer-Address", "198.51.100.77:4242", "X-Correlation-Id", "direct-1")
		expect(t, resp, body, 403, "application/json", "", "direct-1")
		expectCode(t, body, "forbidden")
		// Straight to the function URL: refused before the function runs (AWS_IAM, unsigned).
		if resp, _ := call(t, r.edge.FunctionURLHandler(r.invoke), http.MethodPost, "/api/chat/stream", `{"message":"hi"}`); resp.StatusCode != 403 {
			t.Errorf("unsigned function URL call: %d, want 403", resp.StatusCode)
		}
	})
}

// expect checks a replayed answer's status, content type, origin and echoed correlation id
// (when given).
func expect(t *testing.T, resp *http.Response, body string, status int, contentType, origin, correlation string) {
	t.Helper()
	if resp.StatusCode != status || !strings.HasPrefix(resp.Header.Get("Content-Type"), contentType) ||
		(origin != "" && resp.Header.Get(stacktest.OriginHeader) != origin) {
		t.Fatalf("%s %s: %d %q from %q, want %d %q from %q:\n%s", resp.Request.Method, resp.Request.URL.Path, resp.StatusCode,
			resp.Header.Get("Content-Type"), resp.Header.Get(stacktest.OriginHeader), status, contentType, origin, body)
	}
	if got := resp.Header.Get("X-Correlation-Id"); got == "" || (correlation != "" && got != correlation) {
		t.Errorf("%s %s: X-Correlation-Id %q, want %q", resp.Request.Method, resp.Request.URL.Path, got, correlation)
	}
}

func expectCode(t *testing.T, body, code string) {
	t.Helper()
	var e struct{ Error struct{ Code string } }
	if err := json.Unmarshal([]byte(body), &e); err != nil || e.Error.Code != code {
		t.Errorf("error body %s, want code %s", body, code)
	}
}
