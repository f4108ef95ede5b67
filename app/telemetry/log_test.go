package telemetry_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"testing/slogtest"

	"go.opentelemetry.io/otel/trace"

	"github.com/digitaltwin/twin/app/telemetry"
	"github.com/digitaltwin/twin/app/twin"
)

func parseLines(t *testing.T, b []byte) []map[string]any {
	t.Helper()
	var out []map[string]any
	for _, line := range bytes.Split(bytes.TrimSpace(b), []byte("\n")) {
		if len(line) == 0 {
			continue
		}
		var m map[string]any
		if err := json.Unmarshal(line, &m); err != nil {
			t.Fatalf("log line %q: %v", line, err)
		}
		out = append(out, m)
	}
	return out
}

// TestHandlerSlogtest runs the standard library's conformance suite over the Handler.
func TestHandlerSlogtest(t *testing.T) {
	for _, redact := range []bool{true, false} {
		t.Run(fmt.Sprint("redact=", redact), func(t *testing.T) {
			var buf bytes.Buffer
			slogtest.Run(t, func(*testing.T) slog.Handler {
				buf.Reset()
				return telemetry.NewHandler(slog.NewJSONHandler(&buf, nil), telemetry.WithRedaction(redact))
			}, func(t *testing.T) map[string]any {
				lines := parseLines(t, buf.Bytes())
				if len(lines) != 1 {
					t.Fatalf("%d lines, want 1", len(lines))
				}
				return lines[0]
			})
		})
	}
}

func spanCtx(t *testing.T) context.Context {
	t.Helper()
	tid, _ := trace.TraceIDFromHex("6565b7b1aabbccddeeff001122334455")
	sid, _ := trace.SpanIDFromHex("0102030405060708")
	ctx := trace.ContextWithSpanContext(context.Background(), trace.NewSpanContext(trace.SpanContextConfig{TraceID: tid, SpanID: sid, TraceFlags: trace.FlagsSampled}))
	ctx = telemetry.WithCorrelationID(ctx, "corr-42")
	ctx = telemetry.WithSessionID(ctx, "0b5e5d1e-1234-4abc-8def-426614174000")
	return telemetry.WithRequest(ctx, "POST", "/api/chat")
}

func TestHandlerStampsIDs(t *testing.T) {
	var buf bytes.Buffer
	log := telemetry.NewLogger(&buf, slog.LevelDebug, true)
	ctx := spanCtx(t)
	log.WithGroup("chat").With("n", 1).InfoContext(ctx, "turn", "k", "v")
	got := parseLines(t, buf.Bytes())[0]
	for k, v := range map[string]any{
		"correlation_id": "corr-42", "session_id": "0b5e5d1e-1234-4abc-8def-426614174000",
		"trace_id": "6565b7b1aabbccddeeff001122334455", "span_id": "0102030405060708",
		"xray_trace_id": "1-6565b7b1-aabbccddeeff001122334455", "method": "POST", "path": "/api/chat", "msg": "turn",
	} {
		if got[k] != v {
			t.Errorf("%s = %v, want %v", k, got[k], v)
		}
	}
	chat, _ := got["chat"].(map[string]any)
	if chat["n"] != 1.0 || chat["k"] != "v" {
		t.Errorf("group chat = %v, want n and k inside", got["chat"])
	}
	if _, ok := got["stack"]; ok {
		t.Error("stack on an info line")
	}
}

func TestRedact(t *testing.T) {
	for in, want := range map[string]string{
		"mail me at alice.smith+tw@example.co.uk please":              "mail me at [email] please",
		"call +1 (415) 555-2671 or 415-555-2671.":                     "call [phone] or [phone].",
		"mobile: +44 7911 123456":                                     "mobile: [phone]",
		"uuid 123e4567-e89b-12d3-a456-426614174000 stays":             "uuid 123e4567-e89b-12d3-a456-426614174000 stays",
		"on 2026-11-27 at 10:00, 12 items, version 1.2.3456789":       "on 2026-11-27 at 10:00, 12 items, version 1.2.3456789",
		"ip 192.168.100.200 and time 2026-11-27 05:16:59":             "ip 192.168.100.200 and time 2026-11-27 05:16:59",
		"path /api/chat/history/0b5e5d1e-1234-4abc-8def-426614174000": "path /api/chat/history/0b5e5d1e-1234-4abc-8def-426614174000",
		"trace 1-6565b7b1-aabbccddeeff001122334455":                   "trace 1-6565b7b1-aabbccddeeff001122334455",
		"no pii here": "no pii here",
	} {
		if got := telemetry.Redact(in); got != want {
			t.Errorf("Redact(%q) = %q, want %q", in, got, want)
		}
	}
}

func FuzzRedact(f *testing.F) {
	f.Add("a@b.co 415-555-2671")
	f.Fuzz(func(t *testing.T, s string) {
		out := telemetry.Redact(s)
		if again := telemetry.Redact(out); again != out {
			t.Errorf("Redact not idempotent on %q: %q then %q", s, out, again)
		}
	})
}

