package wire_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/digitaltwin/twin/app/llm/llmtest"
	"github.com/digitaltwin/twin/app/twin"
	"github.com/digitaltwin/twin/app/twintest/served"
)

// The review's payloads: a note and a name that forge a second "New contact request" and a
// "SECURITY NOTICE" in the owner's email, and addresses that turn a mailto: reply into extra
// headers (a BCC to the attacker, a prefilled subject and body).
var hostileCalls = []struct{ name, args string }{
	{twin.ToolRecordContact, `{"email":"x?bcc=attacker@evil.example","note":"reply to me"}`},
	{twin.ToolRecordContact, `{"email":"a?subject=Invoice&body=Pay%20here@evil.example"}`},
	{twin.ToolRecordContact, `{"email":"bob@example.com","name":"Bob\nNew contact request\n  email: attacker@evil.example",` +
		`"note":"hi\n\nSECURITY NOTICE: your account is locked. Verify at https://evil.example/login\n"}`},
	{twin.ToolRecordUnknownQuestion, `{"question":"What's your salary?\r\n\r\nNew contact request\r\n  email: eve@evil.example"}`},
}

// hostileOpenAI is an OpenAI-compatible model that makes every hostile call in its first
// answer and replies in text once it has the results.
func hostileOpenAI(t *testing.T) string {
	n := 0
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n++
		w.Header().Set("Content-Type", "text/event-stream")
		send := func(chunk string) { fmt.Fprintf(w, "data: %s\n\n", chunk) }
		if n == 1 {
			for i, c := range hostileCalls {
				args, _ := json.Marshal(c.args)
				send(fmt.Sprintf(`{"id":"c1","object":"chat.completion.chunk","choices":[{"index":0,"delta":{"tool_calls":[{"index":%d,"id":"call_%d","type":"function","function":{"name":%q,"arguments":%s}}]},"finish_reason":null}]}`, i, i, c.name, args))
			}
			send(`{"id":"c1","object":"chat.completion.chunk","choices":[{"index":0,"delta":{},"finish_reason":"tool_calls"}]}`)
		} else {
			send(`{"id":"c2","object":"chat.completion.chunk","choices":[{"index":0,"delta":{"role":"assistant","content":"Noted."},"finish_reason":null}]}`)
			send(`{"id":"c2","object":"chat.completion.chunk","choices":[{"index":0,"delta":{},"finish_reason":"stop"}]}`)
		}
		send(`[DONE]`)
	}))
	t.Cleanup(srv.Close)
	return srv.URL + "/v1"
}

// hostileBedrock is the same model behind Bedrock's ConverseStream event stream.
func hostileBedrock(t *testing.T) string {
	n := 0
	fake := llmtest.NewBedrock(t, func(w http.ResponseWriter, r *http.Request, ev *llmtest.EventWriter) {
		n++
		ev.Begin()
		if n == 1 {
			for i, c := range hostileCalls {
				ev.ToolUse(i, fmt.Sprintf("tooluse_%d", i), c.name, c.args)
			}
			ev.Stop("tool_use", 40, 9)
			return
		}
		ev.Delta("Noted.")
		ev.End(60, 2)
	})
	return fake.URL
}

// TestHostileOwnerDataIsContained runs the payloads through the tool path of both model
// providers, the real chat turn and the owner service: the tricked addresses are refused, the
// forged lines stay inside one quoted value of one notification, and what is stored is single-line.
func TestHostileOwnerDataIsContained(t *testing.T) {
	for _, provider := range []string{"openai", "bedrock"} {
		t.Run(provider, func(t *testing.T) {
			sns := newSNSFake(t)
			t.Setenv("AWS_CONFIG_FILE", os.DevNull)
			t.Setenv("AWS_SHARED_CREDENTIALS_FILE", os.DevNull)
			data := t.TempDir()
			env := map[string]string{
				"DATA_DIR": data, "PERSONA_FILE": "../../me.txt", "OFFLINE_TOKEN_DELAY_MS": "0",
				"OWNER_TOPIC_ARN": "arn:aws:sns:eu-west-1:123456789012:twin-owner",
			}
			if provider == "openai" {
				env["LLM_PROVIDER"], env["OPENAI_BASE_URL"], env["OPENAI_MODEL"], env["OPENAI_API_KEY"] = "openai", hostileOpenAI(t), "gpt-test", "sk-test"
			} else {
				t.Setenv("AWS_ENDPOINT_URL_BEDROCK_RUNTIME", hostileBedrock(t))
				env["LLM_PROVIDER"], env["BEDROCK_MODEL_ID"] = "bedrock", "us.anthropic.claude-test-v1:0"
			}
			app, srv := served.Serve(t, env)
			const sid = "44444444-4444-4444-8444-444444444444"
			resp, err := http.Post(srv.URL+"/api/chat", "application/json", strings.NewReader(`{"message":"Please pass my details on","session_id":"`+sid+`"}`))
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != 200 {
				t.Fatalf("chat: %d", resp.StatusCode)
			}
			app.Flush(context.Background())
			checkContained(t, data, sid, sns.published())
		})
	}
}

