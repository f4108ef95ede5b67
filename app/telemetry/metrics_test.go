package telemetry

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"math"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/digitaltwin/twin/app/twin"
	"go.opentelemetry.io/otel/trace"
	"pgregory.net/rapid"
)

func decodeEMF(t *testing.T, line []byte) map[string]any {
	t.Helper()
	var rec map[string]any
	if err := json.Unmarshal(line, &rec); err != nil {
		t.Fatalf("EMF line %q: %v", line, err)
	}
	return rec
}

func TestRecordTurnEMF(t *testing.T) {
	var buf bytes.Buffer
	m := NewMetrics(&buf, "staging")
	m.now = func() time.Time { return time.UnixMilli(1700000000123) }
	tid, _ := trace.TraceIDFromHex("5f0a1b2c0123456789abcdef01234567")
	sid, _ := trace.SpanIDFromHex("0123456789abcdef")
	ctx := trace.ContextWithSpanContext(context.Background(), trace.NewSpanContext(trace.SpanContextConfig{TraceID: tid, SpanID: sid}))
	ctx = WithSessionID(WithCorrelationID(ctx, "corr-1"), "sess-1")
	err := m.RecordTurn(ctx, Turn{Provider: "openai", Model: "gpt-4o-mini-2024-07-18", Latency: 1500 * time.Millisecond,
		TimeToFirstToken: 250 * time.Millisecond, InputTokens: 1000, OutputTokens: 200, CachedInputTokens: 600, HistoryTruncated: 2, S3Retries: 1})
	if err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(buf.String(), "\n"); n != 1 {
		t.Fatalf("%d lines, want 1", n)
	}
	rec := decodeEMF(t, buf.Bytes())
	aws := rec["_aws"].(map[string]any)
	if got := aws["Timestamp"].(float64); got != 1700000000123 {
		t.Errorf("Timestamp = %v", got)
	}
	d := aws["CloudWatchMetrics"].([]any)[0].(map[string]any)
	if d["Namespace"] != "DigitalTwin" {
		t.Errorf("Namespace = %v", d["Namespace"])
	}
	if got, _ := json.Marshal(d["Dimensions"]); string(got) != `[["Environment"],["Environment","Outcome"]]` {
		t.Errorf("Dimensions = %s", got)
	}
	units := map[string]string{}
	for _, x := range d["Metrics"].([]any) {
		x := x.(map[string]any)
		units[x["Name"].(string)] = x["Unit"].(string)
		if _, ok := rec[x["Name"].(string)]; !ok {
			t.Errorf("metric %v has no value", x["Name"])
		}
	}
	want := map[string]string{"Turns": "Count", "TurnLatency": "Milliseconds", "TimeToFirstToken": "Milliseconds",
		"InputTokens": "Count", "CachedInputTokens": "Count", "OutputTokens": "Count", "EstimatedCostUSD": "None", "HistoryTruncated": "Count",
		"S3Retries": "Count", "TurnErrors": "Count", "ToolsRefused": "Count"}
	for k, v := range want {
		if units[k] != v {
			t.Errorf("unit of %s = %q, want %q", k, units[k], v)
		}
	}
	for k, v := range map[string]any{"Environment": "staging", "Outcome": "ok", "provider": "openai",
		"model": "gpt-4o-mini-2024-07-18", "correlation_id": "corr-1", "session_id": "sess-1",
		"Turns": 1.0, "TurnLatency": 1500.0, "TimeToFirstToken": 250.0, "InputTokens": 1000.0, "CachedInputTokens": 600.0, "OutputTokens": 200.0,
		"HistoryTruncated": 2.0, "S3Retries": 1.0, "TurnErrors": 0.0, "ToolsRefused": 0.0,
		"trace_id": "5f0a1b2c0123456789abcdef01234567", "xray_trace_id": "1-5f0a1b2c-0123456789abcdef01234567"} {
		if rec[k] != v {
			t.Errorf("%s = %v, want %v", k, rec[k], v)
		}
	}
	// gpt-4o-mini: 0.15 in, 0.075 cached in, 0.60 out per 1M tokens.
	if got, want := rec["EstimatedCostUSD"].(float64), (400*0.15+600*0.075+200*0.60)/1e6; math.Abs(got-want) > 1e-12 {
		t.Errorf("EstimatedCostUSD = %v, want %v", got, want)
	}
}

