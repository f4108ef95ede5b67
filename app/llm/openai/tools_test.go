package openai_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/digitaltwin/twin/app/llm/openai"
	"github.com/digitaltwin/twin/app/owner"
	"github.com/digitaltwin/twin/app/secrets"
	"github.com/digitaltwin/twin/app/twin"
	"github.com/digitaltwin/twin/app/twintest"
)

// toolStart is the first chunk of a streamed tool call: its index, id and name.
func toolStart(index int, id, name string) string {
	return toolChunk(map[string]any{"index": index, "id": id, "type": "function", "function": map[string]any{"name": name, "arguments": ""}})
}

// toolArgs is one piece of a tool call's arguments.
func toolArgs(index int, piece string) string {
	return toolChunk(map[string]any{"index": index, "function": map[string]any{"arguments": piece}})
}

func toolChunk(call map[string]any) string {
	b, _ := json.Marshal(map[string]any{
		"id": "c1", "object": "chat.completion.chunk", "created": 1, "model": "m",
		"choices": []any{map[string]any{"index": 0, "delta": map[string]any{"tool_calls": []any{call}}, "finish_reason": nil}},
	})
	return string(b)
}

func finish(reason string) string {
	return fmt.Sprintf(`{"id":"c1","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,"delta":{},"finish_reason":%q}]}`, reason)
}

func usage(in, out int) string {
	return fmt.Sprintf(`{"id":"c1","object":"chat.completion.chunk","created":1,"model":"m","choices":[],"usage":{"prompt_tokens":%d,"completion_tokens":%d}}`, in, out)
}

func toolReq(r *twintest.Tools) twin.GenerateRequest {
	tr := req
	tr.Messages = append(append([]twin.Message(nil), req.Messages...), twin.Message{Role: twin.RoleUser, Content: "I'd like to hire Ada: ana@example.com"})
	tr.Tools = []twin.Tool{{Name: twin.ToolRecordContact, Description: "Save contact details.", Parameters: map[string]any{
		"type": "object", "properties": map[string]any{"email": map[string]any{"type": "string"}}, "required": []string{"email"},
	}}}
	tr.CallTool = r.Call
	return tr
}

func stream(p *openai.Provider, r twin.GenerateRequest) (string, twin.Usage, error) {
	var sb strings.Builder
	u, err := p.Stream(context.Background(), r, func(d string) error { sb.WriteString(d); return nil })
	return sb.String(), u, err
}

// lastMessages returns the last n messages of request body.
func lastMessages(t *testing.T, body map[string]any, n int) []map[string]any {
	t.Helper()
	msgs := body["messages"].([]any)
	if len(msgs) < n {
		t.Fatalf("%d messages, want at least %d", len(msgs), n)
	}
	var out []map[string]any
	for _, m := range msgs[len(msgs)-n:] {
		out = append(out, m.(map[string]any))
	}
	return out
}

const contactArgs = `{"email":"ana@example.com","note":"wants to hire Ada"}`

