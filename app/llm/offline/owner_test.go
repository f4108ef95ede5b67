package offline

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/digitaltwin/twin/app/twin"
)

type toolSpy struct {
	calls []twin.ToolCall
	err   error
}

func (s *toolSpy) call(_ context.Context, c twin.ToolCall) (string, error) {
	s.calls = append(s.calls, c)
	if s.err != nil {
		return "", s.err
	}
	return "stored", nil
}

func converse(t *testing.T, spy *toolSpy, msgs ...string) string {
	t.Helper()
	r := New(0)
	req := twin.GenerateRequest{Persona: loadPersona(t), CallTool: spy.call}
	var reply string
	for _, m := range msgs {
		req.Messages = append(req.Messages, twin.Message{Role: twin.RoleUser, Content: m})
		reply = r.Answer(context.Background(), req)
		req.Messages = append(req.Messages, twin.Message{Role: twin.RoleAssistant, Content: reply})
	}
	return reply
}

func TestLeadCaptureAsksThenRecords(t *testing.T) {
	spy := &toolSpy{}
	offer := converse(t, spy, "I'd like to get in touch with you")
	if !strings.Contains(offer, "maya@example.com") || !strings.Contains(offer, contactOffer) || len(spy.calls) != 0 {
		t.Fatalf("contact request → %q (%d tool calls): want the persona's contact line and the offer, nothing recorded", offer, len(spy.calls))
	}
	spy = &toolSpy{}
	reply := converse(t, spy, "My name is Bob Stone", "I'd like to get in touch with you", "Sure, it's bob@example.com")
	if len(spy.calls) != 1 || spy.calls[0].Name != twin.ToolRecordContact {
		t.Fatalf("tool calls %+v, want one record_contact", spy.calls)
	}
	var args map[string]string
	if err := json.Unmarshal(spy.calls[0].Arguments, &args); err != nil || args["email"] != "bob@example.com" || args["name"] != "Bob Stone" {
		t.Fatalf("arguments %s", spy.calls[0].Arguments)
	}
	if !strings.Contains(reply, "saved your email address") {
		t.Fatalf("reply %q", reply)
	}
}

func TestNeverClaimsToHaveSavedWhatWasNot(t *testing.T) {
	spy := &toolSpy{err: errors.New("store down")}
	reply := converse(t, spy, "Please contact me at bob@example.com")
	if len(spy.calls) != 1 || strings.Contains(reply, "saved") || !strings.Contains(reply, "couldn't save") {
		t.Fatalf("failed record → %q", reply)
	}
	reply = converse(t, spy, "What is your favourite football team?")
	if strings.Contains(reply, "noted") {
		t.Fatalf("unstored question claimed noted: %q", reply)
	}
}

func TestUnknownQuestionRecorded(t *testing.T) {
	spy := &toolSpy{}
	reply := converse(t, spy, "What is your favourite football team?")
	if len(spy.calls) != 1 || spy.calls[0].Name != twin.ToolRecordUnknownQuestion || !strings.Contains(reply, "noted your question") {
		t.Fatalf("calls %+v reply %q", spy.calls, reply)
	}
	if got := converse(t, &toolSpy{}, "Where do you live?"); strings.Contains(got, "noted") {
		t.Fatalf("answered question recorded as unknown: %q", got)
	}
}

func TestNoToolsNoCapture(t *testing.T) {
	r := New(0)
	req := twin.GenerateRequest{Persona: loadPersona(t), Messages: []twin.Message{{Role: twin.RoleUser, Content: "contact me at bob@example.com"}}}
	if got := r.Answer(context.Background(), req); strings.Contains(got, "saved") || strings.Contains(got, contactOffer) {
		t.Fatalf("without tools: %q", got)
	}
}

func TestContactRequestInFirstPerson(t *testing.T) {
	spy := &toolSpy{}
	offer := converse(t, spy, "I'd like to get in touch")
	if !strings.Contains(offer, contactOffer) || len(spy.calls) != 0 {
		t.Fatalf("\"I'd like to get in touch\" → %q", offer)
	}
	reply := converse(t, spy, "I'd like to get in touch", "sure, bob@example.com")
	if len(spy.calls) != 1 || spy.calls[0].Name != twin.ToolRecordContact || !strings.Contains(reply, "saved") {
		t.Fatalf("calls %+v reply %q", spy.calls, reply)
	}
	var args map[string]string
	_ = json.Unmarshal(spy.calls[0].Arguments, &args)
	if args["note"] != "sure" {
		t.Fatalf("note %q: want the message without the address and stray punctuation", args["note"])
	}
	if got := converse(t, &toolSpy{}, "My email is bob@example.com", "What is my email?"); !strings.Contains(got, "bob@example.com") {
		t.Fatalf("what is my email? → %q", got)
	}
}

func TestNoteDropsTheAddressCleanly(t *testing.T) {
	for in, want := range map[string]string{
		"Sure: bob@example.com. We're hiring for a staff engineer role.": "Sure. We're hiring for a staff engineer role",
		"sure, bob@example.com":       "sure",
		"bob@example.com":             "",
		"Mail me at bob@example.com!": "Mail me at",
	} {
		if got := note(in, "bob@example.com"); got != want {
			t.Errorf("note(%q) = %q, want %q", in, got, want)
		}
	}
}

// A persona that gives its number and address without ever writing "email" or "contact" still
// answers a visitor asking how to reach the owner.
func TestContactDetailsWithoutTheWord(t *testing.T) {
	p := twin.Persona{Name: "Marek Nowak", Version: "v1", Greeting: "Hi", Text: "Marek Nowak | Backend Engineer | marek@example.pl | +48 501 222 333\n\nPROFILE\nBackend engineer, 8 years."}
	if got := ask(New(0), p, "Can I call you?"); !strings.Contains(got, "+48 501 222 333") {
		t.Fatalf("Can I call you? → %q", got)
	}
}
