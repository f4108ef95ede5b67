package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/digitaltwin/twin/app/twintest"
)

func freePort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// TestRun starts the real server on the embedded defaults (offline responder, file memory),
// chats with it, and shuts it down.
func TestRun(t *testing.T) {
	port := freePort(t)
	env := map[string]string{
		"PORT": fmt.Sprint(port), "HOST": "127.0.0.1", "DATA_DIR": t.TempDir(), "PERSONA_FILE": "../../../me.txt",
		"FRONTEND_DIR": t.TempDir(), "OFFLINE_TOKEN_DELAY_MS": "0",
	}
	ctx, cancel := context.WithCancel(context.Background())
	var stdout, stderr twintest.Logs
	done := make(chan error, 1)
	go func() { done <- run(ctx, func(k string) string { return env[k] }, &stdout, &stderr) }()

	base := fmt.Sprintf("http://127.0.0.1:%d", port)
	waitHealthy(t, base)

	resp, err := http.Post(base+"/api/chat", "application/json", strings.NewReader(`{"message":"Where do you live?"}`))
	if err != nil {
		t.Fatal(err)
	}
	var got struct{ Response, SessionID string }
	if err := json.NewDecoder(resp.Body).Decode(&got); err != nil || resp.StatusCode != 200 {
		t.Fatalf("chat: %d %v", resp.StatusCode, err)
	}
	resp.Body.Close()
	if !strings.Contains(got.Response, "Gothenburg") {
		t.Fatalf("reply %q does not come from me.txt", got.Response)
	}
	page, err := http.Get(base + "/")
	if err != nil {
		t.Fatal(err)
	}
	page.Body.Close()
	if page.StatusCode != 200 {
		t.Fatalf("GET / without a built frontend: %d", page.StatusCode)
	}

	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("run: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("server did not shut down")
	}
	if !strings.Contains(stdout.String(), `"msg":"chat turn"`) || !strings.Contains(stderr.String(), "running at") {
		t.Fatalf("stdout %q\nstderr %q", stdout.String(), stderr.String())
	}
}

func TestRunRejectsBadConfig(t *testing.T) {
	err := run(context.Background(), func(k string) string {
		return map[string]string{"PORT": "http", "LLM_PROVIDER": "magic"}[k]
	}, &twintest.Logs{}, &twintest.Logs{})
	if err == nil || !strings.Contains(err.Error(), "PORT") || !strings.Contains(err.Error(), "LLM_PROVIDER") {
		t.Fatalf("run with bad config: %v", err)
	}
}

func waitHealthy(t *testing.T, base string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		resp, err := http.Get(base + "/api/health")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatal("server never became healthy")
}
