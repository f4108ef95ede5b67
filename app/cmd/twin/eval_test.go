package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/digitaltwin/twin/app/llm/llmtest"
)

const evalPersona = `# Sam Rivera
I repair clocks in a small workshop in Geneva.
My sister got married in Lisbon last spring.
`

// writeEvalFiles writes the persona and a question file next to it; it returns the file's path.
func writeEvalFiles(t *testing.T, questions string) string {
	t.Helper()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "me.txt"), []byte(evalPersona), 0o600); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "questions.yaml")
	if err := os.WriteFile(path, []byte(questions), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func runEvalFor(t *testing.T, env map[string]string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code = runEval(context.Background(), args, func(k string) string { return env[k] }, &out, &errOut)
	return code, out.String(), errOut.String()
}

// TestEvalOffline runs the wired offline twin on a question file whose persona sits next to it;
// nothing is written to the configured data folders.
func TestEvalOffline(t *testing.T) {
	path := writeEvalFiles(t, `persona: me.txt
cases:
  - question: Where is your workshop?
    expect: [Geneva]
  - question: What is your blood type?
    abstain: true
`)
	data := t.TempDir()
	env := map[string]string{"MEMORY_DIR": filepath.Join(data, "sessions"), "DATA_DIR": data}
	code, out, errOut := runEvalFor(t, env, "-questions", path)
	if code != 0 || !strings.HasSuffix(out, "answered 1/1, abstained 1/1\n") || errOut != "" {
		t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
	}
	if entries, _ := os.ReadDir(data); len(entries) != 0 {
		t.Fatalf("eval wrote into the configured data folder: %v", entries)
	}
	code, out, _ = runEvalFor(t, env, "-questions", path, "-json")
	var doc struct {
		Answered, Answerable, Abstained, Unanswerable int
		Cases                                         []struct {
			Question, Reply string
			Pass            bool
		}
	}
	if err := json.Unmarshal([]byte(out), &doc); err != nil || code != 0 || doc.Answered != 1 || doc.Abstained != 1 ||
		len(doc.Cases) != 2 || !strings.Contains(doc.Cases[0].Reply, "Geneva") {
		t.Fatalf("-json: exit %d, %v\n%s", code, err, out)
	}
}

// TestEvalOpenAI runs the eval through the OpenAI provider against a fake speaking the chat
// completions SSE protocol: each case is its own conversation, a case the model fails is reported
// and counted, and missing the threshold exits 1.
func TestEvalOpenAI(t *testing.T) {
	var mu sync.Mutex
	var conversations [][]any
	model := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var body struct {
			Messages []struct {
				Role    string `json:"role"`
				Content any    `json:"content"`
			} `json:"messages"`
		}
		_ = json.NewDecoder(r.Body).Decode(&body)
		last := fmt.Sprint(body.Messages[len(body.Messages)-1].Content)
		mu.Lock()
		conversations = append(conversations, []any{len(body.Messages), last})
		mu.Unlock()
		if strings.Contains(last, "boom") {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusBadRequest)
			_, _ = io.WriteString(w, `{"error":{"message":"bad request","type":"invalid_request_error","param":null,"code":null}}`)
			return
		}
		reply := "I repair clocks in Geneva."
		if strings.Contains(last, "married") {
			reply = "I haven't shared that here."
		}
		w.Header().Set("Content-Type", "text/event-stream")
		for _, d := range []string{reply[:5], reply[5:]} {
			b, _ := json.Marshal(map[string]any{"id": "c", "object": "chat.completion.chunk", "created": 1, "model": "m",
				"choices": []any{map[string]any{"index": 0, "delta": map[string]any{"content": d}, "finish_reason": nil}}})
			fmt.Fprintf(w, "data: %s\n\n", b)
		}
		fmt.Fprint(w, "data: {\"id\":\"c\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"m\",\"choices\":[],\"usage\":{\"prompt_tokens\":9,\"completion_tokens\":2,\"total_tokens\":11}}\n\ndata: [DONE]\n\n")
	}))
	defer model.Close()

	path := writeEvalFiles(t, `cases:
  - question: Where do you work?
    expect: [geneva]
  - question: boom
    expect: [anything]
  - question: Are you married?
    abstain: true
    forbid: [Lisbon]
`)
	env := map[string]string{
		"LLM_PROVIDER": "openai", "OPENAI_BASE_URL": model.URL + "/v1", "OPENAI_MODEL": "gpt-test", "OPENAI_API_KEY": "sk-test",
	}
	code, out, errOut := runEvalFor(t, env, "-questions", path, "-persona", filepath.Join(filepath.Dir(path), "me.txt"))
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if code != 1 || len(lines) != 4 || !strings.HasPrefix(lines[0], "PASS answer ") ||
		!strings.Contains(lines[1], "error: llm_unavailable") || !strings.HasPrefix(lines[2], "PASS abstain ") ||
		lines[3] != "answered 1/2, abstained 1/1" || !strings.Contains(errOut, "below the thresholds") {
		t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
	}
	mu.Lock()
	seen := conversations
	mu.Unlock()
	if len(seen) < 3 {
		t.Fatalf("%d model requests for 3 cases", len(seen))
	}
	for _, c := range seen {
		if c[0] != 2 { // system prompt + the one question: a fresh session per case
			t.Fatalf("a case's request carried earlier messages: %v", seen)
		}
	}
	if code, out, errOut := runEvalFor(t, env, "-questions", path, "-persona", filepath.Join(filepath.Dir(path), "me.txt"), "-min-answered", "0.5"); code != 0 {
		t.Fatalf("with -min-answered 0.5: exit %d, want 0\n%s\n%s", code, out, errOut)
	}
}

