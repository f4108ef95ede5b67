package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"

	"github.com/digitaltwin/twin/app/httpapi"
	"github.com/digitaltwin/twin/app/twintest/fakeaws"
	"github.com/digitaltwin/twin/app/twintest/served"
)

const originValue = "0123456789abcdef0123456789abcdef-origin"

// productionApp wires the twin as the http-api function runs in production: ENVIRONMENT
// production, the production stack's rate limit, and the origin secret read from (a fake)
// Secrets Manager through ORIGIN_SECRET_ID.
func productionApp(t *testing.T) (http func(context.Context, events.APIGatewayV2HTTPRequest) (events.APIGatewayV2HTTPResponse, error), sessions string) {
	t.Helper()
	sm := fakeaws.NewSecretsManager(t, "twin-prod-origin", `{"current":"`+originValue+`"}`)
	for k, v := range map[string]string{
		"AWS_REGION": "eu-west-1", "AWS_ACCESS_KEY_ID": "AKIDFAKE", "AWS_SECRET_ACCESS_KEY": "fake",
		"AWS_ENDPOINT_URL_SECRETS_MANAGER": sm.URL, "AWS_EC2_METADATA_DISABLED": "true",
	} {
		t.Setenv(k, v)
	}
	data := t.TempDir()
	env := map[string]string{
		"ENVIRONMENT": "production", "LAMBDA_FRONT": "http-api", "ORIGIN_SECRET_ID": "twin-prod-origin",
		"RATE_LIMIT_PER_MINUTE": "60", "DATA_DIR": data, "PERSONA_FILE": "../../../me.txt",
		"FRONTEND_DIR": t.TempDir(), "OFFLINE_TOKEN_DELAY_MS": "0", "CORS_ALLOWED_ORIGINS": "https://twin.example.com",
	}
	return HTTPAPI(served.Build(t, env).Handler), filepath.Join(data, "sessions")
}

// newSessionTurn is one HTTP API event: a chat turn that starts a session, from source (the
// address API Gateway saw), with viewer in CloudFront-Viewer-Address and origin in the origin
// header when they are not empty.
func newSessionTurn(source, viewer, origin string) events.APIGatewayV2HTTPRequest {
	ev := httpAPIEvent(`{"message":"Where do you live?","session_id":null}`, false)
	ev.RawQueryString = ""
	ev.RequestContext.HTTP.SourceIP = source
	if viewer != "" {
		ev.Headers["cloudfront-viewer-address"] = viewer
	}
	if origin != "" {
		ev.Headers[strings.ToLower(httpapi.OriginHeader)] = origin
	}
	return ev
}

// TestForgedViewerAddressGetsNoFreshLimits reproduces the bypass and shows it closed. Before,
// 200 new-session turns straight to the HTTP API, each with a different forged
// CloudFront-Viewer-Address, were 200 × 200: each forged address was a fresh client. Now a request
// without the origin secret is refused (403 JSON) and nothing is stored; through CloudFront
// (with the secret) one visitor is limited by its viewer address whichever edge server carries
// it: 30 new sessions, then 429.
func TestForgedViewerAddressGetsNoFreshLimits(t *testing.T) {
	h, sessions := productionApp(t)
	statuses := func(n int, ev func(i int) events.APIGatewayV2HTTPRequest) map[int]int {
		got := map[int]int{}
		for i := range n {
			resp, err := h(context.Background(), ev(i))
			if err != nil {
				t.Fatal(err)
			}
			got[resp.StatusCode]++
			if resp.StatusCode == 403 {
				var body struct {
					Error struct {
						Code          string `json:"code"`
						CorrelationID string `json:"correlation_id"`
					} `json:"error"`
				}
				if err := json.Unmarshal([]byte(resp.Body), &body); err != nil || body.Error.Code != "forbidden" || body.Error.CorrelationID == "" {
					t.Fatalf("refusal %q: %v", resp.Body, err)
				}
			}
		}
		return got
	}
	forged := statuses(200, func(i int) events.APIGatewayV2HTTPRequest {
		return newSessionTurn("203.0.113.7", fmt.Sprintf("198.51.%d.%d:443", i/250, i%250+1), "")
	})
	if forged[403] != 200 {
		t.Fatalf("forged viewer addresses without the origin secret: %v, want 200 × 403", forged)
	}
	wrong := statuses(20, func(i int) events.APIGatewayV2HTTPRequest {
		return newSessionTurn("203.0.113.7", fmt.Sprintf("198.51.100.%d:443", i+1), originValue[:len(originValue)-1]+"X")
	})
	if wrong[403] != 20 {
		t.Fatalf("a wrong origin secret: %v, want 20 × 403", wrong)
	}
	if files, _ := os.ReadDir(sessions); len(files) != 0 {
		t.Fatalf("refused requests stored %d sessions", len(files))
	}
	viaEdge := statuses(200, func(i int) events.APIGatewayV2HTTPRequest {
		return newSessionTurn(fmt.Sprintf("130.176.%d.%d", i/250, i%250+1), "192.0.2.44:51000", originValue)
	})
	if viaEdge[200] != 30 || viaEdge[429] != 170 {
		t.Fatalf("one visitor through CloudFront: %v, want 30 × 200 then 170 × 429", viaEdge)
	}
}
