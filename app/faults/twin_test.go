package faults_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/digitaltwin/twin/app/faults"
	"github.com/digitaltwin/twin/app/llm/offline"
	"github.com/digitaltwin/twin/app/twin"
	"github.com/digitaltwin/twin/app/twintest/served"
	"github.com/digitaltwin/twin/app/wire"
)

// newTwin serves the wired local twin (file memory, the repository's persona) with provider in
// place of the configured one, and returns its store.
func newTwin(t *testing.T, provider twin.Provider) (*httptest.Server, twin.Store) {
	t.Helper()
	app, srv := served.ServeWith(t, map[string]string{
		"DATA_DIR": t.TempDir(), "PERSONA_FILE": "../../me.txt", "RATE_LIMIT_PER_MINUTE": "100000",
	}, served.With{Overrides: wire.Overrides{Provider: provider}})
	return srv, app.Chat.Store
}

func post(t *testing.T, url, body string) (*http.Response, string) {
	t.Helper()
	resp, err := http.Post(url, "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, string(b)
}

func get(t *testing.T, url string) (*http.Response, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, string(b)
}

// A model failing before its first token answers 503 llm_unavailable + Retry-After; one failing
// mid-stream ends the stream with an error event. Either way the visitor's message is kept,
// what was streamed is what is stored, and nothing is stored twice.
func TestProviderFaults(t *testing.T) {
	const sid = "77777777-7777-4777-8777-000000000001"
	t.Run("before", func(t *testing.T) {
		srv, store := newTwin(t, faults.NewProvider(offline.New(0), 1, 0, 1))
		resp, body := post(t, srv.URL+"/api/chat", `{"message":"Where do you live?","session_id":"`+sid+`"}`)
		if resp.StatusCode != 503 || !strings.Contains(body, "llm_unavailable") || resp.Header.Get("Retry-After") == "" {
			t.Fatalf("%d %s", resp.StatusCode, body)
		}
		if sess, err := store.Get(context.Background(), sid); err != nil || len(sess.Messages) != 2 ||
			sess.Messages[0].Content != "Where do you live?" || sess.Messages[1].Status != twin.StatusFailed || sess.Messages[1].Content != "" {
			t.Fatalf("stored %+v %v, want the question and an empty failed reply", sess.Messages, err)
		}
	})
	t.Run("during", func(t *testing.T) {
		srv, store := newTwin(t, faults.NewProvider(offline.New(0), 0, 1, 1))
		resp, body := post(t, srv.URL+"/api/chat/stream", `{"message":"Where do you live?","session_id":"`+sid+`"}`)
		if resp.StatusCode != 200 || !strings.Contains(body, `"type":"error"`) || strings.Contains(body, faults.ErrInjected.Error()) {
			t.Fatalf("%d %s", resp.StatusCode, body)
		}
		var streamed strings.Builder
		for _, line := range strings.Split(body, "\n") {
			if i := strings.Index(line, `"delta":"`); i >= 0 {
				streamed.WriteString(strings.TrimSuffix(line[i+len(`"delta":"`):], `"}`))
			}
		}
		sess, err := store.Get(context.Background(), sid)
		if err != nil || len(sess.Messages) != 2 || sess.Messages[1].Content != streamed.String() {
			t.Fatalf("stored %+v (%v), streamed %q", sess.Messages, err, streamed.String())
		}
	})
}
