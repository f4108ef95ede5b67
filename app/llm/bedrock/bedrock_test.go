package bedrock_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime"

	"github.com/digitaltwin/twin/app/llm/bedrock"
	"github.com/digitaltwin/twin/app/llm/llmtest"
	"github.com/digitaltwin/twin/app/twin"
	"github.com/digitaltwin/twin/app/twintest/fakeaws"
)

const modelID = "anthropic.claude-test-v1:0"

// fakeBedrock is llmtest.Bedrock with a provider built on the real SDK client pointed at it.
type fakeBedrock struct {
	handle func(w http.ResponseWriter, r *http.Request, s *llmtest.EventWriter)
	fake   *llmtest.Bedrock
	model  string // modelID when ""
	// configure, when set, adjusts the provider's configuration.
	configure func(*bedrock.Config)
}

func (f *fakeBedrock) start(t *testing.T) *bedrock.Provider {
	t.Helper()
	f.fake = llmtest.NewBedrock(t, f.handle)
	client := bedrockruntime.NewFromConfig(fakeaws.Config(t), func(o *bedrockruntime.Options) {
		o.BaseEndpoint = aws.String(f.fake.URL)
	}, bedrock.BufferRequests)
	model := f.model
	if model == "" {
		model = modelID
	}
	cfg := bedrock.Config{ModelID: model, FirstTokenTimeout: 2 * time.Second}
	if f.configure != nil {
		f.configure(&cfg)
	}
	p, err := bedrock.New(client, cfg)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

var req = twin.GenerateRequest{
	System: "You are Ada's twin.",
	Messages: []twin.Message{
		{Role: twin.RoleAssistant, Content: "(dropped: history starts with the twin)"},
		{Role: twin.RoleUser, Content: "hi"},
		{Role: twin.RoleUser, Content: "anyone there?"},
		{Role: twin.RoleAssistant, Content: "hello"},
		{Role: twin.RoleUser, Content: "what do you build?"},
	},
}

func collect(p *bedrock.Provider, ctx context.Context) (string, twin.Usage, error) {
	var sb strings.Builder
	u, err := p.Stream(ctx, req, func(d string) error { sb.WriteString(d); return nil })
	return sb.String(), u, err
}

func TestStreamTextAndUsage(t *testing.T) {
	f := &fakeBedrock{handle: func(w http.ResponseWriter, r *http.Request, s *llmtest.EventWriter) {
		s.Begin()
		s.Delta("I build ")
		s.Delta("compilers.")
		s.End(42, 3)
	}}
	p := f.start(t)
	text, usage, err := collect(p, context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if text != "I build compilers." || usage != (twin.Usage{InputTokens: 42, OutputTokens: 3}) {
		t.Fatalf("text %q usage %+v", text, usage)
	}
	if p.Name() != "bedrock" || p.Model() != modelID {
		t.Errorf("Name, Model = %q, %q", p.Name(), p.Model())
	}
	bodies, paths := f.fake.Requests()
	if got, want := paths[0], "/model/"+modelID+"/converse-stream"; got != want {
		t.Errorf("path = %s, want %s", got, want)
	}
	body := bodies[0]
	sys, _ := json.Marshal(body["system"])
	if string(sys) != `[{"text":"You are Ada's twin."}]` {
		t.Errorf("system = %s", sys)
	}
	msgs, _ := json.Marshal(body["messages"])
	want := `[{"content":[{"text":"hi"},{"text":"anyone there?"}],"role":"user"},{"content":[{"text":"hello"}],"role":"assistant"},{"content":[{"text":"what do you build?"}],"role":"user"}]`
	if string(msgs) != want {
		t.Errorf("messages =\n%s\nwant\n%s", msgs, want)
	}
}

func TestThrottlingIsUnavailable(t *testing.T) {
	calls := 0
	f := &fakeBedrock{handle: func(w http.ResponseWriter, r *http.Request, s *llmtest.EventWriter) {
		calls++
		w.Header().Set("X-Amzn-ErrorType", "ThrottlingException:http://internal.amazon.com/coral/com.amazon.bedrock/")
		w.Header().Set("Content-Type", "application/json")
		if calls > 1 {
			w.Header().Set("Retry-After", "9")
		}
		w.WriteHeader(http.StatusTooManyRequests)
		fmt.Fprint(w, `{"message":"Too many requests, please wait before trying again."}`)
	}}
	p := f.start(t)
	text, _, err := collect(p, context.Background())
	te := twin.AsError(err)
	if te.Code != twin.CodeLLMUnavailable || text != "" {
		t.Fatalf("err = %v (code %s), want llm_unavailable", err, te.Code)
	}
	if te.RetryAfter != 9*time.Second {
		t.Errorf("RetryAfter = %v, want the server's 9s", te.RetryAfter)
	}
	if !strings.Contains(err.Error(), "ThrottlingException") {
		t.Errorf("cause lost: %v", err)
	}
}

func TestExceptionBeforeFirstTokenIsUnavailable(t *testing.T) {
	f := &fakeBedrock{handle: func(w http.ResponseWriter, r *http.Request, s *llmtest.EventWriter) {
		s.Begin()
		s.Exception("throttlingException", "slow down")
	}}
	_, _, err := collect(f.start(t), context.Background())
	if te := twin.AsError(err); te.Code != twin.CodeLLMUnavailable || te.RetryAfter != bedrock.DefaultRetryAfter {
		t.Fatalf("err = %v, want llm_unavailable with the default hint", err)
	}
}

func TestErrorMidStream(t *testing.T) {
	f := &fakeBedrock{handle: func(w http.ResponseWriter, r *http.Request, s *llmtest.EventWriter) {
		s.Begin()
		s.Delta("I build ")
		s.Exception("modelStreamErrorException", "the model stopped")
	}}
	text, _, err := collect(f.start(t), context.Background())
	if err == nil || text != "I build " {
		t.Fatalf("text %q err %v", text, err)
	}
	var te *twin.Error
	if errors.As(err, &te) {
		t.Fatalf("after the first token the error is not an API error: %v", err)
	}
	if !strings.Contains(err.Error(), "the model stopped") {
		t.Errorf("cause lost: %v", err)
	}
}

func TestCancelStopsStream(t *testing.T) {
	release := make(chan struct{})
	defer close(release)
	f := &fakeBedrock{handle: func(w http.ResponseWriter, r *http.Request, s *llmtest.EventWriter) {
		s.Begin()
		s.Delta("first")
		select {
		case <-r.Context().Done():
		case <-release:
		}
	}}
	p := f.start(t)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		_, err := p.Stream(ctx, req, func(string) error { cancel(); return nil })
		done <- err
	}()
	select {
	case err := <-done:
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("err = %v, want context.Canceled", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Stream did not return after cancel")
	}
}

func TestFirstTokenTimeout(t *testing.T) {
	release := make(chan struct{})
	defer close(release)
	f := &fakeBedrock{handle: func(w http.ResponseWriter, r *http.Request, s *llmtest.EventWriter) {
		s.Begin()
		select {
		case <-r.Context().Done():
		case <-release:
		}
	}}
	p := f.start(t) // FirstTokenTimeout 2s
	start := time.Now()
	_, _, err := collect(p, context.Background())
	if twin.ErrorCode(err) != twin.CodeLLMUnavailable || !strings.Contains(err.Error(), "no first token") || time.Since(start) > 4*time.Second {
		t.Fatalf("err = %v after %v", err, time.Since(start))
	}
}

func TestEmitErrorReturnedAsIs(t *testing.T) {
	f := &fakeBedrock{handle: func(w http.ResponseWriter, r *http.Request, s *llmtest.EventWriter) {
		s.Begin()
		s.Delta("a")
		s.End(1, 1)
	}}
	boom := errors.New("client went away")
	if _, err := f.start(t).Stream(context.Background(), req, func(string) error { return boom }); err != boom {
		t.Fatalf("err = %v", err)
	}
}

// TestBreakAfterFinishIsNotAnError: messageStop came, then the stream failed before metadata:
// the reply stands, the break is logged.
func TestBreakAfterFinishIsNotAnError(t *testing.T) {
	f := &fakeBedrock{handle: func(w http.ResponseWriter, r *http.Request, s *llmtest.EventWriter) {
		s.Begin()
		s.Delta("I build compilers.")
		s.Event("contentBlockStop", map[string]any{"contentBlockIndex": 0})
		s.Event("messageStop", map[string]any{"stopReason": "end_turn"})
		s.Exception("internalServerException", "lost the metadata")
	}}
	text, _, err := collect(f.start(t), context.Background())
	if err != nil || text != "I build compilers." {
		t.Fatalf("text %q, err %v", text, err)
	}
}
