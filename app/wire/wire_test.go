package wire_test

import (
	"context"
	"encoding/json"
	"fmt"
	"github.com/digitaltwin/twin/app/twintest/served"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
)

// snsFake speaks SNS's query protocol and records every Publish.
type snsFake struct {
	mu       sync.Mutex
	messages []string
}

func (f *snsFake) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	_ = r.ParseForm()
	f.mu.Lock()
	f.messages = append(f.messages, r.Form.Get("Subject")+"\n"+r.Form.Get("Message"))
	f.mu.Unlock()
	_, _ = w.Write([]byte(`<PublishResponse xmlns="http://sns.amazonaws.com/doc/2010-03-31/"><PublishResult><MessageId>m</MessageId></PublishResult><ResponseMetadata><RequestId>r</RequestId></ResponseMetadata></PublishResponse>`))
}

// newSNSFake starts the fake and points the AWS SDK at it (static credentials, one region).
func newSNSFake(t *testing.T) *snsFake {
	t.Helper()
	f := &snsFake{}
	srv := httptest.NewServer(f)
	t.Cleanup(srv.Close)
	t.Setenv("AWS_ENDPOINT_URL_SNS", srv.URL)
	t.Setenv("AWS_REGION", "eu-west-1")
	t.Setenv("AWS_ACCESS_KEY_ID", "AKIDTEST")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "secret")
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	return f
}

func (f *snsFake) published() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.messages...)
}

// TestOwnerFeaturesEndToEnd runs the wired local twin (offline responder, file memory) with
// owner notifications going to a fake SNS: a visitor leaving an email makes one lead record and
// one publish, an unknown question one question record, feedback round-trips, and the owner
// summary counts them all.
func TestOwnerFeaturesEndToEnd(t *testing.T) {
	sns := newSNSFake(t)

	data := t.TempDir()
	app, srv := served.Serve(t, map[string]string{
		"DATA_DIR": data, "PERSONA_FILE": "../../me.txt",
		"OWNER_TOPIC_ARN": "arn:aws:sns:eu-west-1:123456789012:twin-owner", "OWNER_NOTIFY_WINDOW_SECONDS": "3600",
		"OFFLINE_TOKEN_DELAY_MS": "0",
	})

	const sid = "11111111-1111-4111-8111-111111111111"
	chat := func(msg string) (reply, id string) {
		t.Helper()
		body, _ := json.Marshal(map[string]any{"message": msg, "session_id": sid})
		resp, err := http.Post(srv.URL+"/api/chat", "application/json", strings.NewReader(string(body)))
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var out struct {
			Response  string
			MessageID string `json:"message_id"`
		}
		if err := json.NewDecoder(resp.Body).Decode(&out); err != nil || resp.StatusCode != 200 {
			t.Fatalf("chat %q: %d %v", msg, resp.StatusCode, err)
		}
		return out.Response, out.MessageID
	}
	chat("I'd like to get in touch with you")
	if reply, _ := chat("Sure: bob@example.com"); !strings.Contains(reply, "saved your email") {
		t.Fatalf("lead reply %q", reply)
	}
	reply, replyID := chat("What is your favourite football team?")
	if !strings.Contains(reply, "noted your question") {
		t.Fatalf("unknown-question reply %q", reply)
	}
	leads, _ := filepath.Glob(filepath.Join(data, "leads", sid, "*.json"))
	questions, _ := filepath.Glob(filepath.Join(data, "questions", sid, "*.json"))
	if len(leads) != 1 || len(questions) != 1 {
		t.Fatalf("records: %d leads, %d questions; want 1 and 1", len(leads), len(questions))
	}
	if raw, _ := os.ReadFile(leads[0]); !strings.Contains(string(raw), `"email":"bob@example.com"`) {
		t.Fatalf("lead record %s", raw)
	}

	resp, err := http.Post(srv.URL+"/api/feedback", "application/json", strings.NewReader(`{"session_id":"`+sid+`","message_id":"`+replyID+`","rating":"down","reason":"too short"}`))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNoContent {
		t.Fatalf("feedback: %d", resp.StatusCode)
	}

	app.Flush(context.Background())
	if got := sns.published(); len(got) != 1 || !strings.Contains(got[0], "bob@example.com") || !strings.Contains(got[0], "football") {
		t.Fatalf("SNS publishes %q: want one batch with the lead and the question", got)
	}

	resp, err = http.Get(srv.URL + "/api/owner/summary")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var sum map[string]any
	if err := json.Unmarshal(raw, &sum); err != nil {
		t.Fatal(err)
	}
	// Of the three visitor messages only the football one is a question; the other two are
	// statements ("Sure: bob@example.com") and are not counted among what visitors ask.
	if sum["leads"] != 1.0 || sum["unanswered_questions"] != 1.0 || sum["thumbs_down"] != 1.0 || len(sum["top_questions"].([]any)) != 1 {
		t.Fatalf("summary %s", raw)
	}
	if strings.Contains(fmt.Sprint(sum["top_questions"]), "bob@example.com") {
		t.Fatalf("an email address in the top questions: %s", raw)
	}
}

