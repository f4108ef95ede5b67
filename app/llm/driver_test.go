package llm

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/digitaltwin/twin/app/twin"
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

// TestRefusedToolsStayOff: a model that refuses tools gets the request again without them, and
// later replies of the same driver are made without them from the start.
func TestRefusedToolsStayOff(t *testing.T) {
	d := newDriver()
	first := &scripted{refusesTools: true}
	if _, err := d.Stream(context.Background(), func(string) error { return nil }, first.reply()); err != nil {
		t.Fatal(err)
	}
	later := &scripted{refusesTools: true}
	if _, err := d.Stream(context.Background(), func(string) error { return nil }, later.reply()); err != nil {
		t.Fatal(err)
	}
	if got := append(first.requests, later.requests...); len(got) != 3 || !got[0] || got[1] || got[2] {
		t.Fatalf("tools offered per request %v, want [true false false]", got)
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
