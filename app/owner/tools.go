package owner

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"

	"github.com/digitaltwin/twin/app/twin"
)

// Tools are the owner tools offered to models (the chat turn's view of the service): the same
// slice every turn, built once; providers only read it.
func (s *Service) Tools() []twin.Tool { return tools }

// tools are the owner tools offered to models that can call them.
var tools = []twin.Tool{
	{
		Name: twin.ToolRecordContact,
		Description: "Save a visitor's contact details for the owner, only after the visitor asked to get in touch " +
			"and agreed to leave their email address. Never invent an address; never send anything to it.",
		Parameters: map[string]any{
			"type": "object",
			"properties": map[string]any{
				"email": map[string]any{"type": "string", "description": "the visitor's email address, exactly as they wrote it"},
				"name":  map[string]any{"type": "string", "description": "the visitor's name, if they gave it"},
				"note":  map[string]any{"type": "string", "description": "what they want to talk about, in a sentence"},
			},
			"required":             []string{"email"},
			"additionalProperties": false,
		},
	},
	{
		Name:        twin.ToolRecordUnknownQuestion,
		Description: "Note a visitor's question that the persona does not answer, so the owner can add it.",
		Parameters: map[string]any{
			"type": "object",
			"properties": map[string]any{
				"question": map[string]any{"type": "string", "description": "the visitor's question"},
			},
			"required":             []string{"question"},
			"additionalProperties": false,
		},
	},
}

// maxToolArgsBytes bounds what a model's tool call may carry.
const maxToolArgsBytes = 4 << 10

// ToolFunc returns the function that runs the owner tools for one session. The model's
// arguments are decoded strictly and validated like visitor input; the result tells the model
// whether the record was stored, so it never claims otherwise.
func (s *Service) ToolFunc(sessionID string) twin.ToolFunc {
	return func(ctx context.Context, call twin.ToolCall) (string, error) {
		if len(call.Arguments) > maxToolArgsBytes {
			return "", invalid("arguments", "are too large")
		}
		switch call.Name {
		case twin.ToolRecordContact:
			var args struct{ Email, Name, Note string }
			if err := strictDecode(call.Arguments, &args); err != nil {
				return "", err
			}
			if _, err := s.RecordLead(ctx, Lead{SessionID: sessionID, Email: args.Email, Name: args.Name, Note: args.Note}); err != nil {
				return "", err
			}
			return "The contact details were saved for the owner.", nil
		case twin.ToolRecordUnknownQuestion:
			var args struct{ Question string }
			if err := strictDecode(call.Arguments, &args); err != nil {
				return "", err
			}
			if _, err := s.RecordQuestion(ctx, Question{SessionID: sessionID, Question: args.Question}); err != nil {
				return "", err
			}
			return "The question was noted for the owner.", nil
		default:
			return "", invalid("tool", fmt.Sprintf("%q is not a known tool", call.Name))
		}
	}
}

func strictDecode(raw json.RawMessage, v any) error {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return invalid("arguments", "must be a JSON object with the tool's fields")
	}
	if err := dec.Decode(&struct{}{}); !errors.Is(err, io.EOF) {
		return invalid("arguments", "must be a single JSON object")
	}
	return nil
}
