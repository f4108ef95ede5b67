package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
)

// fakeTwin speaks the twin's API (README.md, "The API") closely enough for the smoke checks, and
// checks the payload hash CloudFront's OAC needs on the streaming path.
type fakeTwin struct {
	mu       sync.Mutex
	messages []map[string]string
	breakIt  string // "health", "history", "stream", "hash"
}

func (f *fakeTwin) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	switch {
	case r.Method == http.MethodGet && r.URL.Path == "/api/health":
		if f.breakIt == "health" {
			http.Error(w, `{"error":{"code":"internal"}}`, 500)
			return
		}
		fmt.Fprint(w, `{"status":"healthy","version":"test"}`)
	case r.Method == http.MethodPost && r.URL.Path == "/api/chat":
		var req struct{ Message string }
		_ = json.NewDecoder(r.Body).Decode(&req)
		f.add(req.Message, "I am the twin.")
		fmt.Fprint(w, `{"response":"I am the twin.","session_id":"0b8f1c2e-1111-4222-8333-944455556666","timestamp":"2026-11-27T05:00:00Z"}`)
	case r.Method == http.MethodGet && strings.HasPrefix(r.URL.Path, "/api/chat/history/"):
		f.mu.Lock()
		msgs := f.messages
		if f.breakIt == "history" {
			msgs = nil
		}
		b, _ := json.Marshal(map[string]any{"session_id": strings.TrimPrefix(r.URL.Path, "/api/chat/history/"), "messages": msgs})
		f.mu.Unlock()
		w.Write(b)
	case r.Method == http.MethodPost && r.URL.Path == "/api/chat/stream":
		body, _ := io.ReadAll(r.Body)
		sum := sha256.Sum256(body)
		if r.Header.Get("X-Amz-Content-Sha256") != hex.EncodeToString(sum[:]) || f.breakIt == "hash" {
			http.Error(w, `{"message":"signature mismatch"}`, http.StatusForbidden)
			return
		}
		var req struct{ Message string }
		_ = json.Unmarshal(body, &req)
		w.Header().Set("Content-Type", "text/event-stream")
		if f.breakIt == "stream" {
			fmt.Fprint(w, "data: {\"type\":\"start\"}\n\ndata: {\"type\":\"error\",\"errorText\":\"llm_unavailable\"}\n\n")
			return
		}
		f.add(req.Message, "Hi there")
		fmt.Fprint(w, "data: {\"type\":\"start\",\"messageId\":\"m\"}\n\ndata: {\"type\":\"text-start\",\"id\":\"t\"}\n\n"+
			"data: {\"type\":\"text-delta\",\"id\":\"t\",\"delta\":\"Hi \"}\n\ndata: {\"type\":\"text-delta\",\"id\":\"t\",\"delta\":\"there\"}\n\n"+
			"data: {\"type\":\"text-end\",\"id\":\"t\"}\n\ndata: {\"type\":\"finish\"}\n\ndata: [DONE]\n\n")
	default:
		http.NotFound(w, r)
	}
}

func (f *fakeTwin) add(user, assistant string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.messages = append(f.messages, map[string]string{"role": "user", "content": user},
		map[string]string{"role": "assistant", "content": assistant})
}

func TestSmokePasses(t *testing.T) {
	srv := httptest.NewServer(&fakeTwin{})
	defer srv.Close()
	var out strings.Builder
	if err := run(context.Background(), []string{"-url", srv.URL, "-wait", "0s"}, &out); err != nil {
		t.Fatalf("run: %v\n%s", err, out.String())
	}
	for _, want := range []string{"ok   health", "ok   chat turn", "ok   history (2 messages)", "ok   streamed turn (2 deltas)", "ok   history (4 messages)"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out.String())
		}
	}
}

func TestSmokeFails(t *testing.T) {
	for _, broken := range []string{"health", "history", "stream", "hash"} {
		t.Run(broken, func(t *testing.T) {
			srv := httptest.NewServer(&fakeTwin{breakIt: broken})
			defer srv.Close()
			if err := run(context.Background(), []string{"-url", srv.URL, "-wait", "0s"}, io.Discard); err == nil {
				t.Errorf("a broken %s passed the smoke test", broken)
			}
		})
	}
}