func TestHandlerRedactsAttrsAndMessage(t *testing.T) {
	var buf bytes.Buffer
	log := telemetry.NewLogger(&buf, slog.LevelDebug, true)
	log.Info("from bob@example.com", "visitor", "my phone is 415 555 2671",
		slog.Group("g", "email", "x@y.io"), "err", errors.New("user carol@example.org not found"))
	line := buf.String()
	for _, pii := range []string{"bob@example.com", "415 555 2671", "x@y.io", "carol@example.org"} {
		if strings.Contains(line, pii) {
			t.Errorf("log line contains %q: %s", pii, line)
		}
	}
	buf.Reset()
	telemetry.NewLogger(&buf, slog.LevelDebug, false).Info("from bob@example.com")
	if !strings.Contains(buf.String(), "bob@example.com") {
		t.Errorf("redaction off still redacted: %s", buf.String())
	}
}

func failingOperation() error {
	return twin.Wrap(twin.CodeLLMUnavailable, errors.New("dial tcp: connection refused"), "model unavailable")
}

func TestLogError(t *testing.T) {
	var buf bytes.Buffer
	log := telemetry.NewLogger(&buf, slog.LevelWarn, true)
	ctx := spanCtx(t)
	telemetry.LogError(ctx, log, "chat turn failed", failingOperation(), slog.String("provider", "openai"))
	got := parseLines(t, buf.Bytes())[0]
	if got["level"] != "ERROR" || got["error_code"] != "llm_unavailable" || got["provider"] != "openai" {
		t.Errorf("line = %v", got)
	}
	if e, _ := got["error"].(string); !strings.Contains(e, "connection refused") {
		t.Errorf("error = %q", e)
	}
	stack, _ := got["stack"].(string)
	if !strings.Contains(stack, "telemetry_test.TestLogError") || !strings.Contains(stack, "log_test.go:") || strings.Contains(stack, "telemetry.LogError") {
		t.Errorf("stack = %q, want the caller's frames only", stack)
	}
	for _, k := range []string{"correlation_id", "trace_id", "method", "path"} {
		if got[k] == nil {
			t.Errorf("error line without %s", k)
		}
	}
}

// An Error-level line logged without LogError still gets error and stack.
func TestHandlerCompletesErrorLines(t *testing.T) {
	var buf bytes.Buffer
	log := telemetry.NewLogger(&buf, slog.LevelInfo, true)
	log.ErrorContext(spanCtx(t), "store failed", "err", failingOperation())
	got := parseLines(t, buf.Bytes())[0]
	if e, _ := got["error"].(string); !strings.Contains(e, "connection refused") {
		t.Errorf("error = %v", got["error"])
	}
	if got["error_code"] != "llm_unavailable" {
		t.Errorf("error_code = %v", got["error_code"])
	}
	if s, _ := got["stack"].(string); !strings.Contains(s, "TestHandlerCompletesErrorLines") {
		t.Errorf("stack = %q", s)
	}
}

func TestLevels(t *testing.T) {
	for in, want := range map[string]slog.Level{"debug": slog.LevelDebug, "INFO": slog.LevelInfo, "warn": slog.LevelWarn, "warning": slog.LevelWarn, "error": slog.LevelError} {
		if got, err := telemetry.ParseLevel(in); err != nil || got != want {
			t.Errorf("ParseLevel(%q) = %v, %v", in, got, err)
		}
	}
	if _, err := telemetry.ParseLevel("loud"); err == nil || !strings.Contains(err.Error(), "LOG_LEVEL") {
		t.Errorf("ParseLevel(loud) err = %v", err)
	}
	for env, want := range map[string]slog.Level{"local": slog.LevelDebug, "": slog.LevelDebug, "staging": slog.LevelInfo, "production": slog.LevelWarn} {
		if got := telemetry.DefaultLevel(env); got != want {
			t.Errorf("DefaultLevel(%q) = %v, want %v", env, got, want)
		}
	}
	if telemetry.RedactFor("local", slog.LevelDebug) || !telemetry.RedactFor("local", slog.LevelInfo) || !telemetry.RedactFor("staging", slog.LevelDebug) {
		t.Error("RedactFor: only local debug keeps PII")
	}
}

// TestHandlerNoDuplicateKeys: a caller's own top-level key wins over the stamped one, so the
// JSON line never has the same key twice.
func TestHandlerNoDuplicateKeys(t *testing.T) {
	var buf bytes.Buffer
	log := telemetry.NewLogger(&buf, slog.LevelDebug, true)
	ctx := spanCtx(t)
	log.InfoContext(ctx, "persona loaded", "path", "/srv/me.txt")
	log.With("method", "GET").InfoContext(ctx, "x")
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	for _, l := range lines {
		for _, k := range []string{`"path":`, `"method":`} {
			if strings.Count(l, k) != 1 {
				t.Errorf("%s appears %d times in %s", k, strings.Count(l, k), l)
			}
		}
	}
	if got := parseLines(t, buf.Bytes()); got[0]["path"] != "/srv/me.txt" || got[1]["method"] != "GET" || got[1]["path"] != "/api/chat" {
		t.Errorf("lines %v", got)
	}
}
