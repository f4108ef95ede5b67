package twin

import (
	"context"
	"encoding/json"
)

// Tool is a function the model may call during a reply (the owner features' record_contact and
// record_unknown_question). Parameters is the JSON schema of the arguments object.
type Tool struct {
	Name        string
	Description string
	Parameters  map[string]any
}

// ToolCall is one call a model made. Arguments are the model's raw JSON: validate them like
// visitor input.
type ToolCall struct {
	ID        string
	Name      string
	Arguments json.RawMessage
}

// ToolFunc runs a tool call and returns the result the model sees next. An error means nothing
// was recorded; its message is what the model is told.
type ToolFunc func(ctx context.Context, call ToolCall) (string, error)

// The owner tools every provider may be offered.
const (
	ToolRecordContact         = "record_contact"
	ToolRecordUnknownQuestion = "record_unknown_question"
)