func TestToolCallRoundTrip(t *testing.T) {
	f := &fakeOpenAI{handle: func(w http.ResponseWriter, _ *http.Request, n int) {
		if n == 1 {
			sse(w, chunk("Let me note that."), toolStart(0, "call_1", twin.ToolRecordContact),
				toolArgs(0, `{"email":"ana@exa`), toolArgs(0, `mple.com","note":"wants`), toolArgs(0, ` to hire Ada"}`),
				finish("tool_calls"), usage(40, 9), "[DONE]")
			return
		}
		sse(w, chunk("Saved: Ada will "), chunk("be in touch."), finish("stop"), usage(60, 7), "[DONE]")
	}}
	rec := &twintest.Tools{Result: "The contact details were saved for the owner."}
	p := newProvider(t, f.start(t), secrets.Static("sk"), nil)
	text, u, err := stream(p, toolReq(rec))
	if err != nil {
		t.Fatal(err)
	}
	if got, want := text, "Let me note that.\n\nSaved: Ada will be in touch."; got != want {
		t.Errorf("text = %q, want %q", got, want)
	}
	if got, want := u, (twin.Usage{InputTokens: 100, OutputTokens: 16}); got != want {
		t.Errorf("usage = %+v, want the sum %+v", got, want)
	}
	if len(rec.Calls()) != 1 {
		t.Fatalf("CallTool called %d times, want 1", len(rec.Calls()))
	}
	if c := rec.Calls()[0]; c.ID != "call_1" || c.Name != twin.ToolRecordContact || string(c.Arguments) != contactArgs {
		t.Errorf("call = %+v %s, want call_1 record_contact %s", c, c.Arguments, contactArgs)
	}
	if len(f.requests) != 2 {
		t.Fatalf("%d requests, want 2", len(f.requests))
	}

	first := f.requests[0]
	if first["tool_choice"] != "auto" {
		t.Errorf("tool_choice = %v, want auto", first["tool_choice"])
	}
	tools, _ := json.Marshal(first["tools"])
	if want := `[{"function":{"description":"Save contact details.","name":"record_contact","parameters":{"properties":{"email":{"type":"string"}},"required":["email"],"type":"object"}},"type":"function"}]`; string(tools) != want {
		t.Errorf("tools =\n%s\nwant\n%s", tools, want)
	}

	second := f.requests[1]
	if second["tool_choice"] != "auto" || second["tools"] == nil {
		t.Errorf("second request: tools %v, tool_choice %v; want the tools offered again", second["tools"], second["tool_choice"])
	}
	got, _ := json.Marshal(lastMessages(t, second, 3))
	want := `[{"content":"I'd like to hire Ada: ana@example.com","role":"user"},` +
		`{"content":"Let me note that.","role":"assistant","tool_calls":[{"function":{"arguments":"{\"email\":\"ana@example.com\",\"note\":\"wants to hire Ada\"}","name":"record_contact"},"id":"call_1","type":"function"}]},` +
		`{"content":"The contact details were saved for the owner.","role":"tool","tool_call_id":"call_1"}]`
	if string(got) != want {
		t.Errorf("second request's last messages =\n%s\nwant\n%s", got, want)
	}
}

func TestToolCallFailureIsToldToTheModel(t *testing.T) {
	f := &fakeOpenAI{handle: func(w http.ResponseWriter, _ *http.Request, n int) {
		if n == 1 { // no text before the call
			sse(w, toolStart(0, "call_9", twin.ToolRecordContact), toolArgs(0, `{"email":`), toolArgs(0, `"not-an-address"}`), finish("tool_calls"), "[DONE]")
			return
		}
		sse(w, chunk("That address doesn't look right; could you check it?"), finish("stop"), "[DONE]")
	}}
	rec := &twintest.Tools{Err: &twin.Error{Code: twin.CodeInvalidRequest, Message: "email is not a valid address", Err: errors.New("internal detail")}}
	p := newProvider(t, f.start(t), secrets.Static("sk"), nil)
	text, _, err := stream(p, toolReq(rec))
	if err != nil || text != "That address doesn't look right; could you check it?" {
		t.Fatalf("text %q, err %v", text, err)
	}
	if len(rec.Calls()) != 1 || string(rec.Calls()[0].Arguments) != `{"email":"not-an-address"}` {
		t.Fatalf("calls = %+v", rec.Calls())
	}
	tool := lastMessages(t, f.requests[1], 1)[0]
	content, _ := tool["content"].(string)
	if tool["role"] != "tool" || tool["tool_call_id"] != "call_9" || !strings.HasPrefix(content, "error: email is not a valid address") {
		t.Errorf("tool message = %v, want an error result for call_9", tool)
	}
	if strings.Contains(content, "internal detail") {
		t.Errorf("the wrapped cause reached the model: %q", content)
	}
}

