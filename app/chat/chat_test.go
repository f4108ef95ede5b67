package chat

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"math"
	"strings"
	"testing"

	"github.com/digitaltwin/twin/app/memory/memstore"
	"github.com/digitaltwin/twin/app/prompt"
	"github.com/digitaltwin/twin/app/telemetry"
	"github.com/digitaltwin/twin/app/twin"
	"github.com/digitaltwin/twin/app/twintest"
	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"pgregory.net/rapid"
)

// recorder is a provider that records every request and answers "reply N".
type recorder struct {
	*twintest.Provider
	reqs []twin.GenerateRequest
}

func newRecorder() *recorder {
	r := &recorder{}
	r.Provider = &twintest.Provider{NameValue: "recorder", ModelValue: "rec-1",
		StreamFunc: func(_ context.Context, req twin.GenerateRequest, emit func(string) error) (twin.Usage, error) {
			r.reqs = append(r.reqs, req)
			return twin.Usage{InputTokens: 7, OutputTokens: 2}, emit(fmt.Sprintf("reply %d", len(r.reqs)))
		}}
	return r
}

type metricsSpy struct{ turns []telemetry.Turn }

func (m *metricsSpy) RecordTurn(_ context.Context, t telemetry.Turn) error {
	m.turns = append(m.turns, t)
	return nil
}

func newService(p twin.Provider, budget prompt.Budget) (*Service, *metricsSpy) {
	m := &metricsSpy{}
	return &Service{
		Persona:            twintest.StaticPersona(twin.Persona{Name: "Ada", Text: "I am Ada. I write compilers.", Version: "v1"}),
		Store:              memstore.New(),
		Provider:           p,
		Budget:             budget,
		MaxSessionMessages: 1000,
		Logger:             slog.New(slog.NewTextHandler(io.Discard, nil)),
		Metrics:            m,
	}, m
}

const sid = "11111111-1111-4111-8111-111111111111"

// Properties of the prompt (docs/architecture.md, step 4 of a chat turn): the persona is in every
// prompt, and every earlier message of the session is in the next prompt, in order, while within
// the budget.
func TestEveryEarlierMessageInNextPrompt(t *testing.T) {
	rapid.Check(t, func(rt *rapid.T) {
		rec := newRecorder()
		s, _ := newService(rec, prompt.DefaultBudget)
		var sent []twin.Message
		for i, m := range rapid.SliceOfN(rapid.StringMatching(`[a-z ]{1,40}[a-z]`), 1, 12).Draw(rt, "messages") {
			res, err := s.Turn(context.Background(), Request{SessionID: sid, Message: m}, func(string) error { return nil })
			if err != nil {
				rt.Fatal(err)
			}
			req := rec.reqs[i]
			if !strings.Contains(req.System, "I am Ada. I write compilers.") {
				rt.Fatalf("turn %d: persona missing from the system prompt", i)
			}
			if len(req.Messages) != len(sent)+1 {
				rt.Fatalf("turn %d: prompt has %d messages, want %d earlier + 1", i, len(req.Messages), len(sent))
			}
			for j, want := range sent {
				if got := req.Messages[j]; got.Role != want.Role || got.Content != want.Content {
					rt.Fatalf("turn %d: prompt message %d = %+v, want %+v", i, j, got, want)
				}
			}
			sent = append(sent, twin.Message{Role: twin.RoleUser, Content: m}, twin.Message{Role: twin.RoleAssistant, Content: res.Reply})
		}
	})
}

func TestTruncationIsCountedAndLogged(t *testing.T) {
	rec := newRecorder()
	s, m := newService(rec, prompt.Budget{ContextTokens: 600, ReplyTokens: 50})
	var logs strings.Builder
	s.Logger = slog.New(slog.NewJSONHandler(&logs, nil))
	for i := range 40 {
		if _, err := s.Turn(context.Background(), Request{SessionID: sid, Message: fmt.Sprintf("message number %d about compilers and more", i)}, func(string) error { return nil }); err != nil {
			t.Fatal(err)
		}
	}
	last := m.turns[len(m.turns)-1]
	if last.HistoryTruncated == 0 || !strings.Contains(logs.String(), "history truncated") {
		t.Fatalf("40 turns in a 600-token window: truncated %d, logs %q", last.HistoryTruncated, logs.String())
	}
	if !strings.Contains(rec.reqs[len(rec.reqs)-1].System, "I am Ada") {
		t.Fatal("persona dropped from a truncated prompt")
	}
}

func TestUsageAndOutcomeRecorded(t *testing.T) {
	s, m := newService(newRecorder(), prompt.DefaultBudget)
	if _, err := s.Turn(context.Background(), Request{SessionID: sid, Message: "hi"}, func(string) error { return nil }); err != nil {
		t.Fatal(err)
	}
	got := m.turns[0]
	if got.Outcome != telemetry.OutcomeOK || got.InputTokens != 7 || got.OutputTokens != 2 || got.Provider != "recorder" || got.Latency <= 0 {
		t.Fatalf("turn record %+v", got)
	}
}

