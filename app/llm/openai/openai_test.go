package openai_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"

	"github.com/digitaltwin/twin/app/llm/openai"
	"github.com/digitaltwin/twin/app/secrets"
	"github.com/digitaltwin/twin/app/twin"
	"github.com/digitaltwin/twin/app/twintest/fakeaws"
)

// fakeOpenAI speaks the chat completions streaming protocol (SSE) as OpenAI and Ollama do.
type fakeOpenAI struct {
	mu       sync.Mutex
	requests []map[string]any
	auths    []string
	handle   func(w http.ResponseWriter, r *http.Request, n int)
}

func (f *fakeOpenAI) start(t *testing.T) string {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost || r.URL.Path != "/v1/chat/completions" {
			http.Error(w, "unexpected "+r.Method+" "+r.URL.Path, http.StatusNotFound)
			return
		}
		raw, _ := io.ReadAll(r.Body)
		var body map[string]any
		_ = json.Unmarshal(raw, &body)
		f.mu.Lock()
		f.requests = append(f.requests, body)
		f.auths = append(f.auths, r.Header.Get("Authorization"))
		n := len(f.requests)
		f.mu.Unlock()
		f.handle(w, r, n)
	}))
	t.Cleanup(srv.Close)
	return srv.URL + "/v1"
}

func sse(w http.ResponseWriter, events ...string) {
	w.Header().Set("Content-Type", "text/event-stream")
	for _, e := range events {
		fmt.Fprintf(w, "data: %s\n\n", e)
		w.(http.Flusher).Flush()
	}
}

func chunk(delta string) string {
	b, _ := json.Marshal(map[string]any{
		"id": "c1", "object": "chat.completion.chunk", "created": 1, "model": "m",
		"choices": []any{map[string]any{"index": 0, "delta": map[string]any{"content": delta}, "finish_reason": nil}},
	})
	return string(b)
}

const usageChunk = `{"id":"c1","object":"chat.completion.chunk","created":1,"model":"m","choices":[],"usage":{"prompt_tokens":42,"completion_tokens":3,"total_tokens":45}}`

func apiError(w http.ResponseWriter, status int, typ string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	fmt.Fprintf(w, `{"error":{"message":"%s","type":"%s","param":null,"code":null}}`, typ, typ)
}