func TestToolLoopIsBounded(t *testing.T) {
	f := &fakeOpenAI{handle: func(w http.ResponseWriter, _ *http.Request, n int) {
		// A model that calls the tool every time, even when told not to.
		sse(w, toolStart(0, fmt.Sprintf("call_%d", n), twin.ToolRecordContact), toolArgs(0, contactArgs), finish("tool_calls"), usage(10, 1), "[DONE]")
	}}
	rec := &twintest.Tools{Result: "saved"}
	p := newProvider(t, f.start(t), secrets.Static("sk"), nil)
	_, u, err := stream(p, toolReq(rec))
	if twin.ErrorCode(err) != twin.CodeLLMUnavailable {
		t.Errorf("err = %v, want llm_unavailable (the model never answered)", err)
	}
	if got, want := len(rec.Calls()), openai.MaxToolRounds; got != want {
		t.Errorf("CallTool called %d times, want %d", got, want)
	}
	if got, want := len(f.requests), openai.MaxToolRounds+1; got != want {
		t.Fatalf("%d requests, want %d", got, want)
	}
	if last := f.requests[len(f.requests)-1]; last["tool_choice"] != "none" || last["tools"] == nil {
		t.Errorf("last request: tool_choice %v, tools %v; want none, with the tools listed", last["tool_choice"], last["tools"])
	}
	if u.InputTokens != 10*(openai.MaxToolRounds+1) {
		t.Errorf("usage = %+v, want the sum over all requests", u)
	}
}

func TestNoToolsWithoutCallTool(t *testing.T) {
	f := &fakeOpenAI{handle: func(w http.ResponseWriter, _ *http.Request, _ int) {
		// A server that calls a tool nobody offered: the call is ignored, the text stands.
		sse(w, chunk("hello"), toolStart(0, "call_1", twin.ToolRecordContact), toolArgs(0, contactArgs), finish("tool_calls"), "[DONE]")
	}}
	p := newProvider(t, f.start(t), secrets.Static("sk"), nil)
	r := toolReq(&twintest.Tools{})
	r.CallTool = nil
	text, _, err := stream(p, r)
	if err != nil || text != "hello" || len(f.requests) != 1 {
		t.Fatalf("text %q, err %v, %d requests", text, err, len(f.requests))
	}
	for _, k := range []string{"tools", "tool_choice"} {
		if v, ok := f.requests[0][k]; ok {
			t.Errorf("request has %s = %v", k, v)
		}
	}
}

// TestUnusualToolCalls: arguments over the tool's limit, not JSON, and a server (Ollama style)
// that sends whole calls without index or id and ends with finish_reason "stop". Every call
// reaches CallTool as the model wrote it; the history gets "{}" for arguments that are not JSON.
func TestUnusualToolCalls(t *testing.T) {
	big := `{"email":"ana@example.com","note":"` + strings.Repeat("x", 10<<10) + `"}`
	f := &fakeOpenAI{handle: func(w http.ResponseWriter, _ *http.Request, n int) {
		if n == 1 {
			var pieces []string
			for i := 0; i < len(big); i += 1000 {
				pieces = append(pieces, toolArgs(0, big[i:min(i+1000, len(big))]))
			}
			sse(w, append(append([]string{toolStart(0, "call_big", twin.ToolRecordContact)}, pieces...),
				toolChunk(map[string]any{"function": map[string]any{"name": twin.ToolRecordUnknownQuestion, "arguments": `{"question": what`}}),
				finish("stop"), "[DONE]")...)
			return
		}
		sse(w, chunk("ok"), "[DONE]")
	}}
	rec := &twintest.Tools{Err: &twin.Error{Code: twin.CodeInvalidRequest, Message: "arguments are too large"}}
	p := newProvider(t, f.start(t), secrets.Static("sk"), nil)
	text, _, err := stream(p, toolReq(rec))
	if err != nil || text != "ok" {
		t.Fatalf("text %q, err %v", text, err)
	}
	if len(rec.Calls()) != 2 || string(rec.Calls()[0].Arguments) != big || string(rec.Calls()[1].Arguments) != `{"question": what` {
		t.Fatalf("calls = %d, want the big and the broken one as sent", len(rec.Calls()))
	}
	if rec.Calls()[1].ID == "" || rec.Calls()[1].Name != twin.ToolRecordUnknownQuestion {
		t.Errorf("second call = %+v, want a made-up id and its name", rec.Calls()[1])
	}
	msgs := lastMessages(t, f.requests[1], 3)
	calls := msgs[0]["tool_calls"].([]any)
	if got := calls[1].(map[string]any)["function"].(map[string]any)["arguments"]; got != "{}" {
		t.Errorf("history arguments of the broken call = %v, want {}", got)
	}
	if msgs[2]["tool_call_id"] != calls[1].(map[string]any)["id"] {
		t.Errorf("result %v does not answer call %v", msgs[2], calls[1])
	}
}