// A prompt cache hit is on the turn's summary line (cached_input_tokens, cache_write_tokens)
// and metrics record, and priced at the cache prices: gpt-4o-mini, 3,000 input tokens of which
// 2,048 cached, 100 output.
func TestCachedInputTokensRecorded(t *testing.T) {
	p := &twintest.Provider{ModelValue: "gpt-4o-mini", StreamFunc: func(_ context.Context, _ twin.GenerateRequest, emit func(string) error) (twin.Usage, error) {
		return twin.Usage{InputTokens: 3000, OutputTokens: 100, CachedInputTokens: 2048}, emit("Lisbon.")
	}}
	s, m := newService(p, prompt.DefaultBudget)
	var logs bytes.Buffer
	s.Logger = slog.New(slog.NewJSONHandler(&logs, nil))
	if _, err := s.Turn(context.Background(), Request{SessionID: sid, Message: "hi"}, func(string) error { return nil }); err != nil {
		t.Fatal(err)
	}
	var line struct {
		Msg        string  `json:"msg"`
		Cached     *int    `json:"cached_input_tokens"`
		CacheWrite *int    `json:"cache_write_tokens"`
		Cost       float64 `json:"cost_usd"`
	}
	for l := range strings.Lines(logs.String()) {
		if err := json.Unmarshal([]byte(l), &line); err == nil && line.Msg == "chat turn" {
			break
		}
	}
	want := (952*0.15 + 2048*0.075 + 100*0.60) / 1e6
	if line.Msg != "chat turn" || line.Cached == nil || *line.Cached != 2048 || line.CacheWrite == nil || *line.CacheWrite != 0 || math.Abs(line.Cost-want) > 1e-12 {
		t.Fatalf("summary line %+v (cost want %v) in %s", line, want, logs.String())
	}
	if got := m.turns[0]; got.CachedInputTokens != 2048 || got.InputTokens != 3000 || math.Abs(got.CostUSD-want) > 1e-12 {
		t.Fatalf("turn record %+v", got)
	}
}

// failingStore cannot read, and must never be written after that.
var failingStore = &twintest.Store{
	GetFunc: func(context.Context, string) (twin.Session, error) { return twin.Session{}, io.ErrUnexpectedEOF },
	AppendFunc: func(context.Context, twin.Session, []twin.Message, int) (twin.Session, error) {
		panic("Append after a failed read would risk clobbering history")
	},
}

func TestFailedReadNeverWrites(t *testing.T) {
	rec := newRecorder()
	s, m := newService(rec, prompt.DefaultBudget)
	s.Store = failingStore
	_, err := s.Turn(context.Background(), Request{SessionID: sid, Message: "hi"}, func(string) error { return nil })
	if err == nil || len(rec.reqs) != 0 || m.turns[0].Outcome != string(twin.CodeInternal) {
		t.Fatalf("err %v, provider calls %d, outcome %q", err, len(rec.reqs), m.turns[0].Outcome)
	}
}

// flaky fails its first call before any token, then answers.
func flaky() *twintest.Provider {
	calls := 0
	return &twintest.Provider{StreamFunc: func(_ context.Context, req twin.GenerateRequest, emit func(string) error) (twin.Usage, error) {
		calls++
		if calls == 1 {
			return twin.Usage{}, io.ErrUnexpectedEOF
		}
		for _, m := range req.Messages[:len(req.Messages)-1] {
			if m.Content == "hello?" {
				return twin.Usage{}, fmt.Errorf("the retried message is in the prompt twice")
			}
		}
		return twin.Usage{}, emit("hi!")
	}}
}

// A retry after a failed turn answers the kept message instead of storing it twice.
func TestRetryAfterFailureIsNotDuplicated(t *testing.T) {
	s, _ := newService(flaky(), prompt.DefaultBudget)
	ctx := context.Background()
	if _, err := s.Turn(ctx, Request{SessionID: sid, Message: "hello?"}, func(string) error { return nil }); twin.ErrorCode(err) != twin.CodeLLMUnavailable {
		t.Fatalf("first turn: %v", err)
	}
	if _, err := s.Turn(ctx, Request{SessionID: sid, Message: "hello?"}, func(string) error { return nil }); err != nil {
		t.Fatalf("retry: %v", err)
	}
	got, err := s.Store.Get(ctx, sid)
	if err != nil {
		t.Fatal(err)
	}
	want := []twin.Message{
		{Role: twin.RoleUser, Content: "hello?", Status: twin.StatusComplete},
		{Role: twin.RoleAssistant, Status: twin.StatusFailed},
		{Role: twin.RoleAssistant, Content: "hi!", Status: twin.StatusComplete},
	}
	if diff := cmp.Diff(got.Messages, want, cmpopts.IgnoreFields(twin.Message{}, "ID", "Timestamp")); diff != "" {
		t.Fatalf("stored (-got +want), want the message once, the failed reply and the answer:\n%s", diff)
	}
}
