package wire_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/digitaltwin/twin/app/awsclient/fakes3"
	"github.com/digitaltwin/twin/app/config"
	"github.com/digitaltwin/twin/app/wire"
)

// TestS3EndToEnd runs the twin's HTTP handler with memory and persona in S3 — an S3-compatible
// endpoint given the standard way, AWS_ENDPOINT_URL_S3 — and counts the S3 requests of a turn.
func TestS3EndToEnd(t *testing.T) {
	srv := fakes3.New(t, "twin-memory", "twin-persona")
	me, err := os.ReadFile("../../me.txt")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := srv.Client(t).PutObject(context.Background(), &s3.PutObjectInput{
		Bucket: aws.String("twin-persona"), Key: aws.String("me.txt"), Body: strings.NewReader(string(me)),
	}); err != nil {
		t.Fatal(err)
	}
	for k, v := range map[string]string{
		"AWS_ENDPOINT_URL_S3": srv.URL, "AWS_REGION": "us-east-1", "AWS_ACCESS_KEY_ID": "AKIDFAKE",
		"AWS_SECRET_ACCESS_KEY": "fake-secret", "AWS_CONFIG_FILE": os.DevNull, "AWS_SHARED_CREDENTIALS_FILE": os.DevNull,
		"AWS_PROFILE": "", "AWS_EC2_METADATA_DISABLED": "true",
	} {
		t.Setenv(k, v)
	}
	env := map[string]string{
		"S3_MEMORY_BUCKET": "twin-memory", "S3_PERSONA_BUCKET": "twin-persona", "OFFLINE_TOKEN_DELAY_MS": "0",
		"FRONTEND_DIR": t.TempDir(),
	}
	cfg, err := config.Load(func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	app, err := wire.New(context.Background(), cfg, slog.New(slog.DiscardHandler), io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	defer app.Close()
	api := httptest.NewServer(app.Handler)
	defer api.Close()

	if resp, err := http.Get(api.URL + "/api/persona"); err != nil || resp.StatusCode != 200 {
		t.Fatalf("persona: %v %v", resp, err)
	}

	chat := func(body string) (reply, session string) {
		t.Helper()
		srv.ResetCounts()
		resp, err := http.Post(api.URL+"/api/chat", "application/json", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var got struct {
			Response  string `json:"response"`
			SessionID string `json:"session_id"`
		}
		if err := json.NewDecoder(resp.Body).Decode(&got); err != nil || resp.StatusCode != 200 {
			t.Fatalf("chat: %d %v", resp.StatusCode, err)
		}
		if g, p := srv.Count(http.MethodGet), srv.Count(http.MethodPut); g != 1 || p != 1 {
			t.Errorf("turn made %d GET + %d PUT, want 1 + 1", g, p)
		}
		return got.Response, got.SessionID
	}
	reply, sid := chat(`{"message":"Where do you live?"}`)
	if !strings.Contains(reply, "Gothenburg") {
		t.Errorf("reply %q does not come from the persona in S3", reply)
	}
	chat(`{"message":"What do you do?","session_id":"` + sid + `"}`)

	out, err := srv.Client(t).GetObject(context.Background(), &s3.GetObjectInput{
		Bucket: aws.String("twin-memory"), Key: aws.String("sessions/" + sid + ".json"),
	})
	if err != nil {
		t.Fatalf("session object: %v", err)
	}
	defer out.Body.Close()
	var stored struct {
		SessionID string `json:"session_id"`
		Messages  []struct{ Role, Content string }
	}
	if err := json.NewDecoder(out.Body).Decode(&stored); err != nil {
		t.Fatal(err)
	}
	if stored.SessionID != sid || len(stored.Messages) != 4 {
		t.Fatalf("stored %+v, want 4 messages of %s", stored, sid)
	}

	resp, err := http.Get(api.URL + "/api/chat/history/" + sid)
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("history: %v %v", resp, err)
	}
	resp.Body.Close()
}