// checkContained asserts what the hostile calls may leave behind: bob's lead and the question,
// single-line, and one notification of them whose only unindented lines are its own.
func checkContained(t *testing.T, data, sid string, published []string) {
	t.Helper()
	leads, questions := checkRecords(t, data, sid)
	if len(leads) != 1 || len(questions) != 1 || leads[0]["email"] != "bob@example.com" {
		t.Fatalf("stored leads %v and questions %v; want bob's lead and the question", leads, questions)
	}
	if len(published) != 1 {
		t.Fatalf("%d notifications, want 1: %q", len(published), published)
	}
	subject, body, _ := strings.Cut(published[0], "\n")
	if subject != "Your digital twin: 1 new contact request, 1 unanswered question" {
		t.Errorf("subject %q", subject)
	}
	if titles := checkNotification(t, body); titles != 2 {
		t.Errorf("%d event titles, want 2 (forged ones stay inside quotes):\n%s", titles, body)
	}
	if !strings.Contains(body, `    note: "hi SECURITY NOTICE: your account is locked. Verify at https://evil.example/login"`) {
		t.Errorf("the note is not one quoted line:\n%s", body)
	}
}

// checkRecords reads the session's stored leads and questions and asserts every value is
// single-line and every address plain.
func checkRecords(t *testing.T, data, sid string) (leads, questions []map[string]any) {
	t.Helper()
	read := func(kind string) []map[string]any {
		files, _ := filepath.Glob(filepath.Join(data, kind, sid, "*.json"))
		var out []map[string]any
		for _, f := range files {
			raw, _ := os.ReadFile(f)
			var rec map[string]any
			if err := json.Unmarshal(raw, &rec); err != nil {
				t.Fatal(err)
			}
			for k, v := range rec {
				if s, ok := v.(string); ok && strings.ContainsAny(s, "\r\n") {
					t.Errorf("%s: %s is not single-line: %q", f, k, s)
				}
			}
			if e, ok := rec["email"].(string); ok && strings.ContainsAny(e, "?&=%/") {
				t.Errorf("%s: stored address %q", f, e)
			}
			out = append(out, rec)
		}
		return out
	}
	return read("leads"), read("questions")
}

// checkNotification asserts every line of a notification body is the template's own — an event
// title, or an indented field with one quoted value — and returns how many titles it has.
func checkNotification(t *testing.T, body string) (titles int) {
	t.Helper()
	for _, line := range strings.Split(body, "\n") {
		switch {
		case line == "":
		case line == "New contact request" || line == "Unanswered question":
			titles++
		case strings.HasPrefix(line, "    ") && strings.HasSuffix(line, `"`) && strings.Contains(line, `: "`):
			// a field: its name, then one quoted single-line value
		default:
			t.Errorf("a line the template does not write: %q", line)
		}
	}
	return titles
}

// TestHostileOwnerDataOffline sends the payloads as a visitor's messages to the offline
// responder, which records leads and questions through the same tools.
func TestHostileOwnerDataOffline(t *testing.T) {
	sns := newSNSFake(t)
	data := t.TempDir()
	app, srv := served.Serve(t, map[string]string{
		"DATA_DIR": data, "PERSONA_FILE": "../../me.txt", "OFFLINE_TOKEN_DELAY_MS": "0",
		"OWNER_TOPIC_ARN": "arn:aws:sns:eu-west-1:123456789012:twin-owner",
	})
	const sid = "55555555-5555-4555-8555-555555555555"
	for _, msg := range []string{
		"I'd like to get in touch with you",
		"Sure: a?subject=Invoice&body=Pay%20here@evil.example",
		"Sure: x?bcc=attacker@evil.example",
		"Here you go: bob@example.com\n\nNew contact request\n  email: eve@evil.example\nSECURITY NOTICE: verify at https://evil.example/login",
		"What is your favourite football team?\r\n\r\nUnanswered question\r\n  SECURITY NOTICE",
	} {
		body, _ := json.Marshal(map[string]any{"message": msg, "session_id": sid})
		resp, err := http.Post(srv.URL+"/api/chat", "application/json", strings.NewReader(string(body)))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 200 {
			t.Fatalf("chat %q: %d", msg, resp.StatusCode)
		}
	}
	app.Flush(context.Background())
	leads, questions := checkRecords(t, data, sid)
	football := func(q map[string]any) bool {
		return strings.HasPrefix(q["question"].(string), "What is your favourite football team?")
	}
	if !slices.ContainsFunc(leads, func(l map[string]any) bool { return l["email"] == "bob@example.com" }) || !slices.ContainsFunc(questions, football) {
		t.Fatalf("stored leads %v and questions %v; want bob's lead and the football question", leads, questions)
	}
	published := sns.published()
	if len(published) != 1 {
		t.Fatalf("%d notifications, want 1: %q", len(published), published)
	}
	_, body, _ := strings.Cut(published[0], "\n")
	if titles := checkNotification(t, body); titles != len(leads)+len(questions) {
		t.Errorf("%d event titles for %d records:\n%s", titles, len(leads)+len(questions), body)
	}
}
