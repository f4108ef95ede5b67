// Package bedrock is the twin's provider for Amazon Bedrock through the Converse API
// (ConverseStream): streamed text deltas, usage from the stream's final metadata event, the
// system prompt as a system content block, timeouts and the error mapping of DESIGN §7.
//
// With tools offered (GenerateRequest.CallTool) a reply may take several ConverseStream calls:
// the model's tool uses are run between them, in a loop bounded by MaxToolRounds (tools.go,
// docs/decisions/0009).
package bedrock

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime"
	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime/types"
	"github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"

	"github.com/digitaltwin/twin/app/llm"
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
	// toolsRefused: Bedrock refused a request because it offered tools (a model without tool
	// use in streams); later replies are made without them.
	toolsRefused atomic.Bool
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

// Stream generates the reply to req, calling emit for each text delta. With req.CallTool set
// and tools offered it runs the bounded tool loop of tools.go: the model's tool uses are run
// between requests and the reply continues in the next one; usage is summed over the requests.
func (p *Provider) Stream(parent context.Context, req twin.GenerateRequest, emit func(string) error) (usage twin.Usage, err error) {
	// One deadline for the whole reply, however many requests the tool loop makes.
	ctx, cancelTimeout := context.WithTimeoutCause(parent, p.cfg.Timeout, errTimeout)
	defer cancelTimeout()

	in := p.input(req)
	loop := &toolLoop{}
	if !p.toolsRefused.Load() {
		loop = newToolLoop(req, p.cfg.ModelID)
	}
	out := llm.NewOutput(emit)
	for round := 0; ; round++ {
		loop.offer(in)
		res, err := p.converse(parent, ctx, in, out)
		if err != nil && !res.active && round == 0 && loop.on() && refusesTools(err) && parent.Err() == nil {
			// A model without tool use in ConverseStream: answer without tools, now and in
			// later replies.
			p.toolsRefused.Store(true)
			p.cfg.Logger.WarnContext(parent, "the model refused tools; replies go on without them", "model", p.cfg.ModelID, "error", err.Error())
			loop = &toolLoop{}
			loop.offer(in)
			res, err = p.converse(parent, ctx, in, out)
		}
		usage.InputTokens += res.usage.InputTokens
		usage.OutputTokens += res.usage.OutputTokens
		if err != nil {
			return usage, p.mapError(parent, err, out.Started())
		}
		if !loop.run(round, res.calls) {
			break
		}
		in.Messages = append(in.Messages, loop.results(ctx, round, res.text, res.calls)...)
		out.ToolRoundEnded()
	}
	if !out.Started() {
		return usage, p.mapError(parent, errEmpty, false)
	}
	return usage, nil
}

// roundResult is what one ConverseStream call produced.
type roundResult struct {
	usage  twin.Usage
	active bool       // the model sent text or a tool use
	text   string     // the text of this response, for the history of the next request
	calls  []*toolUse // complete tool uses, in block order
}

// converse makes one ConverseStream call. ctx carries the reply's deadline; parent is the
// caller's context, to tell a cancelled caller from a timeout.
func (p *Provider) converse(parent, ctx context.Context, in *bedrockruntime.ConverseStreamInput, out *llm.Output) (res roundResult, err error) {
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	firstToken := time.AfterFunc(p.cfg.FirstTokenTimeout, func() { cancel(errNoFirstToken) })
	defer firstToken.Stop()
	cause := func(err error) error {
		if c := context.Cause(ctx); c != nil && parent.Err() == nil && !errors.Is(err, c) {
			return fmt.Errorf("%w: %w", c, err)
		}
		return err
	}
	active, finished := false, false // the model sent text or a tool use; messageStop came
	activity := func() {
		if !active {
			active = true
			firstToken.Stop()
		}
	}

	resp, err := p.client.ConverseStream(ctx, in)
	if err != nil {
		return res, cause(err)
	}
	stream := resp.GetStream()
	defer stream.Close()
	events := stream.Events()
	var text strings.Builder
	uses := &toolUses{}
	for {
		var ev types.ConverseStreamOutput
		var ok bool
		select {
		case ev, ok = <-events:
		case <-ctx.Done():
			res.active = active
			return res, cause(context.Cause(ctx))
		}
		if !ok {
			break
		}
		switch v := ev.(type) {
		case *types.ConverseStreamOutputMemberContentBlockStart:
			if start, isTool := v.Value.Start.(*types.ContentBlockStartMemberToolUse); isTool {
				activity()
				uses.start(aws.ToInt32(v.Value.ContentBlockIndex), start.Value)
			}
		case *types.ConverseStreamOutputMemberContentBlockDelta:
			switch d := v.Value.Delta.(type) {
			case *types.ContentBlockDeltaMemberToolUse:
				activity()
				uses.input(aws.ToInt32(v.Value.ContentBlockIndex), aws.ToString(d.Value.Input))
			case *types.ContentBlockDeltaMemberText:
				if d.Value == "" {
					continue
				}
				activity()
				text.WriteString(d.Value)
				if err := out.Write(d.Value); err != nil {
					return res, err
				}
			}
		case *types.ConverseStreamOutputMemberMessageStop:
			finished = true
		case *types.ConverseStreamOutputMemberMetadata:
			if u := v.Value.Usage; u != nil {
				res.usage = twin.Usage{InputTokens: int(aws.ToInt32(u.InputTokens)), OutputTokens: int(aws.ToInt32(u.OutputTokens))}
			}
		}
	}
	res.text, res.active = text.String(), active
	if err := stream.Err(); err != nil {
		if !finished || !active || parent.Err() != nil {
			return res, cause(err)
		}
		// The response is whole (messageStop came); only the tail (metadata) was lost.
		p.cfg.Logger.WarnContext(parent, "bedrock stream broke after the reply finished", "model", p.cfg.ModelID, "error", err.Error())
	}
	if finished {
		res.calls = uses.list
	}
	return res, nil
}

// mapError turns a call's error into what the core expects (twin.Provider's contract).
func (p *Provider) mapError(parent context.Context, err error, started bool) error {
	emitErr, fromEmit := llm.AsEmitError(err)
	switch {
	case fromEmit:
		return emitErr
	case parent.Err() != nil:
		return parent.Err()
	case !started:
		return &twin.Error{Code: twin.CodeLLMUnavailable, Message: "the model is not available right now; try again shortly",
			RetryAfter: retryAfter(err), Err: fmt.Errorf("bedrock %s: %w", p.cfg.ModelID, err)}
	default:
		return fmt.Errorf("bedrock %s: stream broke after the first token: %w", p.cfg.ModelID, err)
	}
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

// refusesTools: a ValidationException that names tools, as for a model without tool use in
// ConverseStream ("This model doesn't support tool use in streaming mode.").
func refusesTools(err error) bool {
	var ae smithy.APIError
	return errors.As(err, &ae) && ae.ErrorCode() == "ValidationException" &&
		strings.Contains(strings.ToLower(ae.ErrorMessage()), "tool")
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
