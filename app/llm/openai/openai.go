// Package openai is the twin's provider for any OpenAI-compatible chat completions API (OpenAI,
// Ollama, vLLM, llama.cpp, LM Studio): streamed deltas, usage from the final chunk
// (stream_options.include_usage), and a 401 that re-reads the key once. Timeouts, the tool
// loop and the error mapping (a failure before the first token is llm_unavailable with a
// Retry-After) are llm.Driver's.
//
// It speaks the one endpoint it needs (POST {base}/chat/completions, stream: true) over
// net/http and decodes the stream with openai-go's own SSE decoder (packages/ssestream), which
// also turns an in-stream {"error": ...} event into an error. It does not import openai-go's
// client package: that package registers every type of the whole OpenAI API at init, which
// would add 35 MB to the binary and 6 MB to bootstrap.zip (docs/decisions/0003).
//
// With tools offered (GenerateRequest.CallTool) a reply may take several requests: the model's
// streamed tool calls are run between them (tools.go), in the loop llm.Driver bounds
// (docs/decisions/0009).
package openai

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/openai/openai-go/v3/packages/ssestream"

	"github.com/digitaltwin/twin/app/llm"
	"github.com/digitaltwin/twin/app/twin"
)

// KeySource yields the API key. Refresh re-reads it after the provider refused it (a rotation);
// app/secrets implements it over Secrets Manager, secrets.Static over a local key.
type KeySource interface {
	Key(ctx context.Context) (string, error)
	Refresh(ctx context.Context) (string, error)
}

// Defaults.
const (
	DefaultBaseURL           = "https://api.openai.com/v1"
	DefaultTimeout           = 2 * time.Minute  // whole reply
	DefaultFirstTokenTimeout = 30 * time.Second // request to first text delta
	DefaultRetryAfter        = 5 * time.Second  // hint when the server gave none
	DefaultMaxRetries        = 1                // retries of 408/409/429/5xx/connection errors before any token
	maxRetryDelay            = 2 * time.Second  // a server asking for longer is answered with 503 + Retry-After
	retryBaseDelay           = 250 * time.Millisecond
)

// Config configures the provider.
type Config struct {
	BaseURL string    // e.g. https://api.openai.com/v1 or http://localhost:11434/v1 (DefaultBaseURL when "")
	Model   string    // e.g. gpt-4o-mini, llama3.2
	Keys    KeySource // required; a keyless local server still wants some string
	// HTTPClient is used for the calls (http.DefaultClient when nil).
	HTTPClient *http.Client
	// MaxTokens caps the reply (server default when 0).
	MaxTokens int
	// Timeout, FirstTokenTimeout and MaxRetries default to the constants above when 0;
	// MaxRetries < 0 disables retries.
	Timeout           time.Duration
	FirstTokenTimeout time.Duration
	MaxRetries        int
	// Logger receives the warning for a stream that broke after the model had finished its
	// reply (which is then not an error); nil discards it.
	Logger *slog.Logger
	// ToolsCooldown and Now: how long tools stay off after the model refused them
	// (llm.DefaultToolsCooldown when 0), by which clock (time.Now when nil).
	ToolsCooldown time.Duration
	Now           func() time.Time
}

var _ twin.Provider = (*Provider)(nil)

// Provider streams replies from an OpenAI-compatible server.
type Provider struct {
	cfg      Config
	endpoint string
	client   *http.Client
	driver   *llm.Driver
}

// New returns a provider for cfg.
func New(cfg Config) (*Provider, error) {
	if cfg.Keys == nil {
		return nil, errors.New("openai: a key source is required")
	}
	if cfg.Model == "" {
		return nil, errors.New("openai: a model is required")
	}
	if cfg.BaseURL == "" {
		cfg.BaseURL = DefaultBaseURL
	}
	if u, err := url.Parse(cfg.BaseURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("openai: base URL %q is not an http(s) URL", cfg.BaseURL)
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = DefaultTimeout
	}
	if cfg.FirstTokenTimeout <= 0 {
		cfg.FirstTokenTimeout = DefaultFirstTokenTimeout
	}
	switch {
	case cfg.MaxRetries == 0:
		cfg.MaxRetries = DefaultMaxRetries
	case cfg.MaxRetries < 0:
		cfg.MaxRetries = 0
	}
	client := cfg.HTTPClient
	if client == nil {
		client = http.DefaultClient
	}
	return &Provider{
		cfg: cfg, endpoint: strings.TrimRight(cfg.BaseURL, "/") + "/chat/completions", client: client,
		driver: &llm.Driver{System: "openai", Model: cfg.Model, Timeout: cfg.Timeout, FirstTokenTimeout: cfg.FirstTokenTimeout, Logger: cfg.Logger,
			ToolsCooldown: cfg.ToolsCooldown, Now: cfg.Now},
	}, nil
}

