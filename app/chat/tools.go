package chat

import (
	"context"
	"encoding/json"

	"github.com/digitaltwin/twin/app/guard"
	"github.com/digitaltwin/twin/app/twin"
)

// guardTools refuses tool calls whose arguments quote the hidden instructions or carry the
// canary, so nothing the model was told in confidence reaches the owner's records or inbox.
func guardTools(g *guard.Guard, call twin.ToolFunc) twin.ToolFunc {
	return func(ctx context.Context, c twin.ToolCall) (string, error) {
		var args map[string]any
		if err := json.Unmarshal(c.Arguments, &args); err == nil {
			for _, v := range args {
				if s, ok := v.(string); ok {
					if safe, reason := g.Check(s); !safe {
						return "", twin.Errorf(twin.CodeInvalidRequest, "tool arguments withheld: %s", reason)
					}
				}
			}
		}
		return call(ctx, c)
	}
}
