package twintest

import (
	"encoding/json"
	"strings"
)

// StreamEvents parses an AI SDK UI message stream body (`data: {json}` lines) into its events,
// in order; `data: [DONE]` is left out.
func StreamEvents(body string) []map[string]any {
	var out []map[string]any
	for _, line := range strings.Split(body, "\n") {
		data, ok := strings.CutPrefix(line, "data: ")
		if !ok || data == "[DONE]" {
			continue
		}
		var ev map[string]any
		if json.Unmarshal([]byte(data), &ev) == nil {
			out = append(out, ev)
		}
	}
	return out
}

// StreamText is the reply a UI message stream body showed: its text deltas joined.
func StreamText(body string) string {
	var b strings.Builder
	for _, ev := range StreamEvents(body) {
		if d, ok := ev["delta"].(string); ok && ev["type"] == "text-delta" {
			b.WriteString(d)
		}
	}
	return b.String()
}