// Name is the gen_ai.system of the provider.
func (p *Provider) Name() string { return "openai" }

// Model is the model id.
func (p *Provider) Model() string { return p.cfg.Model }

// Stream generates the reply to req, calling emit for each text delta. With req.CallTool set
// and tools offered the reply runs the bounded tool loop of llm.Driver: the model's calls are run
// between requests and the reply continues in the next one; usage is summed over the requests.
func (p *Provider) Stream(parent context.Context, req twin.GenerateRequest, emit func(string) error) (twin.Usage, error) {
	key, err := p.cfg.Keys.Key(parent)
	if err != nil {
		return twin.Usage{}, p.driver.Unavailable(fmt.Errorf("API key: %w", err), DefaultRetryAfter)
	}
	body := p.request(req)
	loop := newToolLoop(req)
	var last roundResult // the latest request's reply, continued by the tool loop
	return p.driver.Stream(parent, emit, llm.Reply{
		Tools: loop.on(),
		Round: func(a *llm.Attempt, round int, tools bool, out *llm.Output) (llm.Round, error) {
			loop.offer(&body, round, tools)
			var err error
			last, err = p.attempt(a, key, body, out)
			return llm.Round{Usage: last.usage, Calls: len(last.calls)}, err
		},
		Continue: func(ctx context.Context, round int) {
			body.Messages = append(body.Messages, loop.results(ctx, round, last.text, last.calls)...)
		},
		Again: func(ctx context.Context, err error) (bool, error) {
			if !isUnauthorized(err) {
				return false, nil
			}
			// The key may have been rotated since we cached it: re-read it once and try again.
			fresh, kerr := p.cfg.Keys.Refresh(ctx)
			if kerr != nil {
				return false, fmt.Errorf("key refused, and re-reading it failed: %w", errors.Join(err, kerr))
			}
			key = fresh
			return true, nil
		},
		RefusesTools: refusesTools,
		RetryAfter:   retryAfter,
	})
}

// roundResult is what one request produced.
type roundResult struct {
	usage twin.Usage
	text  string      // the text of this request's reply, for the history of the next one
	calls []*callPart // complete tool calls (the stream finished)
}

// attempt makes one streaming request.
func (p *Provider) attempt(a *llm.Attempt, key string, body chatRequest, out *llm.Output) (res roundResult, err error) {
	finished := false // the model said this response is complete (finish_reason)
	raw, err := json.Marshal(body)
	if err != nil {
		return res, fmt.Errorf("encode request: %w", err)
	}
	resp, err := p.post(a.Ctx, key, raw)
	if err != nil {
		return res, a.Cause(err)
	}
	var text strings.Builder
	calls := &callParts{}
	stream := ssestream.NewStream[chunk](ssestream.NewDecoder(resp), nil)
	defer stream.Close()
	for stream.Next() {
		chunk := stream.Current()
		if u := chunk.Usage; u != nil && u.PromptTokens+u.CompletionTokens > 0 {
			// Some servers send a zero usage on every chunk; the last real one wins.
			res.usage = twin.Usage{InputTokens: u.PromptTokens, OutputTokens: u.CompletionTokens, CachedInputTokens: u.PromptTokensDetails.CachedTokens}
		}
		for _, c := range chunk.Choices {
			if c.Index != 0 {
				continue
			}
			if c.FinishReason != "" {
				finished = true
			}
			if len(c.Delta.ToolCalls) > 0 {
				calls.add(c.Delta.ToolCalls)
				a.Active()
			}
			if c.Delta.Content == "" {
				continue
			}
			a.Active()
			text.WriteString(c.Delta.Content)
			if err := out.Write(c.Delta.Content); err != nil {
				return res, err
			}
		}
	}
	res.text = text.String()
	if err := a.StreamEnd(stream.Err(), finished); err != nil {
		return res, err
	}
	if finished { // only calls the model finished are run: cut arguments could still parse
		res.calls = calls.list
	}
	return res, nil
}

// chatRequest is the body of POST /chat/completions.
type chatRequest struct {
	Model               string        `json:"model"`
	Messages            []chatMessage `json:"messages"`
	Stream              bool          `json:"stream"`
	StreamOptions       streamOptions `json:"stream_options"`
	MaxCompletionTokens int           `json:"max_completion_tokens,omitempty"`
	// PromptCacheKey routes requests with the same prompt prefix to the same cache (OpenAI's
	// prefix caching); servers without it ignore the field.
	PromptCacheKey string     `json:"prompt_cache_key,omitempty"`
	Tools          []chatTool `json:"tools,omitempty"`
	ToolChoice     string     `json:"tool_choice,omitempty"`
}