func newProvider(t *testing.T, url string, keys openai.KeySource, mod func(*openai.Config)) *openai.Provider {
	t.Helper()
	cfg := openai.Config{BaseURL: url, Model: "gpt-test", Keys: keys, MaxRetries: -1}
	if mod != nil {
		mod(&cfg)
	}
	p, err := openai.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

var req = twin.GenerateRequest{
	System: "You are Ada's twin.",
	Messages: []twin.Message{
		{Role: twin.RoleUser, Content: "hi"},
		{Role: twin.RoleAssistant, Content: "hello"},
		{Role: twin.RoleUser, Content: "what do you build?"},
	},
}

func collect(t *testing.T, p *openai.Provider, ctx context.Context) (string, twin.Usage, error) {
	t.Helper()
	var sb strings.Builder
	u, err := p.Stream(ctx, req, func(d string) error { sb.WriteString(d); return nil })
	return sb.String(), u, err
}

func TestStreamTextAndUsage(t *testing.T) {
	f := &fakeOpenAI{handle: func(w http.ResponseWriter, _ *http.Request, _ int) {
		sse(w, chunk("I build "), chunk(""), chunk("compilers."), usageChunk, "[DONE]")
	}}
	p := newProvider(t, f.start(t), secrets.Static("sk-test"), nil)
	text, usage, err := collect(t, p, context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if text != "I build compilers." {
		t.Errorf("text = %q", text)
	}
	if usage != (twin.Usage{InputTokens: 42, OutputTokens: 3}) {
		t.Errorf("usage = %+v", usage)
	}
	if p.Name() != "openai" || p.Model() != "gpt-test" {
		t.Errorf("Name, Model = %q, %q", p.Name(), p.Model())
	}
	body := f.requests[0]
	if body["model"] != "gpt-test" || body["stream"] != true {
		t.Errorf("request model/stream = %v/%v", body["model"], body["stream"])
	}
	if so, _ := body["stream_options"].(map[string]any); so["include_usage"] != true {
		t.Errorf("stream_options = %v, want include_usage", body["stream_options"])
	}
	var roles []string
	for _, m := range body["messages"].([]any) {
		roles = append(roles, m.(map[string]any)["role"].(string))
	}
	if got, want := strings.Join(roles, ","), "system,user,assistant,user"; got != want {
		t.Errorf("roles = %s, want %s", got, want)
	}
	if got := f.auths[0]; got != "Bearer sk-test" {
		t.Errorf("Authorization = %q", got)
	}
}

func TestThrottlingIsUnavailableWithHint(t *testing.T) {
	for name, tc := range map[string]struct {
		header, value string
		want          time.Duration
	}{
		"seconds": {"Retry-After", "7", 7 * time.Second},
		"ms":      {"Retry-After-Ms", "2500", 2500 * time.Millisecond},
		"none":    {"", "", openai.DefaultRetryAfter},
	} {
		t.Run(name, func(t *testing.T) {
			f := &fakeOpenAI{handle: func(w http.ResponseWriter, _ *http.Request, _ int) {
				if tc.header != "" {
					w.Header().Set(tc.header, tc.value)
				}
				apiError(w, http.StatusTooManyRequests, "rate_limit_exceeded")
			}}
			p := newProvider(t, f.start(t), secrets.Static("sk"), nil)
			text, _, err := collect(t, p, context.Background())
			te := twin.AsError(err)
			if te.Code != twin.CodeLLMUnavailable || te.RetryAfter != tc.want || text != "" {
				t.Fatalf("err = %v (code %s, retry %v), text %q; want llm_unavailable, %v", err, te.Code, te.RetryAfter, text, tc.want)
			}
		})
	}
}

func TestRetriesTransientFailureBeforeFirstToken(t *testing.T) {
	f := &fakeOpenAI{handle: func(w http.ResponseWriter, _ *http.Request, n int) {
		if n == 1 {
			apiError(w, http.StatusBadGateway, "bad_gateway")
			return
		}
		sse(w, chunk("ok"), "[DONE]")
	}}
	p := newProvider(t, f.start(t), secrets.Static("sk"), func(c *openai.Config) { c.MaxRetries = 0 }) // default: 1
	if text, _, err := collect(t, p, context.Background()); err != nil || text != "ok" {
		t.Fatalf("text %q, err %v", text, err)
	}
}

func TestErrorMidStream(t *testing.T) {
	for name, tail := range map[string]func(w http.ResponseWriter){
		"error event": func(w http.ResponseWriter) { sse(w, `{"error":{"message":"overloaded","type":"server_error"}}`) },
		"cut":         func(w http.ResponseWriter) { panic(http.ErrAbortHandler) },
	} {
		t.Run(name, func(t *testing.T) {
			f := &fakeOpenAI{handle: func(w http.ResponseWriter, _ *http.Request, _ int) {
				sse(w, chunk("I build "))
				tail(w)
			}}
			p := newProvider(t, f.start(t), secrets.Static("sk"), nil)
			text, _, err := collect(t, p, context.Background())
			if err == nil || text != "I build " {
				t.Fatalf("text %q, err %v; want the first delta and an error", text, err)
			}
			var te *twin.Error
			if errors.As(err, &te) {
				t.Fatalf("after the first token the error is the core's to log, not an API error: %v", err)
			}
		})
	}
}

func TestUnauthorizedRefreshesKeyOnce(t *testing.T) {
	sm := fakeaws.NewSecretsManager(t, "llm-key", "sk-old")
	smClient := secretsmanager.NewFromConfig(fakeaws.Config(t), func(o *secretsmanager.Options) { o.BaseEndpoint = aws.String(sm.URL) })
	keys := secrets.New(smClient, "llm-key")
	if _, err := keys.Key(context.Background()); err != nil { // cached before the rotation
		t.Fatal(err)
	}
	sm.Set("sk-new")

	valid := "Bearer sk-new"
	f := &fakeOpenAI{handle: func(w http.ResponseWriter, r *http.Request, _ int) {
		if r.Header.Get("Authorization") != valid {
			apiError(w, http.StatusUnauthorized, "invalid_api_key")
			return
		}
		sse(w, chunk("hello"), "[DONE]")
	}}
	p := newProvider(t, f.start(t), keys, nil)
	if text, _, err := collect(t, p, context.Background()); err != nil || text != "hello" {
		t.Fatalf("text %q, err %v", text, err)
	}
	if got := sm.Calls(); got != 2 {
		t.Errorf("%d secret reads, want 2 (initial + one refresh)", got)
	}
	if got := strings.Join(f.auths, " | "); got != "Bearer sk-old | Bearer sk-new" {
		t.Errorf("calls = %s", got)
	}

	// A key that stays wrong: exactly one more refresh, then llm_unavailable.
	valid = "Bearer never"
	before := sm.Calls()
	_, _, err := collect(t, p, context.Background())
	if twin.ErrorCode(err) != twin.CodeLLMUnavailable {
		t.Fatalf("err = %v, want llm_unavailable", err)
	}
	if got := sm.Calls() - before; got != 1 {
		t.Errorf("%d refreshes for a persistently refused key, want 1", got)
	}
}

func TestUnreadableSecretIsUnavailable(t *testing.T) {
	sm := fakeaws.NewSecretsManager(t, "llm-key", "sk")
	sm.FailNext(1)
	smClient := secretsmanager.NewFromConfig(fakeaws.Config(t), func(o *secretsmanager.Options) { o.BaseEndpoint = aws.String(sm.URL) })
	f := &fakeOpenAI{handle: func(w http.ResponseWriter, _ *http.Request, _ int) { t.Error("model called without a key") }}
	p := newProvider(t, f.start(t), secrets.New(smClient, "llm-key"), nil)
	_, _, err := collect(t, p, context.Background())
	if twin.ErrorCode(err) != twin.CodeLLMUnavailable || !strings.Contains(err.Error(), "LLM_API_KEY_SECRET_ID") {
		t.Fatalf("err = %v", err)
	}
}

func TestCancelStopsStream(t *testing.T) {
	release := make(chan struct{})
	defer close(release)
	f := &fakeOpenAI{handle: func(w http.ResponseWriter, r *http.Request, _ int) {
		sse(w, chunk("first"))
		select {
		case <-r.Context().Done():
		case <-release:
		}
	}}
	p := newProvider(t, f.start(t), secrets.Static("sk"), nil)
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
	f := &fakeOpenAI{handle: func(w http.ResponseWriter, r *http.Request, _ int) {
		w.Header().Set("Content-Type", "text/event-stream")
		w.(http.Flusher).Flush()
		select {
		case <-r.Context().Done():
		case <-release:
		}
	}}
	p := newProvider(t, f.start(t), secrets.Static("sk"), func(c *openai.Config) { c.FirstTokenTimeout = 100 * time.Millisecond })
	start := time.Now()
	_, _, err := collect(t, p, context.Background())
	if twin.ErrorCode(err) != twin.CodeLLMUnavailable {
		t.Fatalf("err = %v, want llm_unavailable", err)
	}
	if d := time.Since(start); d > 3*time.Second {
		t.Fatalf("took %v", d)
	}
}

func TestEmitErrorReturnedAsIs(t *testing.T) {
	f := &fakeOpenAI{handle: func(w http.ResponseWriter, _ *http.Request, _ int) { sse(w, chunk("a"), chunk("b"), "[DONE]") }}
	p := newProvider(t, f.start(t), secrets.Static("sk"), nil)
	boom := errors.New("client went away")
	_, err := p.Stream(context.Background(), req, func(string) error { return boom })
	if err != boom {
		t.Fatalf("err = %v, want the emit error itself", err)
	}
}

func TestEmptyReplyIsUnavailable(t *testing.T) {
	f := &fakeOpenAI{handle: func(w http.ResponseWriter, _ *http.Request, _ int) { sse(w, usageChunk, "[DONE]") }}
	p := newProvider(t, f.start(t), secrets.Static("sk"), nil)
	if _, _, err := collect(t, p, context.Background()); twin.ErrorCode(err) != twin.CodeLLMUnavailable {
		t.Fatalf("err = %v", err)
	}
}

func TestRetryHonoursShortRetryAfter(t *testing.T) {
	f := &fakeOpenAI{handle: func(w http.ResponseWriter, _ *http.Request, n int) {
		if n == 1 {
			w.Header().Set("Retry-After-Ms", "20")
			apiError(w, http.StatusTooManyRequests, "rate_limit_exceeded")
			return
		}
		sse(w, chunk("ok"), "[DONE]")
	}}
	p := newProvider(t, f.start(t), secrets.Static("sk"), func(c *openai.Config) { c.MaxRetries = 1 })
	if text, _, err := collect(t, p, context.Background()); err != nil || text != "ok" || len(f.requests) != 2 {
		t.Fatalf("text %q, err %v, %d requests", text, err, len(f.requests))
	}
}

func TestOllamaStyleError(t *testing.T) {
	f := &fakeOpenAI{handle: func(w http.ResponseWriter, _ *http.Request, _ int) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusNotFound)
		fmt.Fprint(w, `{"error":"model \"llama9\" not found, try pulling it first"}`)
	}}
	p := newProvider(t, f.start(t), secrets.Static("sk"), nil)
	_, _, err := collect(t, p, context.Background())
	var ae *openai.APIError
	if twin.ErrorCode(err) != twin.CodeLLMUnavailable || !errors.As(err, &ae) || ae.StatusCode != 404 || !strings.Contains(ae.Message, "not found") {
		t.Fatalf("err = %v", err)
	}
}

// TestBreakAfterFinishIsNotAnError: the model finished its reply (finish_reason) and only the
// stream's tail was lost: the reply stands, the break is logged.
func TestBreakAfterFinishIsNotAnError(t *testing.T) {
	f := &fakeOpenAI{handle: func(w http.ResponseWriter, _ *http.Request, _ int) {
		sse(w, chunk("I build compilers."), `{"choices":[{"index":0,"delta":{},"finish_reason":"stop"}]}`)
		panic(http.ErrAbortHandler)
	}}
	var logs strings.Builder
	p := newProvider(t, f.start(t), secrets.Static("sk"), func(c *openai.Config) {
		c.Logger = slog.New(slog.NewTextHandler(&logs, nil))
	})
	text, _, err := collect(t, p, context.Background())
	if err != nil || text != "I build compilers." {
		t.Fatalf("text %q, err %v", text, err)
	}
	if !strings.Contains(logs.String(), "broke after the reply finished") {
		t.Errorf("not logged: %q", logs.String())
	}
}
