package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/digitaltwin/twin/app/httpapi"
)

// startShort runs the real server with short connection timeouts and the given extra settings,
// and returns its address; it stops when the test ends.
func startShort(t *testing.T, extra map[string]string) string {
	t.Helper()
	old := timeouts
	timeouts = httpapi.Timeouts{ReadHeader: 300 * time.Millisecond, Read: 800 * time.Millisecond, Idle: 2 * time.Second}
	port := freePort(t)
	env := map[string]string{
		"PORT": fmt.Sprint(port), "HOST": "127.0.0.1", "DATA_DIR": t.TempDir(), "PERSONA_FILE": "../../../me.txt",
		"FRONTEND_DIR": t.TempDir(), "OFFLINE_TOKEN_DELAY_MS": "0", "LOG_LEVEL": "error",
	}
	for k, v := range extra {
		env[k] = v
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- run(ctx, func(k string) string { return env[k] }, io.Discard, io.Discard) }()
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	waitHealthy(t, "http://"+addr)
	t.Cleanup(func() {
		cancel()
		<-done
		timeouts = old
	})
	return addr
}

// dripUntilClosed writes head, then one more chunk every 100ms, until the server closes the
// connection or limit passes; it returns how long the server took and what it answered.
func dripUntilClosed(t *testing.T, addr, head, drip string, limit time.Duration) (time.Duration, string) {
	t.Helper()
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	start := time.Now()
	closed := make(chan string, 1)
	go func() {
		b, _ := io.ReadAll(conn)
		closed <- string(b)
	}()
	if _, err := io.WriteString(conn, head); err != nil {
		t.Fatal(err)
	}
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	deadline := time.After(limit)
	for {
		select {
		case answer := <-closed:
			return time.Since(start), answer
		case <-tick.C:
			_, _ = io.WriteString(conn, drip) // fails once the server has closed: fine
		case <-deadline:
			t.Fatalf("server still holds the connection after %v", limit)
		}
	}
}

// Slow-loris: headers that never finish are cut at ReadHeaderTimeout; a body that trickles in is
// cut at ReadTimeout and answered 400, never served.
func TestSlowClientsTimeOut(t *testing.T) {
	addr := startShort(t, nil)
	t.Run("headers", func(t *testing.T) {
		took, answer := dripUntilClosed(t, addr, "POST /api/chat HTTP/1.1\r\nHost: x\r\n", "X-Slow: y\r\n", 5*time.Second)
		if took > 2*time.Second || strings.Contains(answer, "200 OK") {
			t.Fatalf("slow headers held %v, answer %q", took, answer)
		}
	})
	t.Run("body", func(t *testing.T) {
		head := "POST /api/chat HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 400\r\n\r\n{\"message\":\""
		took, answer := dripUntilClosed(t, addr, head, "a", 5*time.Second)
		if took > 3*time.Second || strings.Contains(answer, "200 OK") {
			t.Fatalf("slow body held %v, answer %q", took, answer)
		}
		if answer != "" && !strings.Contains(answer, "400 Bad Request") {
			t.Fatalf("slow body answered %q, want 400 or a closed connection", answer)
		}
	})
}

// A streamed reply that takes longer than ReadTimeout is not cut by it: the read deadline only
// guards the request.
func TestLongStreamOutlivesReadTimeout(t *testing.T) {
	addr := startShort(t, map[string]string{"OFFLINE_TOKEN_DELAY_MS": "100"})
	start := time.Now()
	resp, err := http.Post("http://"+addr+"/api/chat/stream", "application/json",
		strings.NewReader(`{"message":"Tell me everything about your career, your projects and what you believe in."}`))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var last string
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		if line := sc.Text(); line != "" {
			last = line
		}
	}
	took := time.Since(start)
	if took < 1200*time.Millisecond {
		t.Skipf("reply took only %v: too short to cross the 800ms read timeout", took)
	}
	if last != "data: [DONE]" || sc.Err() != nil {
		t.Fatalf("stream of %v ended with %q (%v)", took, last, sc.Err())
	}
}
