// Package openai is the twin's provider for any OpenAI-compatible chat completions API (OpenAI,
// Ollama, vLLM, llama.cpp, LM Studio): streamed deltas, usage from the final chunk
// (stream_options.include_usage), timeouts, and the error mapping of DESIGN §7 — a failure
// before the first token is llm_unavailable with a Retry-After, a 401 re-reads the key once.
//
// It speaks the one endpoint it needs (POST {base}/chat/completions, stream: true) over
// net/http and decodes the stream with openai-go's own SSE decoder (packages/ssestream), which
// also turns an in-stream {"error": ...} event into an error. It does not import openai-go's
// client package: that package registers every type of the whole OpenAI API at init, which
// would add 35 MB to the binary and 6 MB to bootstrap.zip (docs/decisions/0003).
package openai

import (
	"context"
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
}

var _ twin.Provider = (*Provider)(nil)

// Provider streams replies from an OpenAI-compatible server.
type Provider struct {
	cfg      Config
	endpoint string
	client   *http.Client
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
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	client := cfg.HTTPClient
	if client == nil {
		client = http.DefaultClient
	}
	return &Provider{cfg: cfg, endpoint: strings.TrimRight(cfg.BaseURL, "/") + "/chat/completions", client: client}, nil
}

// Name is the gen_ai.system of the provider.
func (p *Provider) Name() string { return "openai" }

// Model is the model id.
func (p *Provider) Model() string { return p.cfg.Model }

// Stream generates the reply to req, calling emit for each text delta.
func (p *Provider) Stream(ctx context.Context, req twin.GenerateRequest, emit func(string) error) (twin.Usage, error) {
	key, err := p.cfg.Keys.Key(ctx)
	if err != nil {
		return twin.Usage{}, unavailable(fmt.Errorf("openai: API key: %w", err), DefaultRetryAfter)
	}
	usage, started, err := p.attempt(ctx, key, req, emit)
	if err != nil && !started && isUnauthorized(err) && ctx.Err() == nil {
		// The key may have been rotated since we cached it: re-read it once and try again.
		fresh, kerr := p.cfg.Keys.Refresh(ctx)
		if kerr != nil {
			return usage, unavailable(fmt.Errorf("openai: key refused, and re-reading it failed: %w", errors.Join(err, kerr)), DefaultRetryAfter)
		}
		usage, started, err = p.attempt(ctx, fresh, req, emit)
	}
	return usage, p.mapError(ctx, err, started)
}

// emitError marks an error returned by emit, which Stream returns unchanged.
type emitError struct{ err error }

func (e emitError) Error() string { return e.err.Error() }

var (
	errTimeout      = errors.New("openai: reply timed out")
	errNoFirstToken = errors.New("openai: no first token in time")
	errEmpty        = errors.New("openai: the model returned no text")
)

// attempt makes one streaming call; started reports whether emit was called.
func (p *Provider) attempt(parent context.Context, key string, req twin.GenerateRequest, emit func(string) error) (usage twin.Usage, started bool, err error) {
	finished := false // the model said the reply is complete (finish_reason)
	ctx, cancelTimeout := context.WithTimeoutCause(parent, p.cfg.Timeout, errTimeout)
	defer cancelTimeout()
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	firstToken := time.AfterFunc(p.cfg.FirstTokenTimeout, func() { cancel(errNoFirstToken) })
	defer firstToken.Stop()

	body, err := json.Marshal(p.request(req))
	if err != nil {
		return usage, false, fmt.Errorf("encode request: %w", err)
	}
	resp, err := p.post(ctx, key, body)
	if err != nil {
		if cause := context.Cause(ctx); cause != nil && parent.Err() == nil {
			err = fmt.Errorf("%w: %w", cause, err)
		}
		return usage, false, err
	}
	stream := ssestream.NewStream[chunk](ssestream.NewDecoder(resp), nil)
	defer stream.Close()
	for stream.Next() {
		chunk := stream.Current()
		if u := chunk.Usage; u != nil && u.PromptTokens+u.CompletionTokens > 0 {
			// Some servers send a zero usage on every chunk; the last real one wins.
			usage = twin.Usage{InputTokens: u.PromptTokens, OutputTokens: u.CompletionTokens}
		}
		for _, c := range chunk.Choices {
			if c.Index == 0 && c.FinishReason != "" {
				finished = true
			}
			if c.Index != 0 || c.Delta.Content == "" {
				continue
			}
			if !started {
				started = true
				firstToken.Stop()
			}
			if err := emit(c.Delta.Content); err != nil {
				return usage, started, emitError{err}
			}
		}
	}
	if err := stream.Err(); err != nil {
		if cause := context.Cause(ctx); cause != nil && parent.Err() == nil {
			err = fmt.Errorf("%w: %w", cause, err)
		}
		if started && finished && parent.Err() == nil {
			// The reply is whole (the model sent finish_reason); only the tail of the stream
			// (usage, [DONE]) was lost. Log it; the visitor has the complete answer.
			p.cfg.Logger.WarnContext(parent, "openai stream broke after the reply finished", "model", p.cfg.Model, "error", err.Error())
			return usage, true, nil
		}
		return usage, started, err
	}
	if !started {
		return usage, false, errEmpty
	}
	return usage, true, nil
}

// chatRequest is the body of POST /chat/completions.
type chatRequest struct {
	Model               string        `json:"model"`
	Messages            []chatMessage `json:"messages"`
	Stream              bool          `json:"stream"`
	StreamOptions       streamOptions `json:"stream_options"`
	MaxCompletionTokens int           `json:"max_completion_tokens,omitempty"`
}

type chatMessage struct {
	Role    string `json:"role"`
	Content string `json:"content"`
}

type streamOptions struct {
	IncludeUsage bool `json:"include_usage"`
}

// chunk is one streamed chat.completion.chunk; the last one (choices empty) carries usage.
type chunk struct {
	Choices []struct {
		Index int `json:"index"`
		Delta struct {
			Content string `json:"content"`
		} `json:"delta"`
		FinishReason string `json:"finish_reason"`
	} `json:"choices"`
	Usage *struct {
		PromptTokens     int `json:"prompt_tokens"`
		CompletionTokens int `json:"completion_tokens"`
	} `json:"usage"`
}

func (p *Provider) request(req twin.GenerateRequest) chatRequest {
	msgs := make([]chatMessage, 0, len(req.Messages)+1)
	if req.System != "" {
		msgs = append(msgs, chatMessage{Role: "system", Content: req.System})
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
	}
}

// mapError turns a call's error into what the core expects (twin.Provider's contract).
func (p *Provider) mapError(ctx context.Context, err error, started bool) error {
	var ee emitError
	switch {
	case err == nil:
		return nil
	case errors.As(err, &ee):
		return ee.err
	case ctx.Err() != nil:
		return ctx.Err()
	case !started:
		return unavailable(fmt.Errorf("openai %s: %w", p.cfg.Model, err), retryAfter(err))
	default:
		return fmt.Errorf("openai %s: stream broke after the first token: %w", p.cfg.Model, err)
	}
}

func unavailable(err error, after time.Duration) error {
	return &twin.Error{Code: twin.CodeLLMUnavailable, Message: "the model is not available right now; try again shortly", RetryAfter: after, Err: err}
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
