// Package bedrock is the twin's provider for Amazon Bedrock through the Converse API
// (ConverseStream): streamed text deltas, usage from the stream's final metadata event, the
// system prompt as a system content block, timeouts and the error mapping of DESIGN §7.
package bedrock

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime"
	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime/types"
	smithyhttp "github.com/aws/smithy-go/transport/http"

	"github.com/digitaltwin/twin/app/twin"
)

// Defaults.
const (
	DefaultTimeout           = 2 * time.Minute
	DefaultFirstTokenTimeout = 30 * time.Second
	DefaultRetryAfter        = 5 * time.Second
)

// API is the part of *bedrockruntime.Client the provider uses.
type API interface {
	ConverseStream(ctx context.Context, in *bedrockruntime.ConverseStreamInput, opts ...func(*bedrockruntime.Options)) (*bedrockruntime.ConverseStreamOutput, error)
}

// Config configures the provider.
type Config struct {
	ModelID string // model or inference profile id (BEDROCK_MODEL_ID)
	// MaxTokens caps the reply (model default when 0).
	MaxTokens int
	// Timeout and FirstTokenTimeout default to the constants above when 0.
	Timeout           time.Duration
	FirstTokenTimeout time.Duration
	// Logger receives the warning for a stream that broke after the model had finished its
	// reply (which is then not an error); nil discards it.
	Logger *slog.Logger
}

var _ twin.Provider = (*Provider)(nil)

// Provider streams replies from Bedrock.
type Provider struct {
	client API
	cfg    Config
}

// New returns a provider calling client.
func New(client API, cfg Config) (*Provider, error) {
	if cfg.ModelID == "" {
		return nil, errors.New("bedrock: a model id is required")
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = DefaultTimeout
	}
	if cfg.FirstTokenTimeout <= 0 {
		cfg.FirstTokenTimeout = DefaultFirstTokenTimeout
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	return &Provider{client: client, cfg: cfg}, nil
}

// Name is the gen_ai.system of the provider.
func (p *Provider) Name() string { return "bedrock" }

// Model is the model id.
func (p *Provider) Model() string { return p.cfg.ModelID }

var (
	errTimeout      = errors.New("bedrock: reply timed out")
	errNoFirstToken = errors.New("bedrock: no first token in time")
	errEmpty        = errors.New("bedrock: the model returned no text")
)

// Stream generates the reply to req, calling emit for each text delta.
func (p *Provider) Stream(parent context.Context, req twin.GenerateRequest, emit func(string) error) (usage twin.Usage, err error) {
	ctx, cancelTimeout := context.WithTimeoutCause(parent, p.cfg.Timeout, errTimeout)
	defer cancelTimeout()
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	firstToken := time.AfterFunc(p.cfg.FirstTokenTimeout, func() { cancel(errNoFirstToken) })
	defer firstToken.Stop()

	started, finished := false, false
	fail := func(err error) (twin.Usage, error) {
		switch {
		case parent.Err() != nil:
			return usage, parent.Err()
		case context.Cause(ctx) != nil && !errors.Is(err, context.Cause(ctx)):
			err = fmt.Errorf("%w: %w", context.Cause(ctx), err)
		}
		if !started {
			return usage, &twin.Error{Code: twin.CodeLLMUnavailable, Message: "the model is not available right now; try again shortly",
				RetryAfter: retryAfter(err), Err: fmt.Errorf("bedrock %s: %w", p.cfg.ModelID, err)}
		}
		return usage, fmt.Errorf("bedrock %s: stream broke after the first token: %w", p.cfg.ModelID, err)
	}

	out, err := p.client.ConverseStream(ctx, p.input(req))
	if err != nil {
		return fail(err)
	}
	stream := out.GetStream()
	defer stream.Close()
	events := stream.Events()
	for {
		var ev types.ConverseStreamOutput
		var ok bool
		select {
		case ev, ok = <-events:
		case <-ctx.Done():
			return fail(context.Cause(ctx))
		}
		if !ok {
			break
		}
		switch v := ev.(type) {
		case *types.ConverseStreamOutputMemberContentBlockDelta:
			text, isText := v.Value.Delta.(*types.ContentBlockDeltaMemberText)
			if !isText || text.Value == "" {
				continue
			}
			if !started {
				started = true
				firstToken.Stop()
			}
			if err := emit(text.Value); err != nil {
				return usage, err
			}
		case *types.ConverseStreamOutputMemberMessageStop:
			finished = true
		case *types.ConverseStreamOutputMemberMetadata:
			if u := v.Value.Usage; u != nil {
				usage = twin.Usage{InputTokens: int(aws.ToInt32(u.InputTokens)), OutputTokens: int(aws.ToInt32(u.OutputTokens))}
			}
		}
	}
	if err := stream.Err(); err != nil {
		if started && finished && parent.Err() == nil {
			// The reply is whole (messageStop came); only the tail (metadata) was lost.
			p.cfg.Logger.WarnContext(parent, "bedrock stream broke after the reply finished", "model", p.cfg.ModelID, "error", err.Error())
			return usage, nil
		}
		return fail(err)
	}
	if !started {
		return fail(errEmpty)
	}
	return usage, nil
}

// input builds the Converse request. Bedrock wants the conversation to start with a user turn
// and roles to alternate, so leading assistant messages are dropped (a truncated history can
// start with one) and consecutive messages of one role are joined (a turn whose reply failed
// leaves two user messages in a row).
func (p *Provider) input(req twin.GenerateRequest) *bedrockruntime.ConverseStreamInput {
	var msgs []types.Message
	for _, m := range req.Messages {
		role := types.ConversationRoleUser
		if m.Role == twin.RoleAssistant {
			role = types.ConversationRoleAssistant
		}
		if len(msgs) == 0 && role != types.ConversationRoleUser {
			continue
		}
		if n := len(msgs); n > 0 && msgs[n-1].Role == role {
			msgs[n-1].Content = append(msgs[n-1].Content, &types.ContentBlockMemberText{Value: m.Content})
			continue
		}
		msgs = append(msgs, types.Message{Role: role, Content: []types.ContentBlock{&types.ContentBlockMemberText{Value: m.Content}}})
	}
	in := &bedrockruntime.ConverseStreamInput{ModelId: aws.String(p.cfg.ModelID), Messages: msgs}
	if req.System != "" {
		in.System = []types.SystemContentBlock{&types.SystemContentBlockMemberText{Value: req.System}}
	}
	if p.cfg.MaxTokens > 0 {
		in.InferenceConfig = &types.InferenceConfiguration{MaxTokens: aws.Int32(int32(p.cfg.MaxTokens))}
	}
	return in
}

// retryAfter is the response's Retry-After in seconds when there is one, else DefaultRetryAfter
// (Bedrock's throttling responses usually carry none); within [1s, 5min].
func retryAfter(err error) time.Duration {
	d := DefaultRetryAfter
	var re *smithyhttp.ResponseError
	if errors.As(err, &re) && re.Response != nil {
		if v := re.Response.Header.Get("Retry-After"); v != "" {
			if s, perr := strconv.Atoi(v); perr == nil {
				d = time.Duration(s) * time.Second
			} else if t, perr := http.ParseTime(v); perr == nil {
				d = time.Until(t)
			}
		}
	}
	return min(max(d, time.Second), 5*time.Minute)
}
