package prompt

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/digitaltwin/twin/app/twin"
	"pgregory.net/rapid"
)

var update = flag.Bool("update", false, "rewrite golden files")

var persona = twin.Persona{Name: "Ada Example", Text: "I build compilers in Go.\nI live in Lisbon."}

func msg(role twin.Role, content string, sec int) twin.Message {
	return twin.Message{Role: role, Content: content, Timestamp: time.Date(2026, 1, 1, 0, 0, sec, 0, time.UTC)}
}

func history(turns int) []twin.Message {
	var h []twin.Message
	for i := range turns {
		h = append(h, msg(twin.RoleUser, fmt.Sprintf("question number %d about compilers", i), 2*i),
			msg(twin.RoleAssistant, fmt.Sprintf("answer number %d: I like them", i), 2*i+1))
	}
	return h
}

func TestGolden(t *testing.T) {
	for name, in := range map[string]Input{
		"first_turn":   {Persona: persona, Question: msg(twin.RoleUser, "Where do you live?", 0), Budget: DefaultBudget},
		"with_history": {Persona: persona, History: history(2), Question: msg(twin.RoleUser, "And why Go?", 9), Budget: DefaultBudget},
		"truncated":    {Persona: persona, History: history(6), Question: msg(twin.RoleUser, "Last one?", 20), Budget: Budget{ContextTokens: 520, ReplyTokens: 100}},
	} {
		t.Run(name, func(t *testing.T) {
			req, st := Build(in, Tokens)
			// The prompt part of the request (tools and their callback are the chat service's).
			type promptPart struct {
				System   string
				Note     string
				Messages []twin.Message
				Persona  twin.Persona
			}
			got, err := json.MarshalIndent(struct {
				Request promptPart
				Stats   Stats
			}{promptPart{req.System, req.Note, req.Messages, req.Persona}, st}, "", "  ")
			if err != nil {
				t.Fatal(err)
			}
			path := filepath.Join("testdata", name+".golden.json")
			if *update {
				if err := os.WriteFile(path, got, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run go test ./app/prompt -update)", err)
			}
			if string(got) != string(want) {
				t.Errorf("Build(%s) differs from %s:\n%s", name, path, got)
			}
		})
	}
}

// Properties: the persona is in every prompt; every earlier message is in the next prompt in
// order while within budget; when something is dropped it is the oldest and the rest still fits.
func TestBuildProperties(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		p := twin.Persona{Name: "X", Text: rapid.StringMatching(`[a-zA-Z .]{1,300}`).Draw(t, "persona")}
		var h []twin.Message
		for i := range rapid.IntRange(0, 40).Draw(t, "turns") {
			role := twin.RoleUser
			if i%2 == 1 {
				role = twin.RoleAssistant
			}
			h = append(h, msg(role, rapid.StringN(1, 120, -1).Draw(t, "content"), i))
		}
		b := Budget{ContextTokens: rapid.IntRange(300, 4000).Draw(t, "window"), ReplyTokens: 50}
		q := msg(twin.RoleUser, rapid.StringN(1, 80, -1).Draw(t, "question"), 999)
		req, st := Build(Input{Persona: p, History: h, Question: q, Budget: b}, Tokens)

		if !strings.Contains(req.System, p.Text) {
			t.Fatalf("persona missing from system prompt")
		}
		kept := req.Messages[:len(req.Messages)-1]
		if req.Messages[len(req.Messages)-1] != q {
			t.Fatalf("question is not the last message")
		}
		if st.Dropped+len(kept) != len(h) {
			t.Fatalf("dropped %d + kept %d != history %d", st.Dropped, len(kept), len(h))
		}
		for i, m := range kept {
			if m != h[st.Dropped+i] {
				t.Fatalf("kept message %d is not history[%d]", i, st.Dropped+i)
			}
		}
		total := 0
		for _, m := range h {
			total += Tokens(m.Content) + perMessageTokens
		}
		if want := System(p, Canary(nil, p)); req.System != want {
			t.Fatalf("system prompt differs from the persona's cacheable prefix:\n%s", req.System)
		}
		if want := Note(st.Dropped); req.Note != want {
			t.Fatalf("note %q, want %q", req.Note, want)
		}
		fitsAll := Tokens(req.System)+Tokens(Note(1<<30))+2*perMessageTokens+total+Tokens(q.Content) <= b.ContextTokens-b.ReplyTokens
		if fitsAll && st.Dropped != 0 {
			t.Fatalf("dropped %d messages although everything fits", st.Dropped)
		}
		if len(kept) > 0 && kept[0].Role != twin.RoleUser {
			t.Fatalf("kept history starts with %s", kept[0].Role)
		}
	})
}

// The canary is one per deployment and persona: the same key and persona give the same canary
// (so every process sends the same prefix), another key or another persona version another one.
func TestCanaryPerDeploymentAndPersona(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		key := []byte(rapid.String().Draw(t, "key"))
		p := twin.Persona{Name: rapid.String().Draw(t, "name"), Text: rapid.String().Draw(t, "text"), Version: rapid.StringMatching(`[a-f0-9]{0,8}`).Draw(t, "version")}
		c := Canary(key, p)
		if c != Canary(bytes.Clone(key), p) {
			t.Fatalf("canary differs for the same key and persona")
		}
		if !regexp.MustCompile(`^twin-canary-[0-9a-f]{24}$`).MatchString(c) {
			t.Fatalf("canary %q is not twin-canary- and 24 hex digits", c)
		}
		other := append(bytes.Clone(key), 'x')
		if Canary(other, p) == c {
			t.Fatalf("another deployment's key gives the same canary")
		}
		q := p
		q.Version += "1"
		if Canary(key, q) == c {
			t.Fatalf("another persona version gives the same canary")
		}
		if System(p, c) != System(p, Canary(key, p)) {
			t.Fatalf("system prompt differs for the same key and persona")
		}
	})
	// Without a version the persona text is what counts.
	a, b := twin.Persona{Name: "A", Text: "one"}, twin.Persona{Name: "A", Text: "two"}
	if Canary(nil, a) == Canary(nil, b) {
		t.Fatalf("personas with different texts share a canary")
	}
}

func BenchmarkBuild(b *testing.B) {
	for _, turns := range []int{5, 200} {
		b.Run(fmt.Sprintf("history=%d", 2*turns), func(b *testing.B) {
			in := Input{Persona: persona, History: history(turns), Question: msg(twin.RoleUser, "why?", 0), Budget: DefaultBudget}
			for b.Loop() {
				Build(in, Tokens)
			}
		})
	}
}

// System returns the prompt for exactly what it is given: the one it keeps is returned again
// only while the name, the persona text and the canary are all the same, from any goroutine.
func TestSystemIsRebuiltWhenAnyInputChanges(t *testing.T) {
	a := twin.Persona{Name: "Ada", Text: "I write compilers.", Version: "v1"}
	variants := []struct {
		p      twin.Persona
		canary string
	}{
		{a, "c1"},
		{twin.Persona{Name: "Bea", Text: a.Text, Version: "v1"}, "c1"},
		{twin.Persona{Name: "Ada", Text: "I grow tomatoes.", Version: "v1"}, "c1"},
		{a, "c2"},
	}
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			for range 50 {
				for _, v := range variants {
					got := System(v.p, v.canary)
					if want := system(v.p, v.canary); got != want {
						t.Errorf("System(%q, %q) returned a prompt built for something else", v.p.Name, v.canary)
					}
				}
			}
		})
	}
	wg.Wait()
}
