package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// TestEmbeddedBinary runs the binary `make build` made (TWIN_BIN; `make build-check` sets it)
// in an empty folder with nothing configured: it must serve the chat page, the example persona
// and a chat turn from what is built into it, and write only under its DATA_DIR.
func TestEmbeddedBinary(t *testing.T) {
	bin := os.Getenv("TWIN_BIN")
	if bin == "" {
		t.Skip("TWIN_BIN is not set: run `make build-check`")
	}
	dir := t.TempDir()
	port := freePort(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin)
	cmd.Dir = dir
	cmd.Env = []string{fmt.Sprintf("PORT=%d", port), "OFFLINE_TOKEN_DELAY_MS=0", "PATH=" + os.Getenv("PATH")}
	var logs bytes.Buffer
	cmd.Stdout, cmd.Stderr = &logs, &logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = cmd.Process.Kill(); _ = cmd.Wait() }()
	base := fmt.Sprintf("http://127.0.0.1:%d", port)
	get := func(path string) (int, string) {
		for {
			resp, err := http.Get(base + path)
			if err == nil {
				defer resp.Body.Close()
				b, _ := io.ReadAll(resp.Body)
				return resp.StatusCode, string(b)
			}
			if ctx.Err() != nil {
				t.Fatalf("GET %s: %v\n%s", path, err, logs.String())
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	if code, body := get("/"); code != 200 || !strings.Contains(strings.ToLower(body), "<!doctype html") {
		t.Fatalf("GET / = %d %.200q: the embedded page is not served", code, body)
	}
	code, body := get("/api/persona")
	var p struct{ Name string }
	if code != 200 || json.Unmarshal([]byte(body), &p) != nil || p.Name == "" {
		t.Fatalf("GET /api/persona = %d %q: the embedded persona is not used", code, body)
	}
	resp, err := http.Post(base+"/api/chat", "application/json", strings.NewReader(`{"message":"Where do you live?"}`))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 {
		b, _ := io.ReadAll(resp.Body)
		t.Fatalf("POST /api/chat = %d %s", resp.StatusCode, b)
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if e.Name() != "data" {
			t.Errorf("the binary wrote %s outside DATA_DIR", e.Name())
		}
	}
}
