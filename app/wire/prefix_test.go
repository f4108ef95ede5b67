package wire_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"

	"github.com/digitaltwin/twin/app/chat"
	"github.com/digitaltwin/twin/app/llm/llmtest"
	"github.com/digitaltwin/twin/app/twintest/fakeaws"
	"github.com/digitaltwin/twin/app/twintest/served"
)

// promptModel is a fake OpenAI-compatible server that records every request body and answers
// each with a short streamed reply and a usage chunk.
type promptModel struct {
	mu     sync.Mutex
	bodies []map[string]any
}

func (m *promptModel) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	var body map[string]any
	if err := json.NewDecoder(r.Body).Decode(&body); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	m.mu.Lock()
	m.bodies = append(m.bodies, body)
	m.mu.Unlock()
	w.Header().Set("Content-Type", "text/event-stream")
	for _, ev := range []string{
		`{"choices":[{"index":0,"delta":{"content":"I live in Lisbon."}}]}`,
		`{"choices":[{"index":0,"delta":{},"finish_reason":"stop"}]}`,
		`{"choices":[],"usage":{"prompt_tokens":1200,"completion_tokens":5,"prompt_tokens_details":{"cached_tokens":1024}}}`,
		`[DONE]`,
	} {
		fmt.Fprintf(w, "data: %s\n\n", ev)
	}
}

// systemPrompts returns the first (system) message of every request received.
func (m *promptModel) systemPrompts(t *testing.T) []string {
	t.Helper()
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []string
	for _, b := range m.bodies {
		msgs, _ := b["messages"].([]any)
		if len(msgs) == 0 {
			t.Fatalf("request without messages: %v", b)
		}
		first, _ := msgs[0].(map[string]any)
		if first["role"] != "system" {
			t.Fatalf("first message is %v, not the system prompt", first["role"])
		}
		out = append(out, first["content"].(string))
	}
	return out
}

// The system prompt is the model's cacheable prefix: two processes of one deployment with one
// persona send byte-identical system prompts, in every session and turn. Each child process
// (this test binary again) builds the twin from the same environment, as the binaries do, and
// runs turns against one fake model that records what it receives. A deployment with an origin
// secret (as on AWS, read from a fake Secrets Manager) agrees with itself too, and has another
// canary than the local one.
func TestSystemPromptSameAcrossProcesses(t *testing.T) {
	if url := os.Getenv("TWIN_PREFIX_MODEL_URL"); url != "" {
		runPrefixChild(t, url, os.Getenv("TWIN_PREFIX_DATA_DIR"), os.Getenv("TWIN_PREFIX_SESSION"), os.Getenv("TWIN_PREFIX_ORIGIN_ID"))
		return
	}
	sm := fakeaws.NewSecretsManager(t, "twin/origin", `{"current":"0123456789abcdef0123456789abcdef-origin"}`)
	deployments := map[string][]string{"local": nil, "aws": {
		"TWIN_PREFIX_ORIGIN_ID=twin/origin", "AWS_ENDPOINT_URL_SECRETS_MANAGER=" + sm.URL, "AWS_REGION=eu-west-1",
		"AWS_ACCESS_KEY_ID=AKIDTEST", "AWS_SECRET_ACCESS_KEY=secret", "AWS_EC2_METADATA_DISABLED=true",
	}}
	first := map[string]string{}
	for _, name := range []string{"local", "aws"} {
		model := &promptModel{}
		srv := httptest.NewServer(model)
		defer srv.Close()
		for _, session := range []string{"44444444-4444-4444-8444-444444444444", "55555555-5555-4555-8555-555555555555"} {
			cmd := exec.Command(os.Args[0], "-test.run=^TestSystemPromptSameAcrossProcesses$", "-test.count=1")
			cmd.Env = append(os.Environ(), "TWIN_PREFIX_MODEL_URL="+srv.URL+"/v1", "TWIN_PREFIX_DATA_DIR="+t.TempDir(), "TWIN_PREFIX_SESSION="+session)
			cmd.Env = append(cmd.Env, deployments[name]...)
			if out, err := cmd.CombinedOutput(); err != nil {
				t.Fatalf("%s child process: %v\n%s", name, err, out)
			}
		}
		prompts := model.systemPrompts(t)
		if len(prompts) != 4 {
			t.Fatalf("%s: %d model requests, want 2 turns in each of 2 processes", name, len(prompts))
		}
		for i, p := range prompts[1:] {
			if p != prompts[0] {
				t.Fatalf("%s: request %d's system prompt differs from the first's:\n%s\n---\n%s", name, i+1, p, prompts[0])
			}
		}
		first[name] = prompts[0]
	}
	if first["local"] == first["aws"] {
		t.Fatalf("the deployment with an origin secret has the local twin's canary")
	}
}

// runPrefixChild is one process of TestSystemPromptSameAcrossProcesses: two turns of session.
func runPrefixChild(t *testing.T, modelURL, dataDir, session, originID string) {
	app := served.Build(t, map[string]string{
		"DATA_DIR": dataDir, "PERSONA_FILE": "../../me.txt", "ORIGIN_SECRET_ID": originID,
		"LLM_PROVIDER": "openai", "OPENAI_BASE_URL": modelURL, "OPENAI_MODEL": "gpt-4o-mini", "OPENAI_API_KEY": "sk-test",
	})
	for _, q := range []string{"Where do you live?", "And why there?"} {
		if _, err := app.Chat.Turn(context.Background(), chat.Request{SessionID: session, Message: q}, func(string) error { return nil }); err != nil {
			t.Fatal(err)
		}
	}
}

// BEDROCK_PROMPT_CACHE reaches the wired Bedrock provider: by default a model with prompt
// caching gets a cachePoint after the system prompt; "false" sends none.
func TestBedrockPromptCacheSwitch(t *testing.T) {
	for setting, want := range map[string]bool{"": true, "false": false} {
		fake := llmtest.NewBedrock(t, func(w http.ResponseWriter, r *http.Request, ev *llmtest.EventWriter) {
			ev.Begin()
			ev.Delta("I live in Lisbon.")
			ev.End(20, 5)
		})
		fake.Use(t)
		app := served.Build(t, map[string]string{
			"LLM_PROVIDER": "bedrock", "BEDROCK_MODEL_ID": "eu.anthropic.claude-sonnet-4-6", "BEDROCK_PROMPT_CACHE": setting,
			"DATA_DIR": t.TempDir(), "PERSONA_FILE": "../../me.txt",
		})
		if _, err := app.Chat.Turn(context.Background(), chat.Request{SessionID: "66666666-6666-4666-8666-666666666666", Message: "Where do you live?"}, func(string) error { return nil }); err != nil {
			t.Fatal(err)
		}
		bodies, _ := fake.Requests()
		raw, _ := json.Marshal(bodies[0]["system"])
		if got := strings.Contains(string(raw), `{"cachePoint":{"type":"default"}}`); got != want {
			t.Errorf("BEDROCK_PROMPT_CACHE=%q: system blocks %.120s…, cachePoint %v, want %v", setting, raw, got, want)
		}
	}
}
