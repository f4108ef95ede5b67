package llm

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/digitaltwin/twin/app/telemetry"
	"github.com/digitaltwin/twin/app/twin"
	"github.com/digitaltwin/twin/app/twintest"
	"pgregory.net/rapid"
)

var errRefused = errors.New("400: this model does not support tools")

// scripted is a provider's side of a reply from a script: how many tool calls each round makes,
// whether the model refuses tools, and what fails.
type scripted struct {
	calls        []int // tool calls made by round n (0 beyond the script)
	refusesTools bool
	failFirst    error // the first request fails with this before any output
	requests     []bool
	continued    int
}

func (s *scripted) reply() Reply {
	return Reply{
		Tools: true,
		Round: func(a *Attempt, round int, tools bool, out *Output) (Round, error) {
			s.requests = append(s.requests, tools)
			if s.failFirst != nil && len(s.requests) == 1 {
				return Round{}, s.failFirst
			}
			if tools && s.refusesTools {
				return Round{}, errRefused
			}
			a.Active()
			if err := out.Write("text "); err != nil {
				return Round{}, err
			}
			n := 0
			if round < len(s.calls) {
				n = s.calls[round]
			}
			return Round{Usage: twin.Usage{InputTokens: 1, OutputTokens: 1}, Calls: n}, nil
		},
		Continue:     func(context.Context, int) { s.continued++ },
		RefusesTools: func(err error) bool { return errors.Is(err, errRefused) },
	}
}

func newDriver() *Driver {
	return &Driver{System: "test", Model: "m", Timeout: time.Minute, FirstTokenTimeout: time.Minute}
}

// TestToolLoopIsBoundedProperty: whatever calls the model makes, a reply makes at most
// MaxToolRounds+1 requests, runs calls only between requests, and sums usage over them.
func TestToolLoopIsBoundedProperty(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		s := &scripted{calls: rapid.SliceOfN(rapid.IntRange(0, 6), 0, 8).Draw(t, "calls")}
		usage, err := newDriver().Stream(context.Background(), func(string) error { return nil }, s.reply())
		if err != nil {
			t.Fatal(err)
		}
		if len(s.requests) > MaxToolRounds+1 || s.continued != len(s.requests)-1 || usage.InputTokens != len(s.requests) {
			t.Fatalf("%d requests, %d continuations, usage %+v for calls %v", len(s.requests), s.continued, usage, s.calls)
		}
	})
}

// clock is a settable time for the tools cool-down.
type clock struct{ t time.Time }

func (c *clock) now() time.Time { return c.t }

// TestRefusedToolsOffForTheCooldown: a model that refuses tools gets the request again without
// them; later replies go without them until the cool-down ends, then tools are offered again.
// The refusal is a warning and counts in the turn's ToolsRefused metric.
func TestRefusedToolsOffForTheCooldown(t *testing.T) {
	c := &clock{t: time.Date(2026, 12, 4, 21, 0, 0, 0, time.UTC)}
	logs := &twintest.Logs{}
	d := newDriver()
	d.Now, d.ToolsCooldown, d.Logger = c.now, 5*time.Minute, logs.Logger()
	reply := func(refuses bool) []bool {
		t.Helper()
		s := &scripted{refusesTools: refuses}
		ctx := telemetry.WithRequest(context.Background(), "POST", "/api/chat")
		if _, err := d.Stream(ctx, func(string) error { return nil }, s.reply()); err != nil {
			t.Fatal(err)
		}
		if got, want := telemetry.ToolsRefused(ctx), boolToInt(refuses && s.requests[0]); got != want {
			t.Errorf("ToolsRefused = %d, want %d", got, want)
		}
		return s.requests
	}
	if got := reply(true); len(got) != 2 || !got[0] || got[1] {
		t.Fatalf("refusing reply: tools offered per request %v, want [true false]", got)
	}
	if !strings.Contains(logs.String(), `"level":"WARN","msg":"the model refused tools`) || !strings.Contains(logs.String(), `"tools_off_until":"2026-12-04T21:05:00Z"`) {
		t.Fatalf("no warning naming the cool-down: %s", logs.String())
	}
	c.t = c.t.Add(5*time.Minute - time.Second)
	if got := reply(false); len(got) != 1 || got[0] {
		t.Fatalf("within the cool-down: tools offered %v, want [false]", got)
	}
	c.t = c.t.Add(time.Second)
	if got := reply(false); len(got) != 1 || !got[0] {
		t.Fatalf("after the cool-down: tools offered %v, want [true]", got)
	}
	if !strings.Contains(logs.String(), "cool-down is over") {
		t.Errorf("the end of the cool-down is not logged: %s", logs.String())
	}
	// A model that still refuses is refused again, for another cool-down.
	if got := reply(true); len(got) != 2 || !got[0] || got[1] {
		t.Fatalf("refusing again: %v", got)
	}
	if got := reply(false); len(got) != 1 || got[0] {
		t.Fatalf("second cool-down: tools offered %v, want [false]", got)
	}
}

func boolToInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// TestOnlyKnownRefusalsTurnToolsOff: the known answers of servers without tool support, and
// nothing else that mentions tools.
func TestOnlyKnownRefusalsTurnToolsOff(t *testing.T) {
	for msg, want := range map[string]bool{
		"registry.ollama.ai/library/gemma3:4b does not support tools":                                                 true,
		"This model doesn't support tool use in streaming mode.":                                                      true,
		"Unsupported parameter: 'tools' is not supported with this model.":                                            true,
		`"auto" tool choice requires --enable-auto-tool-choice and --tool-call-parser to be set`:                      true,
		"tools param requires --jinja flag":                                                                           true,
		"An assistant message with 'tool_calls' must be followed by tool messages responding to each 'tool_call_id'.": false,
		"Invalid 'tools[0].function.name': string does not match pattern.":                                            false,
		"The toolConfig field must be defined when using toolUse and toolResult content blocks.":                      false,
		"Expected toolResult blocks at messages.2.content for the following Ids: tooluse_1":                           false,
		"Rate limit reached for tool requests":                                                                        false,
		"":                                                                                                            false,
	} {
		if got := ToolsUnsupported(msg); got != want {
			t.Errorf("ToolsUnsupported(%q) = %v, want %v", msg, got, want)
		}
	}
}

// TestFailuresMapped: before any text a failure is llm_unavailable with the one wording and a
// retry hint; the visitor's emit error and the caller's cancellation come back as they are.
func TestFailuresMapped(t *testing.T) {
	boom := errors.New("connection refused")
	_, err := newDriver().Stream(context.Background(), func(string) error { return nil }, (&scripted{failFirst: boom}).reply())
	var te *twin.Error
	if !errors.As(err, &te) || te.Code != twin.CodeLLMUnavailable || te.RetryAfter <= 0 || !errors.Is(err, boom) ||
		te.Message != twin.LLMUnavailable(boom, 0).Message {
		t.Errorf("failure before text: %v", err)
	}
	gone := errors.New("client gone")
	if _, err := newDriver().Stream(context.Background(), func(string) error { return gone }, (&scripted{}).reply()); err != gone {
		t.Errorf("emit error came back as %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := newDriver().Stream(ctx, func(string) error { return nil }, (&scripted{failFirst: boom}).reply()); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled caller got %v", err)
	}
	if _, err := newDriver().Stream(context.Background(), func(string) error { return nil }, Reply{
		Round: func(*Attempt, int, bool, *Output) (Round, error) { return Round{}, nil },
	}); twin.ErrorCode(err) != twin.CodeLLMUnavailable || !strings.Contains(err.Error(), "no text") {
		t.Errorf("empty reply: %v", err)
	}
}

// TestAgainOnce: a request that failed before any output may be made again once (a key re-read).
func TestAgainOnce(t *testing.T) {
	s := &scripted{failFirst: errors.New("401")}
	r := s.reply()
	asked := 0
	r.Again = func(context.Context, error) (bool, error) { asked++; return true, nil }
	if _, err := newDriver().Stream(context.Background(), func(string) error { return nil }, r); err != nil || asked != 1 || len(s.requests) != 2 {
		t.Fatalf("err %v, asked %d, %d requests", err, asked, len(s.requests))
	}
}
