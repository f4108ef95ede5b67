// Command smoke checks a deployed twin end to end through its public URL (CloudFront):
// health, one buffered chat turn, the session's history, and one streamed turn through the
// function URL path. The deploy workflow runs it after each `pulumi up` and rolls the `live`
// aliases back when it fails.
//
//	go run ./infra/smoke -url https://staging.twin.example.com
package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"time"
)

func main() {
	if err := run(context.Background(), os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "smoke:", err)
		os.Exit(1)
	}
}

type checker struct {
	base   string
	client *http.Client
	out    io.Writer
}

func run(ctx context.Context, args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("smoke", flag.ContinueOnError)
	base := fs.String("url", os.Getenv("SMOKE_URL"), "site URL, e.g. https://staging.twin.example.com")
	timeout := fs.Duration("timeout", 60*time.Second, "per-request timeout (a chat turn calls the model)")
	wait := fs.Duration("wait", 3*time.Minute, "how long to retry health while a new deployment settles")
	stream := fs.Bool("stream", true, "also check POST /api/chat/stream (the function URL behind CloudFront)")
	message := fs.String("message", "Hello! In one sentence, who are you?", "the visitor message of the test turns")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *base == "" {
		return errors.New("-url (or SMOKE_URL) is required")
	}
	c := &checker{base: strings.TrimRight(*base, "/"), client: &http.Client{Timeout: *timeout}, out: stdout}

	if err := c.health(ctx, *wait); err != nil {
		return err
	}
	sid, err := c.chat(ctx, *message)
	if err != nil {
		return err
	}
	if err := c.history(ctx, sid, *message, 2); err != nil {
		return err
	}
	if *stream {
		if err := c.stream(ctx, sid, *message); err != nil {
			return err
		}
		if err := c.history(ctx, sid, *message, 4); err != nil {
			return err
		}
	}
	fmt.Fprintln(stdout, "smoke: all checks passed for", c.base)
	return nil
}

func (c *checker) do(ctx context.Context, method, path string, body []byte, hdr map[string]string) (*http.Response, error) {
	var r io.Reader
	if body != nil {
		r = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, r)
	if err != nil {
		return nil, err
	}
	req.Header.Set("X-Correlation-Id", "smoke-"+time.Now().UTC().Format("20060102T150405"))
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	return c.client.Do(req)
}

func decode[T any](resp *http.Response, what string) (T, error) {
	var v T
	defer resp.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if resp.StatusCode != http.StatusOK {
		return v, fmt.Errorf("%s: status %d: %.300s", what, resp.StatusCode, b)
	}
	if err := json.Unmarshal(b, &v); err != nil {
		return v, fmt.Errorf("%s: %w: %.300s", what, err, b)
	}
	return v, nil
}

func (c *checker) health(ctx context.Context, wait time.Duration) error {
	deadline := time.Now().Add(wait)
	for {
		resp, err := c.do(ctx, http.MethodGet, "/api/health", nil, nil)
		if err == nil {
			h, derr := decode[struct{ Status, Version string }](resp, "GET /api/health")
			if derr == nil && h.Status == "healthy" {
				fmt.Fprintf(c.out, "ok   health (version %s)\n", h.Version)
				return nil
			}
			err = derr
			if err == nil {
				err = fmt.Errorf("GET /api/health: status %q", h.Status)
			}
		}
		if time.Now().After(deadline) {
			return err
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(5 * time.Second):
		}
	}
}

type chatReply struct {
	Response  string `json:"response"`
	SessionID string `json:"session_id"`
	Timestamp string `json:"timestamp"`
}

func (c *checker) chat(ctx context.Context, msg string) (string, error) {
	body, _ := json.Marshal(map[string]any{"message": msg, "session_id": nil, "stream": false})
	resp, err := c.do(ctx, http.MethodPost, "/api/chat", body, map[string]string{"Content-Type": "application/json"})
	if err != nil {
		return "", fmt.Errorf("POST /api/chat: %w", err)
	}
	r, err := decode[chatReply](resp, "POST /api/chat")
	if err != nil {
		return "", err
	}
	if strings.TrimSpace(r.Response) == "" || r.SessionID == "" {
		return "", fmt.Errorf("POST /api/chat: empty reply or session id: %+v", r)
	}
	fmt.Fprintf(c.out, "ok   chat turn (session %s, %d chars)\n", r.SessionID, len(r.Response))
	return r.SessionID, nil
}

func (c *checker) history(ctx context.Context, sid, msg string, atLeast int) error {
	resp, err := c.do(ctx, http.MethodGet, "/api/chat/history/"+sid, nil, nil)
	if err != nil {
		return fmt.Errorf("GET history: %w", err)
	}
	h, err := decode[struct {
		SessionID string `json:"session_id"`
		Messages  []struct{ Role, Content string }
	}](resp, "GET /api/chat/history")
	if err != nil {
		return err
	}
	if h.SessionID != sid || len(h.Messages) < atLeast || h.Messages[0].Role != "user" || h.Messages[0].Content != msg || h.Messages[1].Role != "assistant" {
		return fmt.Errorf("GET /api/chat/history: want >= %d messages starting with the test turn, got %+v", atLeast, h)
	}
	fmt.Fprintf(c.out, "ok   history (%d messages)\n", len(h.Messages))
	return nil
}

// stream posts through CloudFront to the function URL. CloudFront's OAC signs the request for
// Lambda, which does not accept unsigned payloads: the client sends the body's SHA-256.
func (c *checker) stream(ctx context.Context, sid, msg string) error {
	body, _ := json.Marshal(map[string]any{"message": msg, "session_id": sid, "stream": true})
	sum := sha256.Sum256(body)
	resp, err := c.do(ctx, http.MethodPost, "/api/chat/stream", body, map[string]string{
		"Content-Type": "application/json", "Accept": "text/event-stream", "X-Amz-Content-Sha256": hex.EncodeToString(sum[:]),
	})
	if err != nil {
		return fmt.Errorf("POST /api/chat/stream: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/event-stream") {
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
		return fmt.Errorf("POST /api/chat/stream: status %d, content type %q: %.300s", resp.StatusCode, resp.Header.Get("Content-Type"), b)
	}
	var deltas int
	var text strings.Builder
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 64*1024), 1<<20)
	for sc.Scan() {
		line, ok := strings.CutPrefix(sc.Text(), "data: ")
		if !ok {
			continue
		}
		if line == "[DONE]" {
			if deltas == 0 || strings.TrimSpace(text.String()) == "" {
				return errors.New("POST /api/chat/stream: finished without text")
			}
			fmt.Fprintf(c.out, "ok   streamed turn (%d deltas)\n", deltas)
			return nil
		}
		var ev struct{ Type, Delta, ErrorText string }
		if err := json.Unmarshal([]byte(line), &ev); err != nil {
			return fmt.Errorf("POST /api/chat/stream: bad event %q: %w", line, err)
		}
		switch ev.Type {
		case "text-delta":
			deltas++
			text.WriteString(ev.Delta)
		case "error":
			return fmt.Errorf("POST /api/chat/stream: error event: %s", ev.ErrorText)
		}
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("POST /api/chat/stream: %w", err)
	}
	return errors.New("POST /api/chat/stream: stream ended without [DONE]")
}