// chatMessage is one message of the request. An assistant message that called tools carries
// them in ToolCalls; a tool message answers one call by ToolCallID.
type chatMessage struct {
	Role       string         `json:"role"`
	Content    string         `json:"content"`
	ToolCalls  []chatToolCall `json:"tool_calls,omitempty"`
	ToolCallID string         `json:"tool_call_id,omitempty"`
}

type streamOptions struct {
	IncludeUsage bool `json:"include_usage"`
}

// chunk is one streamed chat.completion.chunk; the last one (choices empty) carries usage.
type chunk struct {
	Choices []struct {
		Index int `json:"index"`
		Delta struct {
			Content   string          `json:"content"`
			ToolCalls []toolCallDelta `json:"tool_calls"`
		} `json:"delta"`
		FinishReason string `json:"finish_reason"`
	} `json:"choices"`
	Usage *struct {
		PromptTokens     int `json:"prompt_tokens"` // cached ones included
		CompletionTokens int `json:"completion_tokens"`
		// PromptTokensDetails.CachedTokens is the part of the prompt read from the cache.
		PromptTokensDetails struct {
			CachedTokens int `json:"cached_tokens"`
		} `json:"prompt_tokens_details"`
	} `json:"usage"`
}

func (p *Provider) request(req twin.GenerateRequest) chatRequest {
	msgs := make([]chatMessage, 0, len(req.Messages)+1)
	if system := strings.TrimSuffix(req.System+"\n"+req.Note, "\n"); system != "" {
		// The note follows the system prompt in the same message: its text is still the same
		// cacheable prefix (OpenAI caches token prefixes, not messages), and chat templates that
		// take one system message only (Mistral's, some of llama.cpp's) keep working.
		msgs = append(msgs, chatMessage{Role: "system", Content: system})
	}
	for _, m := range req.Messages {
		role := "user"
		if m.Role == twin.RoleAssistant {
			role = "assistant"
		}
		msgs = append(msgs, chatMessage{Role: role, Content: m.Content})
	}
	return chatRequest{
		Model: p.cfg.Model, Messages: msgs, Stream: true,
		StreamOptions: streamOptions{IncludeUsage: true}, MaxCompletionTokens: p.cfg.MaxTokens,
		PromptCacheKey: promptCacheKey(req.Persona),
	}
}

// promptCacheKey names the cacheable prefix (the system prompt) after the persona version, so
// every turn of every session with this persona is routed to the same prompt cache; "" when the
// persona has no version.
func promptCacheKey(p twin.Persona) string {
	if p.Version == "" {
		return ""
	}
	sum := sha256.Sum256([]byte(p.Version))
	return "twin-persona-" + hex.EncodeToString(sum[:8])
}

// refusesTools: the server's known answer for a model or server without tool support (Ollama,
// vLLM and llama.cpp answer 400; not another error that happens to mention tools).
func refusesTools(err error) bool {
	var ae *APIError
	return errors.As(err, &ae) && ae.StatusCode >= 400 && llm.ToolsUnsupported(ae.Message)
}

func isUnauthorized(err error) bool {
	var ae *APIError
	return errors.As(err, &ae) && ae.StatusCode == http.StatusUnauthorized
}

// retryAfter is the server's hint (Retry-After-Ms, Retry-After in seconds or as a date), else
// DefaultRetryAfter, kept within [1s, 5min].
func retryAfter(err error) time.Duration {
	var ae *APIError
	if !errors.As(err, &ae) {
		return DefaultRetryAfter
	}
	return RetryAfterHeader(ae.Header, time.Now(), DefaultRetryAfter)
}

// RetryAfterHeader reads Retry-After-Ms or Retry-After from h, else returns def; the result is
// kept within [1s, 5min].
func RetryAfterHeader(h http.Header, now time.Time, def time.Duration) time.Duration {
	d, ok := parseRetryAfter(h, now)
	if !ok {
		d = def
	}
	return min(max(d, time.Second), 5*time.Minute)
}

// parseRetryAfter reads Retry-After-Ms, else Retry-After in seconds or as an HTTP date.
func parseRetryAfter(h http.Header, now time.Time) (time.Duration, bool) {
	if v := h.Get("Retry-After-Ms"); v != "" {
		if ms, err := strconv.ParseFloat(v, 64); err == nil && ms >= 0 {
			return time.Duration(ms * float64(time.Millisecond)), true
		}
	}
	if v := h.Get("Retry-After"); v != "" {
		if s, err := strconv.ParseFloat(v, 64); err == nil && s >= 0 {
			return time.Duration(s * float64(time.Second)), true
		}
		if t, err := http.ParseTime(v); err == nil {
			return max(t.Sub(now), 0), true
		}
	}
	return 0, false
}
