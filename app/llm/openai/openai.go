// Package openai is the twin's provider for any OpenAI-compatible chat completions API (OpenAI,
// Ollama, vLLM, llama.cpp, LM Studio) through openai-go: streamed deltas, usage from the final
// chunk (stream_options.include_usage), timeouts, and the error mapping of DESIGN §7 — a failure
// before the first token is llm_unavailable with a Retry-After, a 401 re-reads the key once.
package openai

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"time"

	oa "github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/option"

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
	DefaultTimeout           = 2 * time.Minute  // whole reply
	DefaultFirstTokenTimeout = 30 * time.Second // request to first text delta
	DefaultRetryAfter        = 5 * time.Second  // hint when the server gave none
	DefaultMaxRetries        = 1                // SDK retries of 429/5xx/connection errors before any token
	maxRetryDelay            = 2 * time.Second  // a server asking for longer is answered with 503 + Retry-After
)

// Config configures the provider.
type Config struct {
	BaseURL string    // e.g. https://api.openai.com/v1 or http://localhost:11434/v1
	Model   string    // e.g. gpt-4o-mini, llama3.2
	Keys    KeySource // required; a keyless local server still wants some string
	// HTTPClient is used for the calls (http.DefaultClient when nil).
	HTTPClient *http.Client
	// MaxTokens caps the reply (server default when 0).
	MaxTokens int
	// Timeout, FirstTokenTimeout and MaxRetries default to the constants above when 0;
	// MaxRetries < 0 disables SDK retries.
	Timeout           time.Duration
	FirstTokenTimeout time.Duration
	MaxRetries        int
}

var _ twin.Provider = (*Provider)(nil)

// Provider streams replies from an OpenAI-compatible server.
type Provider struct {
	cfg    Config
	client oa.Client
}

// New returns a provider for cfg.
func New(cfg Config) (*Provider, error) {
	if cfg.Keys == nil {
		return nil, errors.New("openai: a key source is required")
	}
	if cfg.Model == "" {
		return nil, errors.New("openai: a model is required")
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
	opts := []option.RequestOption{
		option.WithMaxRetries(cfg.MaxRetries),
		option.WithMaxRetryDelay(maxRetryDelay),
	}
	if cfg.BaseURL != "" {
		opts = append(opts, option.WithBaseURL(cfg.BaseURL))
	}
	if cfg.HTTPClient != nil {
		opts = append(opts, option.WithHTTPClient(cfg.HTTPClient))
	}
	return &Provider{cfg: cfg, client: oa.NewClient(opts...)}, nil
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
	ctx, cancelTimeout := context.WithTimeoutCause(parent, p.cfg.Timeout, errTimeout)
	defer cancelTimeout()
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	firstToken := time.AfterFunc(p.cfg.FirstTokenTimeout, func() { cancel(errNoFirstToken) })
	defer firstToken.Stop()

	stream := p.client.Chat.Completions.NewStreaming(ctx, p.params(req), option.WithAPIKey(key))
	defer stream.Close()
	for stream.Next() {
		chunk := stream.Current()
		if u := chunk.Usage; u.PromptTokens > 0 || u.CompletionTokens > 0 {
			usage = twin.Usage{InputTokens: int(u.PromptTokens), OutputTokens: int(u.CompletionTokens)}
		}
		for _, c := range chunk.Choices {
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
		return usage, started, err
	}
	if !started {
		return usage, false, errEmpty
	}
	return usage, true, nil
}

func (p *Provider) params(req twin.GenerateRequest) oa.ChatCompletionNewParams {
	msgs := make([]oa.ChatCompletionMessageParamUnion, 0, len(req.Messages)+1)
	if req.System != "" {
		msgs = append(msgs, oa.SystemMessage(req.System))
	}
	for _, m := range req.Messages {
		switch m.Role {
		case twin.RoleAssistant:
			msgs = append(msgs, oa.AssistantMessage(m.Content))
		default:
			msgs = append(msgs, oa.UserMessage(m.Content))
		}
	}
	params := oa.ChatCompletionNewParams{
		Model:         p.cfg.Model,
		Messages:      msgs,
		StreamOptions: oa.ChatCompletionStreamOptionsParam{IncludeUsage: oa.Bool(true)},
	}
	if p.cfg.MaxTokens > 0 {
		params.MaxCompletionTokens = oa.Int(int64(p.cfg.MaxTokens))
	}
	return params
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
	var ae *oa.Error
	return errors.As(err, &ae) && ae.StatusCode == http.StatusUnauthorized
}

// retryAfter is the server's hint (Retry-After-Ms, Retry-After in seconds or as a date), else
// DefaultRetryAfter, kept within [1s, 5min].
func retryAfter(err error) time.Duration {
	var ae *oa.Error
	if !errors.As(err, &ae) || ae.Response == nil {
		return DefaultRetryAfter
	}
	return RetryAfterHeader(ae.Response.Header, time.Now(), DefaultRetryAfter)
}

// RetryAfterHeader reads Retry-After-Ms or Retry-After from h, else returns def; the result is
// kept within [1s, 5min].
func RetryAfterHeader(h http.Header, now time.Time, def time.Duration) time.Duration {
	d := def
	if v := h.Get("Retry-After-Ms"); v != "" {
		if ms, err := strconv.ParseFloat(v, 64); err == nil && ms >= 0 {
			d = time.Duration(ms * float64(time.Millisecond))
		}
	} else if v := h.Get("Retry-After"); v != "" {
		if s, err := strconv.ParseFloat(v, 64); err == nil && s >= 0 {
			d = time.Duration(s * float64(time.Second))
		} else if t, err := http.ParseTime(v); err == nil {
			d = t.Sub(now)
		}
	}
	return min(max(d, time.Second), 5*time.Minute)
}