func TestFollowUpFailure(t *testing.T) {
	for name, tc := range map[string]struct {
		firstText   string
		unavailable bool
	}{
		"after text":  {"One moment.", false},
		"before text": {"", true},
	} {
		t.Run(name, func(t *testing.T) {
			f := &fakeOpenAI{handle: func(w http.ResponseWriter, _ *http.Request, n int) {
				if n == 1 {
					events := []string{toolStart(0, "call_1", twin.ToolRecordContact), toolArgs(0, contactArgs), finish("tool_calls"), "[DONE]"}
					if tc.firstText != "" {
						events = append([]string{chunk(tc.firstText)}, events...)
					}
					sse(w, events...)
					return
				}
				apiError(w, http.StatusServiceUnavailable, "overloaded")
			}}
			rec := &twintest.Tools{Result: "saved"}
			p := newProvider(t, f.start(t), secrets.Static("sk"), nil)
			text, _, err := stream(p, toolReq(rec))
			if err == nil || text != tc.firstText || len(rec.Calls()) != 1 {
				t.Fatalf("text %q, err %v, %d calls", text, err, len(rec.Calls()))
			}
			if got := twin.ErrorCode(err) == twin.CodeLLMUnavailable; got != tc.unavailable {
				t.Errorf("err = %v; llm_unavailable %v, want %v", err, got, tc.unavailable)
			}
		})
	}
}

// TestOwnerTools runs the real owner tools (strict validation, records in a directory): a
// valid address is stored once and the model is told so; an invalid one stores nothing and the
// model is told that.
func TestOwnerTools(t *testing.T) {
	dir := t.TempDir()
	svc := &owner.Service{Blobs: owner.NewDirBlobs(dir), Logger: slog.New(slog.DiscardHandler)}
	for _, tc := range []struct {
		email, result string
		leads         int
	}{
		{"ana@example.com", "The contact details were saved for the owner.", 1},
		{"ana at example", "error: ", 1},
	} {
		args := `{"email":"` + tc.email + `","note":"wants to hire Ada"}`
		f := &fakeOpenAI{handle: func(w http.ResponseWriter, _ *http.Request, n int) {
			if n == 1 {
				sse(w, toolStart(0, "call_1", twin.ToolRecordContact), toolArgs(0, args[:10]), toolArgs(0, args[10:]), finish("tool_calls"), "[DONE]")
				return
			}
			sse(w, chunk("Thanks."), finish("stop"), "[DONE]")
		}}
		r := toolReq(&twintest.Tools{})
		r.Tools, r.CallTool = svc.Tools(), svc.ToolFunc("0b5e6f1c-8a4d-4c3e-9f2a-1d2c3b4a5e6f")
		p := newProvider(t, f.start(t), secrets.Static("sk"), nil)
		if text, _, err := stream(p, r); err != nil || text != "Thanks." {
			t.Fatalf("%s: text %q, err %v", tc.email, text, err)
		}
		tool := lastMessages(t, f.requests[1], 1)[0]
		if content, _ := tool["content"].(string); !strings.HasPrefix(content, tc.result) {
			t.Errorf("%s: tool result %q, want %q…", tc.email, content, tc.result)
		}
		keys, err := svc.Blobs.List(context.Background(), owner.PrefixLeads)
		if err != nil || len(keys) != tc.leads {
			t.Errorf("%s: leads %v (err %v), want %d", tc.email, keys, err, tc.leads)
		}
	}
}