func TestRecordTurnError(t *testing.T) {
	var buf bytes.Buffer
	m := NewMetrics(&buf, "production")
	if err := m.RecordTurn(context.Background(), Turn{Provider: "bedrock", Model: "m", Outcome: "llm_unavailable", Latency: time.Second}); err != nil {
		t.Fatal(err)
	}
	rec := decodeEMF(t, buf.Bytes())
	if rec["Outcome"] != "llm_unavailable" || rec["TurnErrors"] != 1.0 {
		t.Errorf("Outcome %v TurnErrors %v", rec["Outcome"], rec["TurnErrors"])
	}
	if _, ok := rec["TimeToFirstToken"]; ok {
		t.Error("TimeToFirstToken emitted for a turn without a token")
	}
	if strings.Contains(buf.String(), `"Name":"TimeToFirstToken"`) {
		t.Error("TimeToFirstToken declared without a value")
	}
	var nilM *Metrics
	if err := nilM.RecordTurn(context.Background(), Turn{}); err != nil {
		t.Error(err)
	}
}

func TestPrices(t *testing.T) {
	for _, tc := range []struct {
		model string
		want  Price
		ok    bool
	}{
		{"gpt-4o", Price{2.5, 10, 1.25, 2.5}, true},
		{"gpt-4o-mini-2024-07-18", Price{0.15, 0.6, 0.075, 0.15}, true},
		{"us.anthropic.claude-3-5-haiku-20241022-v1:0", Price{0.8, 4, 0.08, 1}, true},
		{"anthropic.claude-3-haiku-20240307-v1:0", Price{0.25, 1.25, 0.25, 0.25}, true},
		{"eu.anthropic.claude-sonnet-4-6", Price{3, 15, 0.3, 3.75}, true},
		{"offline", Price{}, true},
		{"llama3.2", Price{}, false},
	} {
		got, ok := DefaultPrices.Lookup(tc.model)
		if got != tc.want || ok != tc.ok {
			t.Errorf("Lookup(%q) = %v, %v; want %v, %v", tc.model, got, ok, tc.want, tc.ok)
		}
	}
	if got := DefaultPrices.Estimate("llama3.2", twin.Usage{InputTokens: 1e6, OutputTokens: 1e6}); got != 0 {
		t.Errorf("unknown model cost %v", got)
	}
}

// Cached input is priced apart: a million input tokens of which 600k were read from the cache
// and 300k written to it, on Claude Sonnet 4 (3 in, 0.30 read, 3.75 write, 15 out per 1M).
func TestEstimatePricesTheCache(t *testing.T) {
	u := twin.Usage{InputTokens: 1_000_000, CachedInputTokens: 600_000, CacheWriteTokens: 300_000, OutputTokens: 10_000}
	want := 0.1*3 + 0.6*0.30 + 0.3*3.75 + 0.01*15
	if got := DefaultPrices.Estimate("eu.anthropic.claude-sonnet-4-6", u); math.Abs(got-want) > 1e-9 {
		t.Fatalf("Estimate = %v, want %v", got, want)
	}
	// Every price in the table: a cache read never costs more than plain input.
	for model, p := range DefaultPrices {
		if p.CacheReadPerMTok > p.InputPerMTok || p.CacheWritePerMTok < p.InputPerMTok {
			t.Errorf("%s: cache read %v / write %v against input %v", model, p.CacheReadPerMTok, p.CacheWritePerMTok, p.InputPerMTok)
		}
	}
}

func TestXRayTraceID(t *testing.T) {
	id, _ := trace.TraceIDFromHex("6565b7b10123456789abcdef01234567")
	if got, want := XRayTraceID(id), "1-6565b7b1-0123456789abcdef01234567"; got != want {
		t.Errorf("XRayTraceID = %q, want %q", got, want)
	}
	if got := XRayTraceID(trace.TraceID{}); got != "" {
		t.Errorf("invalid id → %q", got)
	}
}