func TestEvalBadInput(t *testing.T) {
	good := writeEvalFiles(t, "persona: me.txt\ncases:\n  - question: x\n    expect: [y]\n")
	malformed := writeEvalFiles(t, "cases:\n  - question: x\n    expect: y\n  - question: z\n")
	empty := writeEvalFiles(t, "cases: []\n")
	for _, tc := range []struct {
		args []string
		want string
	}{
		{nil, "-questions FILE is required"},
		{[]string{"-questions", good, "extra"}, `unexpected argument "extra"`},
		{[]string{"-questions", good, "-min-answered", "1.5"}, "-min-answered must be between 0 and 1"},
		{[]string{"-questions", filepath.Join(t.TempDir(), "missing.yaml")}, "missing.yaml: no such file"},
		{[]string{"-questions", malformed}, malformed + ":4: case 2: needs expect"},
		{[]string{"-questions", empty}, empty + ":1: the cases list is empty"},
		{[]string{"-questions", good, "-persona", filepath.Join(t.TempDir(), "nobody.txt")}, "nobody.txt"},
		{[]string{"-no-such-flag"}, "flag provided but not defined"},
	} {
		code, out, errOut := runEvalFor(t, map[string]string{}, tc.args...)
		if code != 2 || out != "" || !strings.Contains(errOut, tc.want) {
			t.Errorf("eval %q: exit %d, stdout %q, stderr %q; want 2 and %q", tc.args, code, out, errOut, tc.want)
		}
	}
}

// TestEvalBedrock runs the eval through the Bedrock provider against a fake speaking
// ConverseStream's event stream, found through the SDK's standard endpoint variable.
func TestEvalBedrock(t *testing.T) {
	var calls atomic.Int32
	fake := llmtest.NewBedrock(t, func(w http.ResponseWriter, r *http.Request, ev *llmtest.EventWriter) {
		ev.Begin()
		if calls.Add(1) == 1 {
			ev.Delta("I repair clocks ")
			ev.Delta("in Geneva.")
		} else {
			ev.Delta("That's not something I've shared here.")
		}
		ev.End(20, 5)
	})
	fake.Use(t)
	path := writeEvalFiles(t, `persona: me.txt
cases:
  - question: Where is your workshop?
    expect: [Geneva]
  - question: Are you married?
    abstain: true
`)
	code, out, errOut := runEvalFor(t, map[string]string{"LLM_PROVIDER": "bedrock", "BEDROCK_MODEL_ID": "us.anthropic.claude-test-v1:0"}, "-questions", path)
	if code != 0 || !strings.HasSuffix(out, "answered 1/1, abstained 1/1\n") {
		t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
	}
	if _, paths := fake.Requests(); len(paths) != 2 {
		t.Fatalf("Bedrock calls: %v, want one per case", paths)
	}
}