// TestServerWithoutTools: a server whose model has no tool support refuses the tools (Ollama:
// 400 "does not support tools"); the reply goes on without them, and so do later ones until the
// cool-down ends; then tools are offered again (the model may have been swapped for one with tools).
func TestServerWithoutTools(t *testing.T) {
	f := &fakeOpenAI{}
	var refuse atomic.Bool
	refuse.Store(true)
	f.handle = func(w http.ResponseWriter, _ *http.Request, n int) {
		f.mu.Lock()
		_, tools := f.requests[n-1]["tools"]
		f.mu.Unlock()
		if tools && refuse.Load() {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusBadRequest)
			fmt.Fprint(w, `{"error":{"message":"registry.ollama.ai/library/gemma:2b does not support tools","type":"api_error"}}`)
			return
		}
		sse(w, chunk("hello"), finish("stop"), "[DONE]")
	}
	var logs strings.Builder
	now := time.Date(2026, 12, 4, 21, 0, 0, 0, time.UTC)
	p := newProvider(t, f.start(t), secrets.Static("sk"), func(c *openai.Config) {
		c.Logger = slog.New(slog.NewTextHandler(&logs, nil))
		c.ToolsCooldown, c.Now = 10*time.Minute, func() time.Time { return now }
	})
	for i := range 2 {
		if text, _, err := stream(p, toolReq(&twintest.Tools{})); err != nil || text != "hello" {
			t.Fatalf("reply %d: text %q, err %v", i, text, err)
		}
	}
	offered := func() []bool {
		f.mu.Lock()
		defer f.mu.Unlock()
		var out []bool
		for _, r := range f.requests {
			_, tools := r["tools"]
			out = append(out, tools)
		}
		return out
	}
	if got := offered(); !slices.Equal(got, []bool{true, false, false}) {
		t.Errorf("tools offered per request %v, want [true false false] (refused, without tools, later reply without tools)", got)
	}
	if !strings.Contains(logs.String(), "refused tools") {
		t.Errorf("not logged: %q", logs.String())
	}

	// The owner switches to a model with tools; once the cool-down is over they are offered again.
	refuse.Store(false)
	now = now.Add(10 * time.Minute)
	rec := &twintest.Tools{}
	if text, _, err := stream(p, toolReq(rec)); err != nil || text != "hello" {
		t.Fatalf("after the cool-down: text %q, err %v", text, err)
	}
	if got := offered(); !slices.Equal(got, []bool{true, false, false, true}) {
		t.Errorf("tools offered per request %v, want tools again after the cool-down", got)
	}
}

// TestToolErrorIsNotARefusal: a 400 that mentions tools for another reason (a history the
// server rejects) fails the reply as llm_unavailable and does not switch tools off.
func TestToolErrorIsNotARefusal(t *testing.T) {
	f := &fakeOpenAI{}
	f.handle = func(w http.ResponseWriter, _ *http.Request, n int) {
		if n == 1 {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusBadRequest)
			fmt.Fprint(w, `{"error":{"message":"An assistant message with 'tool_calls' must be followed by tool messages responding to each 'tool_call_id'.","type":"invalid_request_error"}}`)
			return
		}
		sse(w, chunk("hello"), finish("stop"), "[DONE]")
	}
	var logs strings.Builder
	p := newProvider(t, f.start(t), secrets.Static("sk"), func(c *openai.Config) { c.Logger = slog.New(slog.NewTextHandler(&logs, nil)) })
	if _, _, err := stream(p, toolReq(&twintest.Tools{})); twin.ErrorCode(err) != twin.CodeLLMUnavailable {
		t.Fatalf("first reply: %v, want llm_unavailable", err)
	}
	if text, _, err := stream(p, toolReq(&twintest.Tools{})); err != nil || text != "hello" {
		t.Fatalf("second reply: %q %v", text, err)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.requests) != 2 {
		t.Fatalf("%d requests, want 2 (no retry without tools)", len(f.requests))
	}
	for i, r := range f.requests {
		if _, tools := r["tools"]; !tools {
			t.Errorf("request %d offered no tools", i)
		}
	}
	if strings.Contains(logs.String(), "refused tools") {
		t.Errorf("logged as a refusal: %s", logs.String())
	}
}

