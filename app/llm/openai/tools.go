package openai

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"

	"github.com/digitaltwin/twin/app/llm"
	"github.com/digitaltwin/twin/app/twin"
)

// Bounds of the tool loop (docs/decisions/0009).
// MaxToolRounds bounds a reply's tool loop (llm.MaxToolRounds). The request after the last round
// still lists the tools (the history refers to them) but with tool_choice "none".
const MaxToolRounds = llm.MaxToolRounds

// chatTool is one entry of the request's tools.
type chatTool struct {
	Type     string       `json:"type"` // "function"
	Function chatFunction `json:"function"`
}

type chatFunction struct {
	Name        string         `json:"name"`
	Description string         `json:"description,omitempty"`
	Parameters  map[string]any `json:"parameters,omitempty"`
}

// chatToolCall is a tool call in an assistant message of the request's history.
type chatToolCall struct {
	ID       string `json:"id"`
	Type     string `json:"type"` // "function"
	Function struct {
		Name      string `json:"name"`
		Arguments string `json:"arguments"`
	} `json:"function"`
}

// toolCallDelta is one streamed piece of a tool call: the first piece of a call carries its id
// and name, the following ones pieces of the arguments, all with the call's index.
type toolCallDelta struct {
	Index    *int   `json:"index"`
	ID       string `json:"id"`
	Function struct {
		Name      string `json:"name"`
		Arguments string `json:"arguments"`
	} `json:"function"`
}

// callPart is a tool call being assembled from its deltas.
type callPart struct {
	index    int
	id, name string
	args     bytes.Buffer
}

// callParts assembles the tool calls of one response, in the order they started.
type callParts struct{ list []*callPart }

func (cs *callParts) add(deltas []toolCallDelta) {
	for _, d := range deltas {
		c := cs.find(d)
		if c == nil {
			c = &callPart{index: len(cs.list)}
			if d.Index != nil {
				c.index = *d.Index
			}
			cs.list = append(cs.list, c)
		}
		if d.ID != "" && c.id == "" {
			c.id = d.ID
		}
		if d.Function.Name != "" && c.name == "" {
			c.name = d.Function.Name
		}
		if room := llm.MaxArgumentBytes - c.args.Len(); room > 0 {
			c.args.WriteString(d.Function.Arguments[:min(len(d.Function.Arguments), room)])
		}
	}
}

// find returns the call a delta continues: the last one with its index. Without an index (some
// compatible servers send whole calls) a delta continues the last call unless it starts a new
// one: it brings another id, or a name (only a call's first delta names it).
func (cs *callParts) find(d toolCallDelta) *callPart {
	if d.Index != nil {
		for i := len(cs.list) - 1; i >= 0; i-- {
			if c := cs.list[i]; c.index == *d.Index {
				if d.ID != "" && c.id != "" && d.ID != c.id {
					return nil // a new call reusing the index (some servers send 0 for every call)
				}
				return c
			}
		}
		return nil
	}
	if n := len(cs.list); n > 0 {
		last := cs.list[n-1]
		if (d.ID == "" || d.ID == last.id) && (d.Function.Name == "" || last.name == "") {
			return last
		}
	}
	return nil
}

// toolLoop runs a reply's tool calls: on when the request has tools and a function to run them.
type toolLoop struct {
	tools []chatTool
	call  twin.ToolFunc
}

func newToolLoop(req twin.GenerateRequest) *toolLoop {
	l := &toolLoop{}
	if req.CallTool == nil || len(req.Tools) == 0 {
		return l
	}
	l.call = req.CallTool
	for _, t := range req.Tools {
		l.tools = append(l.tools, chatTool{Type: "function", Function: chatFunction{Name: t.Name, Description: t.Description, Parameters: t.Parameters}})
	}
	return l
}

// on reports whether tools are offered.
func (l *toolLoop) on() bool { return l.call != nil }

// offer sets the request's tools for a round: "auto" until the bound, then "none"; none at all
// when tools are off (the model refused them).
func (l *toolLoop) offer(body *chatRequest, round int, tools bool) {
	body.Tools, body.ToolChoice = nil, ""
	if !tools {
		return
	}
	body.Tools, body.ToolChoice = l.tools, "auto"
	if round >= MaxToolRounds {
		body.ToolChoice = "none"
	}
}

// results runs the calls in order and returns the messages that continue the conversation: the
// assistant message with its text and tool calls, then one tool message per call carrying the
// result, or "error: ..." when nothing was stored (so the model does not claim it was).
func (l *toolLoop) results(ctx context.Context, round int, text string, calls []*callPart) []chatMessage {
	assistant := chatMessage{Role: "assistant", Content: text}
	msgs := make([]chatMessage, 1, len(calls)+1)
	for i, c := range calls {
		id := c.id
		if id == "" { // some compatible servers send none; the results must name the call
			id = fmt.Sprintf("call_%d_%d", round, i)
		}
		args := bytes.TrimSpace(c.args.Bytes())
		var tc chatToolCall
		tc.ID, tc.Type, tc.Function.Name, tc.Function.Arguments = id, "function", c.name, historyArguments(args)
		assistant.ToolCalls = append(assistant.ToolCalls, tc)

		result := "error: too many tool calls in one reply; this one was not run"
		if i < llm.MaxCallsPerRound {
			out, err := l.call(ctx, twin.ToolCall{ID: id, Name: c.name, Arguments: json.RawMessage(bytes.Clone(args))})
			result = llm.ToolResult(out, err)
		}
		msgs = append(msgs, chatMessage{Role: "tool", ToolCallID: id, Content: result})
	}
	msgs[0] = assistant
	return msgs
}

// historyArguments is a call's arguments as sent back in the history: as the model wrote them
// when they are a JSON object, else "{}" (servers that parse the history, such as Ollama, refuse
// a request whose tool call arguments are not JSON; the tool's error result tells the model).
func historyArguments(args []byte) string {
	if len(args) > 0 && args[0] == '{' && json.Valid(args) {
		return string(args)
	}
	return "{}"
}