// FuzzEMFStrings: any provider, model and ids give one valid JSON line that round-trips them
// (invalid UTF-8 becomes U+FFFD, as encoding/json does).
func FuzzEMFStrings(f *testing.F) {
	f.Add("openai", "gpt-4o\"\\\n\x00", "corr")
	f.Add("bedrock", "\xff\xfe", "é✓")
	f.Fuzz(func(t *testing.T, provider, model, corr string) {
		var buf bytes.Buffer
		m := NewMetrics(&buf, "staging")
		ctx := WithCorrelationID(context.Background(), corr)
		if err := m.RecordTurn(ctx, Turn{Provider: provider, Model: model, Latency: time.Millisecond}); err != nil {
			t.Fatal(err)
		}
		if bytes.Count(buf.Bytes(), []byte("\n")) != 1 {
			t.Fatalf("not one line: %q", buf.Bytes())
		}
		rec := decodeEMF(t, buf.Bytes())
		want := func(s string) string { return string([]rune(s)) } // each invalid byte → U+FFFD
		if rec["provider"] != want(provider) || rec["model"] != want(model) || (corr != "" && rec["correlation_id"] != want(corr)) {
			t.Errorf("round trip: provider %q model %q corr %q → %v %v %v", provider, model, corr, rec["provider"], rec["model"], rec["correlation_id"])
		}
	})
}

func BenchmarkRecordTurn(b *testing.B) {
	m := NewMetrics(io.Discard, "production")
	ctx := WithSessionID(WithCorrelationID(context.Background(), "0123456789abcdef0123456789abcdef"), "0b5e5d1e-1234-4abc-8def-426614174000")
	turn := Turn{Provider: "bedrock", Model: "us.anthropic.claude-3-5-haiku-20241022-v1:0", Latency: 1234 * time.Millisecond,
		TimeToFirstToken: 321 * time.Millisecond, InputTokens: 2000, OutputTokens: 300}
	b.ReportAllocs()
	for b.Loop() {
		_ = m.RecordTurn(ctx, turn)
	}
}

func TestRecordTurnRetriesFromContext(t *testing.T) {
	var buf bytes.Buffer
	ctx := WithRequest(context.Background(), "POST", "/api/chat")
	AddRetries(ctx, 2)
	AddRetries(ctx, 1)
	AddRetries(context.Background(), 5) // no request scope: ignored
	if err := NewMetrics(&buf, "staging").RecordTurn(ctx, Turn{Latency: time.Millisecond}); err != nil {
		t.Fatal(err)
	}
	if got := decodeEMF(t, buf.Bytes())["S3Retries"]; got != 3.0 {
		t.Errorf("S3Retries = %v, want 3", got)
	}
}

func TestRecordTurnToolsRefusedFromContext(t *testing.T) {
	var buf bytes.Buffer
	ctx := WithRequest(context.Background(), "POST", "/api/chat")
	CountToolsRefused(ctx)
	CountToolsRefused(context.Background()) // no request scope: ignored
	if err := NewMetrics(&buf, "staging").RecordTurn(ctx, Turn{Latency: time.Millisecond}); err != nil {
		t.Fatal(err)
	}
	if got := decodeEMF(t, buf.Bytes())["ToolsRefused"]; got != 1.0 {
		t.Errorf("ToolsRefused = %v, want 1", got)
	}
}

// Reading from the cache never costs more than sending the same tokens plainly, on any model of
// the table, and the cost grows with every kind of token.
func TestEstimateCacheProperties(t *testing.T) {
	models := make([]string, 0, len(DefaultPrices))
	for m := range DefaultPrices {
		models = append(models, m)
	}
	slices.Sort(models)
	rapid.Check(t, func(t *rapid.T) {
		model := rapid.SampledFrom(models).Draw(t, "model")
		in := rapid.IntRange(0, 200_000).Draw(t, "input")
		cached := rapid.IntRange(0, in).Draw(t, "cached")
		out := rapid.IntRange(0, 4_000).Draw(t, "output")
		plain := DefaultPrices.Estimate(model, twin.Usage{InputTokens: in, OutputTokens: out})
		withCache := DefaultPrices.Estimate(model, twin.Usage{InputTokens: in, OutputTokens: out, CachedInputTokens: cached})
		if withCache > plain+1e-12 || withCache < 0 {
			t.Fatalf("%s: %d of %d input tokens cached cost %v, plainly %v", model, cached, in, withCache, plain)
		}
		more := DefaultPrices.Estimate(model, twin.Usage{InputTokens: in + 1, OutputTokens: out + 1, CachedInputTokens: cached})
		if more < withCache {
			t.Fatalf("%s: one more input and output token costs less (%v < %v)", model, more, withCache)
		}
	})
}
