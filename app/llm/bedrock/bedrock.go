// Package bedrock is the twin's provider for Amazon Bedrock through the Converse API
// (ConverseStream): streamed text deltas, usage from the stream's final metadata event, the
// system prompt as a system content block. Timeouts, the tool loop and the error mapping are
// llm.Driver's.
//
// With tools offered (GenerateRequest.CallTool) a reply may take several ConverseStream calls:
// the model's tool uses are run between them (tools.go), in the loop llm.Driver bounds
// (docs/decisions/0009).
package bedrock

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
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
	// PromptCache puts a cache point after the system prompt for models with prompt caching
	// (BEDROCK_PROMPT_CACHE): later requests read the rules and persona from the cache.
	PromptCache bool
	// Timeout and FirstTokenTimeout default to the constants above when 0.
	Timeout           time.Duration
	FirstTokenTimeout time.Duration
	// Logger receives the warning for a stream that broke after the model had finished its
	// reply (which is then not an error); nil discards it.
	Logger *slog.Logger
	// ToolsCooldown and Now: how long tools stay off after the model refused them
	// (llm.DefaultToolsCooldown when 0), by which clock (time.Now when nil).
	ToolsCooldown time.Duration
	Now           func() time.Time
}

var _ twin.Provider = (*Provider)(nil)

// Provider streams replies from Bedrock.
type Provider struct {
	client API
	cfg    Config
	driver *llm.Driver
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
	return &Provider{client: client, cfg: cfg, driver: &llm.Driver{
		System: "bedrock", Model: cfg.ModelID, Timeout: cfg.Timeout, FirstTokenTimeout: cfg.FirstTokenTimeout, Logger: cfg.Logger,
		ToolsCooldown: cfg.ToolsCooldown, Now: cfg.Now,
	}}, nil
}

// Name is the gen_ai.system of the provider.
func (p *Provider) Name() string { return "bedrock" }

// Model is the model id.
func (p *Provider) Model() string { return p.cfg.ModelID }

// Stream generates the reply to req, calling emit for each text delta. With req.CallTool set
// and tools offered the reply runs the bounded tool loop of llm.Driver: the model's tool uses are
// run between requests and the reply continues in the next one; usage is summed over the requests.
func (p *Provider) Stream(parent context.Context, req twin.GenerateRequest, emit func(string) error) (twin.Usage, error) {
	in := p.input(req)
	loop := newToolLoop(req, p.cfg.ModelID)
	var last roundResult // the latest request's reply, continued by the tool loop
	return p.driver.Stream(parent, emit, llm.Reply{
		Tools: loop.on(),
		Round: func(a *llm.Attempt, _ int, tools bool, out *llm.Output) (llm.Round, error) {
			loop.offer(in, tools)
			var err error
			last, err = p.converse(a, in, out)
			return llm.Round{Usage: last.usage, Calls: len(last.calls)}, err
		},
		Continue: func(ctx context.Context, round int) {
			in.Messages = append(in.Messages, loop.results(ctx, round, last.text, last.calls)...)
		},
		RefusesTools: refusesTools,
		RetryAfter:   retryAfter,
	})
}

// roundResult is what one ConverseStream call produced.
type roundResult struct {
	usage twin.Usage
	text  string     // the text of this response, for the history of the next request
	calls []*toolUse // complete tool uses, in block order
}

// converse makes one ConverseStream call.
func (p *Provider) converse(a *llm.Attempt, in *bedrockruntime.ConverseStreamInput, out *llm.Output) (res roundResult, err error) {
	finished := false // messageStop came
	resp, err := p.client.ConverseStream(a.Ctx, in)
	if err != nil {
		return res, a.Cause(err)
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
		case <-a.Ctx.Done():
			return res, a.Cause(context.Cause(a.Ctx))
		}
		if !ok {
			break
		}
		switch v := ev.(type) {
		case *types.ConverseStreamOutputMemberContentBlockStart:
			if start, isTool := v.Value.Start.(*types.ContentBlockStartMemberToolUse); isTool {
				a.Active()
				uses.start(aws.ToInt32(v.Value.ContentBlockIndex), start.Value)
			}
		case *types.ConverseStreamOutputMemberContentBlockDelta:
			switch d := v.Value.Delta.(type) {
			case *types.ContentBlockDeltaMemberToolUse:
				a.Active()
				uses.input(aws.ToInt32(v.Value.ContentBlockIndex), aws.ToString(d.Value.Input))
			case *types.ContentBlockDeltaMemberText:
				if d.Value == "" {
					continue
				}
				a.Active()
				text.WriteString(d.Value)
				if err := out.Write(d.Value); err != nil {
					return res, err
				}
			}
		case *types.ConverseStreamOutputMemberMessageStop:
			finished = true
		case *types.ConverseStreamOutputMemberMetadata:
			if u := v.Value.Usage; u != nil {
				res.usage = usage(u)
			}
		}
	}
	res.text = text.String()
	if err := a.StreamEnd(stream.Err(), finished); err != nil {
		return res, err
	}
	if finished {
		res.calls = uses.list
	}
	return res, nil
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
		if p.cfg.PromptCache && PromptCacheSupported(p.cfg.ModelID) {
			in.System = append(in.System, &types.SystemContentBlockMemberCachePoint{Value: types.CachePointBlock{Type: types.CachePointTypeDefault}})
		}
	}
	if req.Note != "" {
		// After the system prompt, which stays the same cacheable prefix every turn.
		in.System = append(in.System, &types.SystemContentBlockMemberText{Value: req.Note})
	}
	if p.cfg.MaxTokens > 0 {
		in.InferenceConfig = &types.InferenceConfiguration{MaxTokens: aws.Int32(int32(p.cfg.MaxTokens))}
	}
	return in
}

// usage is the metadata event's usage. Bedrock's inputTokens leaves out the tokens read from or
// written to the prompt cache; twin.Usage counts every input token
// (docs/decisions/0030-cached-token-accounting.md).
func usage(u *types.TokenUsage) twin.Usage {
	read, write := int(aws.ToInt32(u.CacheReadInputTokens)), int(aws.ToInt32(u.CacheWriteInputTokens))
	return twin.Usage{
		InputTokens: int(aws.ToInt32(u.InputTokens)) + read + write, OutputTokens: int(aws.ToInt32(u.OutputTokens)),
		CachedInputTokens: read, CacheWriteTokens: write,
	}
}

// cachingModels are the model families Bedrock documents prompt caching (a cachePoint in the
// system prompt) for; other models refuse the block.
var cachingModels = []string{
	"anthropic.claude-3-5-haiku", "anthropic.claude-3-7-sonnet", "anthropic.claude-haiku-4",
	"anthropic.claude-sonnet-4", "anthropic.claude-opus-4", "amazon.nova-micro", "amazon.nova-lite",
	"amazon.nova-pro", "amazon.nova-premier",
}

// PromptCacheSupported reports whether modelID (a model or an inference profile id) takes a
// cachePoint.
func PromptCacheSupported(modelID string) bool {
	for _, m := range cachingModels {
		if strings.Contains(modelID, m) {
			return true
		}
	}
	return false
}

// refusesTools: the ValidationException of a model without tool use in ConverseStream ("This
// model doesn't support tool use in streaming mode."), not another one that mentions tools.
func refusesTools(err error) bool {
	var ae smithy.APIError
	return errors.As(err, &ae) && ae.ErrorCode() == "ValidationException" && llm.ToolsUnsupported(ae.ErrorMessage())
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
