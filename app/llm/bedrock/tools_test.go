package bedrock_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/digitaltwin/twin/app/llm/bedrock"
	"github.com/digitaltwin/twin/app/llm/llmtest"
	"github.com/digitaltwin/twin/app/twin"
	"github.com/digitaltwin/twin/app/twintest"
)

func toolReq(r *twintest.Tools) twin.GenerateRequest {
	tr := req
	tr.Messages = append(append([]twin.Message(nil), req.Messages...), twin.Message{Role: twin.RoleUser, Content: "I'd like to hire Ada: ana@example.com"})
	tr.Tools = []twin.Tool{{Name: twin.ToolRecordContact, Description: "Save contact details.", Parameters: map[string]any{
		"type": "object", "properties": map[string]any{"email": map[string]any{"type": "string"}}, "required": []string{"email"},
	}}}
	tr.CallTool = r.Call
	return tr
}

func stream(p *bedrock.Provider, r twin.GenerateRequest) (string, twin.Usage, error) {
	var sb strings.Builder
	u, err := p.Stream(context.Background(), r, func(d string) error { sb.WriteString(d); return nil })
	return sb.String(), u, err
}

// counted wraps a handler with the 1-based number of the request.
func counted(h func(w http.ResponseWriter, s *llmtest.EventWriter, n int)) func(http.ResponseWriter, *http.Request, *llmtest.EventWriter) {
	var n atomic.Int32
	return func(w http.ResponseWriter, _ *http.Request, s *llmtest.EventWriter) { h(w, s, int(n.Add(1))) }
}

func lastMessages(t *testing.T, body map[string]any, n int) string {
	t.Helper()
	msgs := body["messages"].([]any)
	if len(msgs) < n {
		t.Fatalf("%d messages, want at least %d", len(msgs), n)
	}
	b, _ := json.Marshal(msgs[len(msgs)-n:])
	return string(b)
}

const contactArgs = `{"email":"ana@example.com","note":"wants to hire Ada"}`

func TestToolUseRoundTrip(t *testing.T) {
	f := &fakeBedrock{handle: counted(func(w http.ResponseWriter, s *llmtest.EventWriter, n int) {
		s.Begin()
		if n == 1 {
			s.Delta("Let me note that.")
			s.BlockStop(0)
			s.ToolUse(1, "tooluse_1", twin.ToolRecordContact, `{"email":"ana@exa`, `mple.com","note":"wants`, ` to hire Ada"}`)
			s.Stop("tool_use", 40, 9)
			return
		}
		s.Delta("Saved: Ada will ")
		s.Delta("be in touch.")
		s.End(60, 7)
	})}
	rec := &twintest.Tools{Result: "The contact details were saved for the owner."}
	text, u, err := stream(f.start(t), toolReq(rec))
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
	if c := rec.Calls()[0]; c.ID != "tooluse_1" || c.Name != twin.ToolRecordContact || string(c.Arguments) != contactArgs {
		t.Errorf("call = %+v %s, want tooluse_1 record_contact %s", c, c.Arguments, contactArgs)
	}
	bodies, _ := f.fake.Requests()
	if len(bodies) != 2 {
		t.Fatalf("%d requests, want 2", len(bodies))
	}
	config, _ := json.Marshal(bodies[0]["toolConfig"])
	if want := `{"tools":[{"toolSpec":{"description":"Save contact details.","inputSchema":{"json":{"properties":{"email":{"type":"string"}},"required":["email"],"type":"object"}},"name":"record_contact"}}]}`; string(config) != want {
		t.Errorf("toolConfig =\n%s\nwant\n%s", config, want)
	}
	if bodies[1]["toolConfig"] == nil {
		t.Error("second request has no toolConfig; Converse refuses tool blocks without one")
	}
	want := `[{"content":[{"text":"what do you build?"},{"text":"I'd like to hire Ada: ana@example.com"}],"role":"user"},` +
		`{"content":[{"text":"Let me note that."},{"toolUse":{"input":{"email":"ana@example.com","note":"wants to hire Ada"},"name":"record_contact","toolUseId":"tooluse_1"}}],"role":"assistant"},` +
		`{"content":[{"toolResult":{"content":[{"text":"The contact details were saved for the owner."}],"toolUseId":"tooluse_1"}}],"role":"user"}]`
	if got := lastMessages(t, bodies[1], 3); got != want {
		t.Errorf("second request's last messages =\n%s\nwant\n%s", got, want)
	}
}