// TestUnfinishedToolCallIsNotRun: a stream that ends without finish_reason may have cut the
// arguments (a cut can still parse): the call is not run.
func TestUnfinishedToolCallIsNotRun(t *testing.T) {
	f := &fakeOpenAI{handle: func(w http.ResponseWriter, _ *http.Request, _ int) {
		sse(w, chunk("One moment."), toolStart(0, "call_1", twin.ToolRecordContact), toolArgs(0, `{"email":"ana@example.com"}`))
	}}
	rec := &twintest.Tools{Result: "saved"}
	p := newProvider(t, f.start(t), secrets.Static("sk"), nil)
	text, _, err := stream(p, toolReq(rec))
	if err != nil || text != "One moment." || len(rec.Calls()) != 0 || len(f.requests) != 1 {
		t.Fatalf("text %q, err %v, %d calls, %d requests; want the text, no call", text, err, len(rec.Calls()), len(f.requests))
	}
}

// TestCallsSharingAnIndex: a server that sends index 0 for every call, each with its own id.
func TestCallsSharingAnIndex(t *testing.T) {
	f := &fakeOpenAI{handle: func(w http.ResponseWriter, _ *http.Request, n int) {
		if n == 1 {
			sse(w, toolStart(0, "call_a", twin.ToolRecordContact), toolArgs(0, contactArgs),
				toolStart(0, "call_b", twin.ToolRecordUnknownQuestion), toolArgs(0, `{"question":"pets?"}`), finish("tool_calls"), "[DONE]")
			return
		}
		sse(w, chunk("ok"), finish("stop"), "[DONE]")
	}}
	rec := &twintest.Tools{Result: "saved"}
	p := newProvider(t, f.start(t), secrets.Static("sk"), nil)
	if _, _, err := stream(p, toolReq(rec)); err != nil {
		t.Fatal(err)
	}
	if len(rec.Calls()) != 2 || rec.Calls()[0].ID != "call_a" || string(rec.Calls()[0].Arguments) != contactArgs ||
		rec.Calls()[1].ID != "call_b" || string(rec.Calls()[1].Arguments) != `{"question":"pets?"}` {
		t.Fatalf("calls = %+v", rec.Calls())
	}
}

// TestTooManyCallsInOneResponse: past the per-response cap, calls are answered with an error
// and not run; every call still gets its result (the API wants one per call).
func TestTooManyCallsInOneResponse(t *testing.T) {
	f := &fakeOpenAI{handle: func(w http.ResponseWriter, _ *http.Request, n int) {
		if n == 1 {
			var events []string
			for i := range 6 {
				events = append(events, toolStart(i, fmt.Sprintf("call_%d", i), twin.ToolRecordUnknownQuestion), toolArgs(i, `{"question":"q"}`))
			}
			sse(w, append(events, finish("tool_calls"), "[DONE]")...)
			return
		}
		sse(w, chunk("ok"), finish("stop"), "[DONE]")
	}}
	rec := &twintest.Tools{Result: "noted"}
	p := newProvider(t, f.start(t), secrets.Static("sk"), nil)
	if _, _, err := stream(p, toolReq(rec)); err != nil {
		t.Fatal(err)
	}
	if got := len(rec.Calls()); got != 4 {
		t.Errorf("CallTool called %d times, want 4", got)
	}
	results := lastMessages(t, f.requests[1], 6)
	for i, m := range results {
		content, _ := m["content"].(string)
		if m["tool_call_id"] != fmt.Sprintf("call_%d", i) || (i < 4) != (content == "noted") {
			t.Errorf("result %d = %v", i, m)
		}
	}
}