// TestLocalWritesStayInDataDir: with DATA_DIR and MEMORY_DIR set apart, everything the local
// twin writes — sessions, leads, questions, feedback, the owner's running totals — lands in one
// of the two (records used to go to the parent of MEMORY_DIR: MEMORY_DIR=/tmp wrote /leads).
func TestLocalWritesStayInDataDir(t *testing.T) {
	root := t.TempDir()
	data, memory := filepath.Join(root, "data"), filepath.Join(root, "elsewhere", "x")
	_, hadLocalData := os.Stat("data")
	_, srv := served.Serve(t, map[string]string{
		"DATA_DIR": data, "MEMORY_DIR": memory, "PERSONA_FILE": "../../me.txt", "OFFLINE_TOKEN_DELAY_MS": "0",
	})
	const sid = "22222222-2222-4222-8222-222222222222"
	var replyID string
	for _, msg := range []string{"I'd like to get in touch with you", "Sure: bob@example.com", "What is your favourite football team?"} {
		body, _ := json.Marshal(map[string]any{"message": msg, "session_id": sid})
		resp, err := http.Post(srv.URL+"/api/chat", "application/json", strings.NewReader(string(body)))
		if err != nil {
			t.Fatal(err)
		}
		var out struct {
			MessageID string `json:"message_id"`
		}
		_ = json.NewDecoder(resp.Body).Decode(&out)
		resp.Body.Close()
		replyID = out.MessageID
	}
	for _, req := range []struct{ method, path, body string }{
		{"POST", "/api/feedback", `{"session_id":"` + sid + `","message_id":"` + replyID + `","rating":"up"}`},
		{"GET", "/api/owner/summary", ""},
	} {
		r, _ := http.NewRequest(req.method, srv.URL+req.path, strings.NewReader(req.body))
		resp, err := http.DefaultClient.Do(r)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode >= 300 {
			t.Fatalf("%s %s: %d", req.method, req.path, resp.StatusCode)
		}
	}
	var files []string
	_ = filepath.WalkDir(root, func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			files = append(files, p)
			if !strings.HasPrefix(p, data+string(filepath.Separator)) && !strings.HasPrefix(p, memory+string(filepath.Separator)) {
				t.Errorf("written outside DATA_DIR and MEMORY_DIR: %s", p)
			}
		}
		return nil
	})
	for _, want := range []string{"sessions", "leads", "questions", "feedback", "owner"} {
		dir := filepath.Join(data, want)
		if want == "sessions" {
			dir = memory
		}
		if !slices.ContainsFunc(files, func(f string) bool { return strings.HasPrefix(f, dir+string(filepath.Separator)) }) {
			t.Errorf("nothing in %s; files: %v", dir, files)
		}
	}
	if _, err := os.Stat("data"); hadLocalData != nil && err == nil {
		t.Errorf("the working folder gained a data/ folder")
	}
}

// openAIToolModel is an OpenAI-compatible server whose model calls record_contact on the first
// request and answers in text once it has the tool's result.
type openAIToolModel struct {
	mu       sync.Mutex
	requests []map[string]any
}