func TestToolUseFailureIsToldToTheModel(t *testing.T) {
	for name, tc := range map[string]struct {
		model, status string
	}{
		"claude": {"", `"status":"error",`},
		"llama":  {"meta.llama3-1-70b-instruct-v1:0", ""}, // status is documented for Claude and Nova only
	} {
		t.Run(name, func(t *testing.T) {
			f := &fakeBedrock{model: tc.model, handle: counted(func(w http.ResponseWriter, s *llmtest.EventWriter, n int) {
				s.Begin()
				if n == 1 { // no text before the tool use
					s.ToolUse(0, "tooluse_9", twin.ToolRecordContact, `{"email":`, `"not-an-address"}`)
					s.Stop("tool_use", 1, 1)
					return
				}
				s.Delta("That address doesn't look right; could you check it?")
				s.End(1, 1)
			})}
			rec := &twintest.Tools{Err: &twin.Error{Code: twin.CodeInvalidRequest, Message: "email is not a valid address", Err: errors.New("internal detail")}}
			text, _, err := stream(f.start(t), toolReq(rec))
			if err != nil || text != "That address doesn't look right; could you check it?" {
				t.Fatalf("text %q, err %v", text, err)
			}
			if len(rec.Calls()) != 1 || string(rec.Calls()[0].Arguments) != `{"email":"not-an-address"}` {
				t.Fatalf("calls = %+v", rec.Calls())
			}
			bodies, _ := f.fake.Requests()
			want := `[{"content":[{"toolResult":{"content":[{"text":"error: email is not a valid address (nothing was saved)"}],` + tc.status + `"toolUseId":"tooluse_9"}}],"role":"user"}]`
			if got := lastMessages(t, bodies[1], 1); got != want {
				t.Errorf("tool result =\n%s\nwant\n%s", got, want)
			}
		})
	}
}

func TestToolLoopIsBounded(t *testing.T) {
	f := &fakeBedrock{handle: counted(func(w http.ResponseWriter, s *llmtest.EventWriter, n int) {
		// A model that uses the tool every time, even when told not to.
		s.Begin()
		s.ToolUse(0, fmt.Sprintf("tooluse_%d", n), twin.ToolRecordContact, contactArgs)
		s.Stop("tool_use", 10, 1)
	})}
	rec := &twintest.Tools{Result: "saved"}
	_, u, err := stream(f.start(t), toolReq(rec))
	if twin.ErrorCode(err) != twin.CodeLLMUnavailable {
		t.Errorf("err = %v, want llm_unavailable (the model never answered)", err)
	}
	if got, want := len(rec.Calls()), bedrock.MaxToolRounds; got != want {
		t.Errorf("CallTool called %d times, want %d", got, want)
	}
	bodies, _ := f.fake.Requests()
	if got, want := len(bodies), bedrock.MaxToolRounds+1; got != want {
		t.Fatalf("%d requests, want %d", got, want)
	}
	if last := lastMessages(t, bodies[len(bodies)-1], 1); !strings.Contains(last, "without calling a tool") {
		t.Errorf("last request's last message = %s, want the note to answer without tools", last)
	}
	if u.InputTokens != 10*(bedrock.MaxToolRounds+1) {
		t.Errorf("usage = %+v, want the sum over all requests", u)
	}
}

func TestNoToolsWithoutCallTool(t *testing.T) {
	f := &fakeBedrock{handle: func(w http.ResponseWriter, r *http.Request, s *llmtest.EventWriter) {
		// A tool use nobody offered: ignored, the text stands.
		s.Begin()
		s.Delta("hello")
		s.BlockStop(0)
		s.ToolUse(1, "tooluse_1", twin.ToolRecordContact, contactArgs)
		s.Stop("tool_use", 1, 1)
	}}
	p := f.start(t)
	r := toolReq(&twintest.Tools{})
	r.CallTool = nil
	text, _, err := stream(p, r)
	bodies, _ := f.fake.Requests()
	if err != nil || text != "hello" || len(bodies) != 1 {
		t.Fatalf("text %q, err %v, %d requests", text, err, len(bodies))
	}
	if v, ok := bodies[0]["toolConfig"]; ok {
		t.Errorf("request has toolConfig = %v", v)
	}
}

// TestUnusualToolInput: input over the tool's limit and input that is not JSON reach CallTool
// as the model wrote them; the history gets an empty object for the broken one.
func TestUnusualToolInput(t *testing.T) {
	big := `{"email":"ana@example.com","note":"` + strings.Repeat("x", 10<<10) + `"}`
	f := &fakeBedrock{handle: counted(func(w http.ResponseWriter, s *llmtest.EventWriter, n int) {
		s.Begin()
		if n == 1 {
			var pieces []string
			for i := 0; i < len(big); i += 1000 {
				pieces = append(pieces, big[i:min(i+1000, len(big))])
			}
			s.ToolUse(0, "tooluse_big", twin.ToolRecordContact, pieces...)
			s.ToolUse(1, "tooluse_bad", twin.ToolRecordUnknownQuestion, `{"question": what`)
			s.Stop("tool_use", 1, 1)
			return
		}
		s.Delta("ok")
		s.End(1, 1)
	})}
	rec := &twintest.Tools{Err: &twin.Error{Code: twin.CodeInvalidRequest, Message: "arguments are too large"}}
	text, _, err := stream(f.start(t), toolReq(rec))
	if err != nil || text != "ok" {
		t.Fatalf("text %q, err %v", text, err)
	}
	if len(rec.Calls()) != 2 || string(rec.Calls()[0].Arguments) != big || string(rec.Calls()[1].Arguments) != `{"question": what` {
		t.Fatalf("%d calls, want the big and the broken one as sent", len(rec.Calls()))
	}
	bodies, _ := f.fake.Requests()
	if got := lastMessages(t, bodies[1], 2); !strings.Contains(got, `{"toolUse":{"input":{},"name":"record_unknown_question","toolUseId":"tooluse_bad"}}`) {
		t.Errorf("history = %.300s…, want the broken input as {}", got)
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
			f := &fakeBedrock{handle: counted(func(w http.ResponseWriter, s *llmtest.EventWriter, n int) {
				s.Begin()
				if n == 1 {
					if tc.firstText != "" {
						s.Delta(tc.firstText)
						s.BlockStop(0)
					}
					s.ToolUse(1, "tooluse_1", twin.ToolRecordContact, contactArgs)
					s.Stop("tool_use", 1, 1)
					return
				}
				s.Exception("modelStreamErrorException", "the model stopped")
			})}
			rec := &twintest.Tools{Result: "saved"}
			text, _, err := stream(f.start(t), toolReq(rec))
			if err == nil || text != tc.firstText || len(rec.Calls()) != 1 {
				t.Fatalf("text %q, err %v, %d calls", text, err, len(rec.Calls()))
			}
			if got := twin.ErrorCode(err) == twin.CodeLLMUnavailable; got != tc.unavailable {
				t.Errorf("err = %v; llm_unavailable %v, want %v", err, got, tc.unavailable)
			}
		})
	}
}

