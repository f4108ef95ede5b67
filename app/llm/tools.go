package llm

import (
	"context"
	"errors"
	"strings"

	"github.com/digitaltwin/twin/app/twin"
)

// Bounds of a reply's tool loop, the same for every provider.
const (
	// MaxToolRounds is how many times one reply may run the model's tool calls; calls the model
	// makes after that are not run.
	MaxToolRounds = 3
	// MaxCallsPerRound calls of one response are run; the rest are answered with an error.
	MaxCallsPerRound = 4
	// MaxArgumentBytes is what is kept of one call's streamed arguments. More is cut (and the
	// tool function then refuses the arguments, which it bounds far lower).
	MaxArgumentBytes = 64 << 10
)

// ToolResult is what the model is told of a call: the tool's result, or "error: <message>"
// when it failed. The message is the client-safe one of a *twin.Error; any other failure is
// described without its internals, so the model never claims a save that did not happen.
func ToolResult(out string, err error) string {
	if err == nil {
		return out
	}
	var te *twin.Error
	if errors.As(err, &te) && te.Message != "" {
		return "error: " + te.Message + " (nothing was saved)"
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return "error: timed out (nothing was saved)"
	}
	return "error: it could not be saved right now (nothing was saved)"
}

// toolRefusals are the known answers of a model or server without tool support, lowercased.
// Only these turn tools off (for Driver.ToolsCooldown): other errors that mention tools, such as
// a tool_calls history the server rejects or a schema it does not accept, are failures to see in
// the log and the error rate, not a model without tools.
var toolRefusals = []string{
	"does not support tools",             // Ollama: "registry.ollama.ai/library/gemma3:4b does not support tools"
	"doesn't support tool use",           // Bedrock: "This model doesn't support tool use in streaming mode."
	"does not support tool use",          // the same, spelled out
	"'tools' is not supported",           // OpenAI: "Unsupported parameter: 'tools' is not supported with this model."
	"requires --enable-auto-tool-choice", // vLLM: "\"auto\" tool choice requires --enable-auto-tool-choice and --tool-call-parser to be set"
	"tools param requires --jinja",       // llama.cpp's server started without --jinja
}

// ToolsUnsupported reports whether message, a model server's error message, is one of the
// known answers of a model or server that cannot take tools.
func ToolsUnsupported(message string) bool {
	m := strings.ToLower(message)
	for _, r := range toolRefusals {
		if strings.Contains(m, r) {
			return true
		}
	}
	return false
}
