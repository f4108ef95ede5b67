package offline

import (
	"context"
	"errors"
	"os"
	"strings"
	"testing"

	"github.com/digitaltwin/twin/app/persona"
	"github.com/digitaltwin/twin/app/twin"
)

func loadPersona(t testing.TB) twin.Persona {
	t.Helper()
	data, err := os.ReadFile("../../../me.txt")
	if err != nil {
		t.Fatal(err)
	}
	p, err := persona.Parse(data)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func ask(r *Responder, p twin.Persona, msgs ...string) string {
	req := twin.GenerateRequest{Persona: p}
	for i, m := range msgs {
		role := twin.RoleUser
		if i%2 == 1 {
			role = twin.RoleAssistant
		}
		req.Messages = append(req.Messages, twin.Message{Role: role, Content: m})
	}
	return r.Answer(context.Background(), req)
}

func TestAnswersFromPersona(t *testing.T) {
	p := loadPersona(t)
	r := New(0)
	for q, want := range map[string]string{
		"Where do you live?":                       "Gothenburg",
		"What is your favourite book?":             "Left Hand of Darkness",
		"What's your favorite language?":           "Go",
		"How can I contact you?":                   "maya@example.com",
		"What do you do in your free time?":        "bouldering",
		"Where did you study?":                     "Chalmers",
		"What is Tessel?":                          "build cache",
		"What do you think about AI coding tools?": "tests",
		"hello!":       "Hi, I'm Maya",
		"Who are you?": "staff software engineer",
	} {
		if got := ask(r, p, q); !strings.Contains(got, want) {
			t.Errorf("ask(%q) = %q, want it to contain %q", q, got, want)
		}
	}
}

func TestSaysWhenItDoesNotKnow(t *testing.T) {
	p := loadPersona(t)
	r := New(0)
	for _, q := range []string{"What is your favourite football team?", "How old is your mother?", "zxqv?"} {
		got := ask(r, p, q)
		if !strings.Contains(got, "not something I've shared") {
			t.Errorf("ask(%q) = %q, want the in-character unknown answer", q, got)
		}
	}
}

func TestRemembersTheVisitor(t *testing.T) {
	p := loadPersona(t)
	r := New(0)
	if got := ask(r, p, "My name is Alice", "Nice to meet you.", "What is my name?"); !strings.Contains(got, "Alice") {
		t.Fatalf("got %q, want it to contain Alice", got)
	}
	if got := ask(r, p, "What is my name?"); strings.Contains(got, "Maya") {
		t.Fatalf("answered the visitor's name with the owner's: %q", got)
	}
}

func TestPlantedFact(t *testing.T) {
	p, err := persona.Parse([]byte("# Sam\nI am Sam.\nMy favourite obscure word is zugzwang.\nI like trains."))
	if err != nil {
		t.Fatal(err)
	}
	if got := ask(New(0), p, "What is your favourite obscure word?"); !strings.Contains(got, "zugzwang") {
		t.Fatalf("got %q, want zugzwang", got)
	}
}

func TestStreamConcatenatesToAnswer(t *testing.T) {
	p := loadPersona(t)
	r := New(0)
	req := twin.GenerateRequest{Persona: p, Messages: []twin.Message{{Role: twin.RoleUser, Content: "Tell me about your career"}}}
	var b strings.Builder
	n := 0
	if _, err := r.Stream(context.Background(), req, func(d string) error { n++; b.WriteString(d); return nil }); err != nil {
		t.Fatal(err)
	}
	if got, want := b.String(), r.Answer(context.Background(), req); got != want || n < 3 {
		t.Fatalf("stream = %q in %d chunks, want %q in several", got, n, want)
	}
}

func TestStreamStopsOnCancel(t *testing.T) {
	p := loadPersona(t)
	ctx, cancel := context.WithCancel(context.Background())
	req := twin.GenerateRequest{Persona: p, Messages: []twin.Message{{Role: twin.RoleUser, Content: "Tell me about your career"}}}
	n := 0
	_, err := New(0).Stream(ctx, req, func(string) error {
		n++
		if n == 2 {
			cancel()
		}
		return nil
	})
	if !errors.Is(err, context.Canceled) || n != 2 {
		t.Fatalf("after cancel: err %v, %d chunks; want context.Canceled after 2", err, n)
	}
}

func FuzzAnswer(f *testing.F) {
	p := loadPersona(f)
	r := New(0)
	f.Add("What is my name?", "My name is Bob")
	f.Add("héllo\x00", "")
	f.Fuzz(func(t *testing.T, q, earlier string) {
		a := ask(r, p, earlier, "ok", q)
		if a == "" {
			t.Fatalf("empty answer for %q", q)
		}
	})
}

// BenchmarkAnswer is the responder's own time per answer: "untyped" asks about a topic, "typed"
// for a kind of thing (a duration), so every sentence's answer type is consulted.
func BenchmarkAnswer(b *testing.B) {
	p := loadPersona(b)
	for _, c := range []struct{ name, question string }{
		{"untyped", "What do you think about AI coding tools?"},
		{"typed", "How long have you worked there?"},
	} {
		b.Run(c.name, func(b *testing.B) {
			r := New(0)
			req := twin.GenerateRequest{Persona: p, Messages: []twin.Message{{Role: twin.RoleUser, Content: c.question}}}
			for b.Loop() {
				r.Answer(context.Background(), req)
			}
		})
	}
}

func TestAcknowledgesVisitorStatements(t *testing.T) {
	got := ask(New(0), loadPersona(t), "My name is Alice")
	if !strings.Contains(got, "remember") {
		t.Fatalf("statement about the visitor answered %q, want an acknowledgement", got)
	}
}

func TestFunctionWordQuestionsGetTheIntroduction(t *testing.T) {
	if got := ask(New(0), loadPersona(t), "What do you do?"); !strings.Contains(got, "staff software engineer") {
		t.Fatalf("What do you do? → %q", got)
	}
}

// The example persona's starter questions are what visitors click first: each must be answered.
func TestStartersAreAnswered(t *testing.T) {
	p := loadPersona(t)
	for _, q := range append(p.Starters, "What languages do you use?", "What are your hobbies?", "Do you have pets?") {
		if got := ask(New(0), p, q); strings.Contains(got, "not something I've shared") {
			t.Errorf("starter %q → %q", q, got)
		}
	}
}

// "Who are your clients?" is a question about clients, not a request for the introduction.
func TestIntroIsTheWholePhrase(t *testing.T) {
	for q, want := range map[string]bool{
		"Who are you?": true, "So who are you, then": true, "Tell me about yourself.": true,
		"Who are your clients?": false, "Who are your customers?": false,
	} {
		if got := isIntro(q); got != want {
			t.Errorf("isIntro(%q) = %v, want %v", q, got, want)
		}
	}
}