// TestModelWithoutToolUse: a model without tool use in ConverseStream is refused with a
// ValidationException; the reply goes on without tools, and so do later ones until the cool-down
// ends; then tools are offered again.
func TestModelWithoutToolUse(t *testing.T) {
	var refuse atomic.Bool
	refuse.Store(true)
	now := time.Date(2026, 12, 4, 21, 0, 0, 0, time.UTC)
	f := &fakeBedrock{model: "mistral.mistral-large-2402-v1:0", configure: func(c *bedrock.Config) {
		c.ToolsCooldown, c.Now = 10*time.Minute, func() time.Time { return now }
	}}
	f.handle = counted(func(w http.ResponseWriter, s *llmtest.EventWriter, n int) {
		bodies, _ := f.fake.Requests()
		if _, tools := bodies[n-1]["toolConfig"]; tools && refuse.Load() {
			validationError(w, "This model doesn't support tool use in streaming mode.")
			return
		}
		s.Begin()
		s.Delta("hello")
		s.End(1, 1)
	})
	p := f.start(t)
	for i := range 2 {
		if text, _, err := stream(p, toolReq(&twintest.Tools{})); err != nil || text != "hello" {
			t.Fatalf("reply %d: text %q, err %v", i, text, err)
		}
	}
	if got := toolsOffered(f); !slices.Equal(got, []bool{true, false, false}) {
		t.Errorf("toolConfig per request %v, want [true false false] (refused, without tools, later reply without tools)", got)
	}
	refuse.Store(false)
	now = now.Add(10 * time.Minute)
	if text, _, err := stream(p, toolReq(&twintest.Tools{})); err != nil || text != "hello" {
		t.Fatalf("after the cool-down: text %q, err %v", text, err)
	}
	if got := toolsOffered(f); !slices.Equal(got, []bool{true, false, false, true}) {
		t.Errorf("toolConfig per request %v, want tools again after the cool-down", got)
	}
}

// TestToolValidationErrorIsNotARefusal: a ValidationException that mentions tools for another
// reason fails the reply as llm_unavailable and does not switch tools off.
func TestToolValidationErrorIsNotARefusal(t *testing.T) {
	f := &fakeBedrock{}
	f.handle = counted(func(w http.ResponseWriter, s *llmtest.EventWriter, n int) {
		if n == 1 {
			validationError(w, "The toolConfig field must be defined when using toolUse and toolResult content blocks.")
			return
		}
		s.Begin()
		s.Delta("hello")
		s.End(1, 1)
	})
	p := f.start(t)
	if _, _, err := stream(p, toolReq(&twintest.Tools{})); twin.ErrorCode(err) != twin.CodeLLMUnavailable {
		t.Fatalf("first reply: %v, want llm_unavailable", err)
	}
	if text, _, err := stream(p, toolReq(&twintest.Tools{})); err != nil || text != "hello" {
		t.Fatalf("second reply: %q %v", text, err)
	}
	if got := toolsOffered(f); !slices.Equal(got, []bool{true, true}) {
		t.Errorf("toolConfig per request %v, want [true true] (no retry without tools, tools still on)", got)
	}
}

// validationError answers as Bedrock does a request it rejects.
func validationError(w http.ResponseWriter, message string) {
	w.Header().Set("X-Amzn-ErrorType", "ValidationException:http://internal.amazon.com/coral/com.amazon.bedrock/")
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusBadRequest)
	fmt.Fprintf(w, `{"message":%q}`, message)
}

// toolsOffered says, per request the fake received, whether it carried a toolConfig.
func toolsOffered(f *fakeBedrock) []bool {
	bodies, _ := f.fake.Requests()
	out := make([]bool, len(bodies))
	for i, b := range bodies {
		_, out[i] = b["toolConfig"]
	}
	return out
}
