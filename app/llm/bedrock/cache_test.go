package bedrock_test

import (
	"context"
	"encoding/json"
	"net/http"
	"testing"

	"github.com/digitaltwin/twin/app/llm/bedrock"
	"github.com/digitaltwin/twin/app/llm/llmtest"
	"github.com/digitaltwin/twin/app/twin"
)

// endCached ends a reply with a metadata event that reports a prompt cache read and write.
func endCached(s *llmtest.EventWriter) {
	s.Event("contentBlockStop", map[string]any{"contentBlockIndex": 0})
	s.Event("messageStop", map[string]any{"stopReason": "end_turn"})
	s.Event("metadata", map[string]any{
		"usage": map[string]any{"inputTokens": 40, "outputTokens": 9, "totalTokens": 3149,
			"cacheReadInputTokens": 3000, "cacheWriteInputTokens": 100},
		"metrics": map[string]any{"latencyMs": 12},
	})
}

// The prompt cache: for a model with prompt caching, the request's system blocks are the system
// prompt, a cachePoint, then the turn's note; the metadata event's cache read and write come back
// as cached and cache-write input tokens, both counted in the input. With the switch off, or a
// model without caching, no cachePoint is sent.
func TestCachePointAndCachedUsage(t *testing.T) {
	for _, tc := range []struct {
		name, model string
		on, want    bool
	}{
		{"claude through an EU profile", "eu.anthropic.claude-sonnet-4-6", true, true},
		{"nova", "amazon.nova-lite-v1:0", true, true},
		{"switched off", "eu.anthropic.claude-sonnet-4-6", false, false},
		{"model without caching", "meta.llama3-1-8b-instruct-v1:0", true, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := &fakeBedrock{model: tc.model, configure: func(c *bedrock.Config) { c.PromptCache = tc.on },
				handle: func(_ http.ResponseWriter, _ *http.Request, s *llmtest.EventWriter) {
					s.Begin()
					s.Delta("Lisbon.")
					endCached(s)
				}}
			p := f.start(t)
			r := req
			r.Note = "The first 2 messages of this conversation are not shown here."
			u, err := p.Stream(context.Background(), r, func(string) error { return nil })
			if err != nil {
				t.Fatal(err)
			}
			if want := (twin.Usage{InputTokens: 3140, OutputTokens: 9, CachedInputTokens: 3000, CacheWriteTokens: 100}); u != want {
				t.Fatalf("usage = %+v, want %+v", u, want)
			}
			bodies, _ := f.fake.Requests()
			raw, _ := json.Marshal(bodies[0]["system"])
			want := `[{"text":"You are Ada's twin."},{"text":"The first 2 messages of this conversation are not shown here."}]`
			if tc.want {
				want = `[{"text":"You are Ada's twin."},{"cachePoint":{"type":"default"}},{"text":"The first 2 messages of this conversation are not shown here."}]`
			}
			if string(raw) != want {
				t.Fatalf("system = %s, want %s", raw, want)
			}
		})
	}
}
