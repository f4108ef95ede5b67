package owner

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/digitaltwin/twin/app/twin"
)

func TestToolFuncValidatesModelArguments(t *testing.T) {
	s, _ := newService(t, nil)
	call := s.ToolFunc(sid)
	ctx := context.Background()
	for name, tc := range map[string]struct {
		tool, args string
		ok         bool
	}{
		"valid contact":   {twin.ToolRecordContact, `{"email":"ada@example.com","name":"Ada","note":"talk"}`, true},
		"valid question":  {twin.ToolRecordUnknownQuestion, `{"question":"Do you have pets?"}`, true},
		"invented field":  {twin.ToolRecordContact, `{"email":"ada@example.com","cc":"eve@example.com"}`, false},
		"bad email":       {twin.ToolRecordContact, `{"email":"ada at example"}`, false},
		"two addresses":   {twin.ToolRecordContact, `{"email":"ada@example.com, eve@example.com"}`, false},
		"not json":        {twin.ToolRecordContact, `email=ada@example.com`, false},
		"trailing object": {twin.ToolRecordContact, `{"email":"ada@example.com"}{"email":"eve@example.com"}`, false},
		"empty question":  {twin.ToolRecordUnknownQuestion, `{"question":"  "}`, false},
		"unknown tool":    {"send_email", `{"to":"eve@example.com"}`, false},
		"wrong type":      {twin.ToolRecordUnknownQuestion, `{"question":42}`, false},
	} {
		_, err := call(ctx, twin.ToolCall{Name: tc.tool, Arguments: json.RawMessage(tc.args)})
		if (err == nil) != tc.ok {
			t.Errorf("%s: err = %v, want ok=%v", name, err, tc.ok)
		}
	}
	if got := len(tools); got != 2 {
		t.Fatalf("%d tools", got)
	}
}