func (m *openAIToolModel) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	var body map[string]any
	_ = json.NewDecoder(r.Body).Decode(&body)
	m.mu.Lock()
	m.requests = append(m.requests, body)
	first := len(m.requests) == 1
	m.mu.Unlock()
	w.Header().Set("Content-Type", "text/event-stream")
	send := func(chunk string) { fmt.Fprintf(w, "data: %s\n\n", chunk) }
	if first {
		send(`{"id":"c1","object":"chat.completion.chunk","choices":[{"index":0,"delta":{"role":"assistant","tool_calls":[{"index":0,"id":"call_1","type":"function","function":{"name":"record_contact","arguments":""}}]},"finish_reason":null}]}`)
		send(`{"id":"c1","object":"chat.completion.chunk","choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"function":{"arguments":"{\"email\":\"bob@"}}]},"finish_reason":null}]}`)
		send(`{"id":"c1","object":"chat.completion.chunk","choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"function":{"arguments":"example.com\",\"note\":\"wants to talk\"}"}}]},"finish_reason":null}]}`)
		send(`{"id":"c1","object":"chat.completion.chunk","choices":[{"index":0,"delta":{},"finish_reason":"tool_calls"}]}`)
	} else {
		send(`{"id":"c2","object":"chat.completion.chunk","choices":[{"index":0,"delta":{"role":"assistant","content":"Thanks, I've passed your email on."},"finish_reason":null}]}`)
		send(`{"id":"c2","object":"chat.completion.chunk","choices":[{"index":0,"delta":{},"finish_reason":"stop"}]}`)
	}
	send(`{"id":"c","object":"chat.completion.chunk","choices":[],"usage":{"prompt_tokens":100,"completion_tokens":10,"total_tokens":110}}`)
	send(`[DONE]`)
}

// TestOpenAIToolCallRecordsOneLead: a real provider's tool call goes through the chat turn's
// guard and the owner service: one lead stored, one notification published, and the model's
// second request carries the tool's confirmation.
func TestOpenAIToolCallRecordsOneLead(t *testing.T) {
	sns := newSNSFake(t)
	model := &openAIToolModel{}
	modelSrv := httptest.NewServer(model)
	defer modelSrv.Close()

	data := t.TempDir()
	app, srv := served.Serve(t, map[string]string{
		"DATA_DIR": data, "PERSONA_FILE": "../../me.txt",
		"LLM_PROVIDER": "openai", "OPENAI_BASE_URL": modelSrv.URL + "/v1", "OPENAI_MODEL": "gpt-test", "OPENAI_API_KEY": "sk-test",
		"OWNER_TOPIC_ARN": "arn:aws:sns:eu-west-1:123456789012:twin-owner",
	})

	const sid = "33333333-3333-4333-8333-333333333333"
	resp, err := http.Post(srv.URL+"/api/chat", "application/json", strings.NewReader(`{"message":"Yes please, my email is bob@example.com","session_id":"`+sid+`"}`))
	if err != nil {
		t.Fatal(err)
	}
	var out struct{ Response string }
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil || resp.StatusCode != 200 {
		t.Fatalf("chat: %d %v", resp.StatusCode, err)
	}
	resp.Body.Close()
	if out.Response != "Thanks, I've passed your email on." {
		t.Fatalf("reply %q", out.Response)
	}
	leads, _ := filepath.Glob(filepath.Join(data, "leads", sid, "*.json"))
	if len(leads) != 1 {
		t.Fatalf("%d leads stored, want 1", len(leads))
	}
	model.mu.Lock()
	reqs := model.requests
	model.mu.Unlock()
	if len(reqs) != 2 || reqs[0]["tools"] == nil {
		t.Fatalf("%d model requests (first offered tools: %v)", len(reqs), reqs[0]["tools"] != nil)
	}
	second, _ := json.Marshal(reqs[1]["messages"])
	if !strings.Contains(string(second), `"role":"tool"`) || !strings.Contains(string(second), "saved") {
		t.Fatalf("second request does not carry the tool's confirmation: %s", second)
	}
	app.Flush(context.Background())
	if got := sns.published(); len(got) != 1 || !strings.Contains(got[0], "bob@example.com") {
		t.Fatalf("SNS publishes %q", got)
	}
}
