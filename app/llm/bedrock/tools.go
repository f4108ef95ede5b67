package bedrock

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime"
	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime/document"
	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime/types"

	"github.com/digitaltwin/twin/app/llm"
	"github.com/digitaltwin/twin/app/twin"
)

// Bounds of the tool loop (docs/decisions/0009).
// MaxToolRounds bounds a reply's tool loop (llm.MaxToolRounds). Converse has no "none" tool
// choice and refuses tool blocks in the history without a toolConfig, so the request after the
// last round keeps the tools and its tool results end with lastRoundNote.
const MaxToolRounds = llm.MaxToolRounds

// lastRoundNote follows the tool results of the last round the loop runs.
const lastRoundNote = "(No more tools can be used in this reply: answer the visitor now, without calling a tool.)"

// toolUse is a tool use being assembled from its stream events.
type toolUse struct {
	block    int32
	id, name string
	input    bytes.Buffer
}

// toolUses assembles the tool uses of one response by content block index.
type toolUses struct{ list []*toolUse }

func (us *toolUses) start(block int32, s types.ToolUseBlockStart) {
	us.list = append(us.list, &toolUse{block: block, id: aws.ToString(s.ToolUseId), name: aws.ToString(s.Name)})
}

func (us *toolUses) input(block int32, piece string) {
	for _, u := range us.list {
		if u.block == block {
			if room := llm.MaxArgumentBytes - u.input.Len(); room > 0 {
				u.input.WriteString(piece[:min(len(piece), room)])
			}
			return
		}
	}
}

// toolLoop runs a reply's tool uses: on when the request has tools and a function to run them.
type toolLoop struct {
	config *types.ToolConfiguration
	call   twin.ToolFunc
	status bool // the model takes a tool result's status (Claude 3+, Nova)
}

func newToolLoop(req twin.GenerateRequest, modelID string) *toolLoop {
	l := &toolLoop{}
	if req.CallTool == nil || len(req.Tools) == 0 {
		return l
	}
	l.call, l.status = req.CallTool, resultStatusSupported(modelID)
	l.config = &types.ToolConfiguration{}
	for _, t := range req.Tools {
		schema := t.Parameters
		if schema == nil {
			schema = map[string]any{"type": "object"}
		}
		l.config.Tools = append(l.config.Tools, &types.ToolMemberToolSpec{Value: types.ToolSpecification{
			Name: aws.String(t.Name), Description: aws.String(t.Description),
			InputSchema: &types.ToolInputSchemaMemberJson{Value: document.NewLazyDocument(schema)},
		}})
	}
	return l
}

// resultStatusSupported: Bedrock documents a tool result's status only for Anthropic Claude and
// Amazon Nova; other models get the error in the result's text alone.
func resultStatusSupported(modelID string) bool {
	return strings.Contains(modelID, "anthropic.") || strings.Contains(modelID, "amazon.nova")
}

// on reports whether tools are offered.
func (l *toolLoop) on() bool { return l.call != nil }

// offer sets the request's tool configuration (every round: the history refers to the tools),
// or none when tools are off (the model refused them).
func (l *toolLoop) offer(in *bedrockruntime.ConverseStreamInput, tools bool) {
	in.ToolConfig = nil
	if tools {
		in.ToolConfig = l.config
	}
}

// results runs the tool uses in order and returns the messages that continue the conversation:
// the assistant message (its text, then its tool uses) and a user message with one tool result
// per use, with status error and "error: ..." when nothing was stored (so the model does not
// claim it was).
func (l *toolLoop) results(ctx context.Context, round int, text string, calls []*toolUse) []types.Message {
	var said, results []types.ContentBlock
	if text != "" { // Converse refuses empty text blocks
		said = append(said, &types.ContentBlockMemberText{Value: text})
	}
	for i, c := range calls {
		id := c.id
		if id == "" {
			id = fmt.Sprintf("tooluse_%d_%d", round, i)
		}
		args := bytes.TrimSpace(c.input.Bytes())
		said = append(said, &types.ContentBlockMemberToolUse{Value: types.ToolUseBlock{
			ToolUseId: aws.String(id), Name: aws.String(c.name), Input: document.NewLazyDocument(historyInput(args)),
		}})

		content, err := "error: too many tool calls in one reply; this one was not run", errors.New("not run")
		if i < llm.MaxCallsPerRound {
			var out string
			out, err = l.call(ctx, twin.ToolCall{ID: id, Name: c.name, Arguments: json.RawMessage(bytes.Clone(args))})
			content = llm.ToolResult(out, err)
		}
		block := types.ToolResultBlock{ToolUseId: aws.String(id), Content: []types.ToolResultContentBlock{&types.ToolResultContentBlockMemberText{Value: content}}}
		if err != nil && l.status {
			block.Status = types.ToolResultStatusError
		}
		results = append(results, &types.ContentBlockMemberToolResult{Value: block})
	}
	if round+1 >= MaxToolRounds {
		results = append(results, &types.ContentBlockMemberText{Value: lastRoundNote})
	}
	return []types.Message{
		{Role: types.ConversationRoleAssistant, Content: said},
		{Role: types.ConversationRoleUser, Content: results},
	}
}

// historyInput is a tool use's input as sent back in the history: the model's JSON object, or
// an empty object when it was not one (Converse wants an object; the result tells the model).
func historyInput(args []byte) map[string]any {
	var v map[string]any
	if err := json.Unmarshal(args, &v); err != nil || v == nil {
		return map[string]any{}
	}
	return v
}
