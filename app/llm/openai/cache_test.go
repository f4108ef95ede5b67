package openai_test

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/digitaltwin/twin/app/secrets"
	"github.com/digitaltwin/twin/app/twin"
)

// The prompt cache: every request of a persona carries the same prompt_cache_key (from the
// persona version; another version, another key), the per-turn note follows the unchanged system
// prompt in the one system message, and the cached part of the prompt
// (usage.prompt_tokens_details.cached_tokens of the final chunk) is reported apart.
func TestPromptCacheKeyNoteAndCachedTokens(t *testing.T) {
	const cachedUsage = `{"id":"c1","object":"chat.completion.chunk","created":1,"model":"m","choices":[],"usage":{"prompt_tokens":3100,"completion_tokens":7,"total_tokens":3107,"prompt_tokens_details":{"cached_tokens":2944}}}`
	f := &fakeOpenAI{handle: func(w http.ResponseWriter, _ *http.Request, _ int) {
		sse(w, chunk("Lisbon."), cachedUsage, "[DONE]")
	}}
	p := newProvider(t, f.start(t), secrets.Static("sk-test"), nil)
	stream := func(version, note string) twin.Usage {
		t.Helper()
		r := req
		r.Persona = twin.Persona{Name: "Ada", Text: "I live in Lisbon.", Version: version}
		r.Note = note
		u, err := p.Stream(context.Background(), r, func(string) error { return nil })
		if err != nil {
			t.Fatal(err)
		}
		return u
	}
	u := stream("etag-1", "")
	if want := (twin.Usage{InputTokens: 3100, OutputTokens: 7, CachedInputTokens: 2944}); u != want {
		t.Fatalf("usage = %+v, want %+v", u, want)
	}
	stream("etag-1", "The first 4 messages of this conversation are not shown here.")
	stream("etag-2", "")

	key := func(i int) string { s, _ := f.requests[i]["prompt_cache_key"].(string); return s }
	if key(0) == "" || !strings.HasPrefix(key(0), "twin-persona-") || key(1) != key(0) {
		t.Fatalf("prompt_cache_key %q then %q, want one twin-persona- key for one persona version", key(0), key(1))
	}
	if key(2) == key(0) {
		t.Fatalf("another persona version has the same prompt_cache_key %q", key(2))
	}
	for i, want := range []string{req.System, req.System + "\nThe first 4 messages of this conversation are not shown here."} {
		msgs := f.requests[i]["messages"].([]any)
		first, second := msgs[0].(map[string]any), msgs[1].(map[string]any)
		if len(msgs) != len(req.Messages)+1 || first["role"] != "system" || first["content"] != want || second["role"] != "user" {
			t.Fatalf("request %d: %d messages starting %v, %v; want one system message %q, then the conversation", i, len(msgs), first, second, want)
		}
	}
}
