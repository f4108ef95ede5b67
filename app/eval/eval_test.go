package eval

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestParse(t *testing.T) {
	f, err := Parse("q.yaml", []byte(`# comment
persona: people/me.txt
cases:
  - question: "  Where do you work?  "
    expect: [Lumen Labs, "Lumen"]
  - question: What is your blood type?
    abstain: true
    forbid: wedding
`))
	if err != nil {
		t.Fatal(err)
	}
	if f.Persona != "people/me.txt" || len(f.Cases) != 2 {
		t.Fatalf("parsed %+v", f)
	}
	c0, c1 := f.Cases[0], f.Cases[1]
	if c0.Question != "Where do you work?" || len(c0.Expect) != 2 || c0.Line != 4 {
		t.Fatalf("case 1 = %+v", c0)
	}
	if !c1.Abstain || len(c1.Forbid) != 1 || c1.Forbid[0] != "wedding" || c1.Line != 6 {
		t.Fatalf("case 2 = %+v", c1)
	}
}

// Every malformed file is one error naming the file and the line of the problem.
func TestParseErrorsNameFileAndLine(t *testing.T) {
	for _, tc := range []struct {
		name, doc string
		line      int
		msg       string
	}{
		{"empty", "", 0, "is empty"},
		{"comment only", "# nothing\n", 0, "is empty"},
		{"not a mapping", "- question: x\n", 1, "must be a mapping"},
		{"no cases", "persona: me.txt\n", 1, "no cases"},
		{"empty cases", "cases: []\n", 1, "empty"},
		{"cases not a list", "cases:\n  question: x\n", 2, "must be a list"},
		{"unknown top key", "cases:\n  - question: x\n    expect: a\nquestion: y\n", 4, `unknown key "question"`},
		{"unknown case key", "cases:\n  - question: x\n    expected: a\n", 3, `unknown key "expected"`},
		{"no expectation", "cases:\n  - question: x\n    expect: [a]\n  - question: y\n", 4, "case 2: needs expect"},
		{"both", "cases:\n  - question: x\n    expect: [a]\n    abstain: true\n", 2, "both"},
		{"empty question", "cases:\n  - question: ''\n    expect: [a]\n", 2, "question is missing"},
		{"empty expect", "cases:\n  - question: x\n    expect: ['']\n", 3, "empty string"},
		{"bad bool", "cases:\n  - question: x\n    abstain: maybe\n", 3, "cannot unmarshal"},
		{"forbid on answerable", "cases:\n  - question: x\n    expect: a\n    forbid: b\n", 2, "forbid applies only"},
		{"case not a mapping", "cases:\n  - just a string\n", 2, "must be a mapping"},
		{"syntax", "cases:\n  - question: x\n    expect: [a\n", 2, "did not find expected"},
		{"two documents", "cases:\n  - question: x\n    expect: a\n---\ncases: []\n", 4, "more than one"},
		{"persona not a path", "persona: [a]\ncases:\n  - question: x\n    expect: a\n", 1, "persona must be a path"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse("q.yaml", []byte(tc.doc))
			var fe *FileError
			if !errors.As(err, &fe) {
				t.Fatalf("Parse = %v, want a *FileError", err)
			}
			if fe.Path != "q.yaml" || fe.Line != tc.line || !strings.Contains(fe.Msg, tc.msg) {
				t.Fatalf("error %q (line %d), want line %d and %q", err, fe.Line, tc.line, tc.msg)
			}
			if strings.Contains(err.Error(), "\n") {
				t.Fatalf("error spans lines: %q", err)
			}
		})
	}
}

func TestLoadResolvesPersonaAndNamesMissingFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "q.yaml")
	if err := os.WriteFile(path, []byte("persona: me.txt\ncases:\n  - question: x\n    expect: a\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	f, err := Load(path)
	if err != nil || f.Persona != filepath.Join(dir, "me.txt") {
		t.Fatalf("Load = %+v, %v", f, err)
	}
	missing := filepath.Join(dir, "nope.yaml")
	if _, err := Load(missing); err == nil || err.Error() != missing+": no such file" {
		t.Fatalf("missing file: %v", err)
	}
	if _, err := Load(dir); err == nil || !strings.Contains(err.Error(), "folder") {
		t.Fatalf("folder: %v", err)
	}
}

// FuzzParse: any input either parses into well-formed cases or fails with one FileError line
// naming the file; it never panics.
func FuzzParse(f *testing.F) {
	f.Add("cases:\n  - question: x\n    expect: [a]\n  - question: y\n    abstain: true\n")
	f.Add("persona: me.txt\ncases:\n  - {question: q, expect: a, forbid: b}\n")
	f.Add("cases: [{question: q, abstain: true, forbid: [x, '']}]\n")
	f.Add("cases:\n  - question: &a x\n    expect: *a\n")
	f.Add("\t- ]")
	f.Fuzz(func(t *testing.T, doc string) {
		file, err := Parse("fuzz.yaml", []byte(doc))
		if err != nil {
			var fe *FileError
			if !errors.As(err, &fe) || fe.Path != "fuzz.yaml" || !strings.HasPrefix(err.Error(), "fuzz.yaml") {
				t.Fatalf("error %v is not a FileError naming the file", err)
			}
			return
		}
		if len(file.Cases) == 0 {
			t.Fatal("parsed a file with no cases")
		}
		for _, c := range file.Cases {
			if strings.TrimSpace(c.Question) == "" || c.Abstain == (len(c.Expect) > 0) || c.Line < 1 {
				t.Fatalf("malformed case accepted: %+v", c)
			}
		}
	})
}

const personaText = `# Sam
I repair clocks in a small workshop in Geneva.
My sister got married in Lisbon last spring.`

func TestScore(t *testing.T) {
	facts := personaFacts(personaText)
	answer := Case{Question: "Where do you work?", Expect: []string{"geneva"}}
	abstain := Case{Question: "Are you married?", Abstain: true, Forbid: []string{"Lisbon"}}
	for _, tc := range []struct {
		c     Case
		reply string
		want  bool
	}{
		{answer, "I repair clocks in a small workshop in GENEVA.", true},
		{answer, "I work in Bern.", false},
		{answer, "That’s not something I’ve shared about Geneva.", false}, // a decline is no answer
		{abstain, "That's not something I've shared here, so I'd rather not guess.", true},
		{abstain, "That’s not something I’ve shared here.", true},                                 // curly quotes
		{abstain, "I'm married.", false},                                                          // no decline: invented
		{abstain, "I haven't shared that, but there was a wedding in Lisbon.", false},             // forbidden near-miss
		{abstain, "I haven't shared that. My sister got married in Lisbon last spring.", false},   // a persona fact
		{abstain, "I haven't shared that. My  sister got married\nin Lisbon last spring!", false}, // the same fact, reflowed
		{abstain, "You haven't told me that yet, so I don't know. Tell me and I'll remember it.", true},
	} {
		if got := Score(tc.c, tc.reply, facts); got != tc.want {
			t.Errorf("Score(%q, %q) = %v, want %v", tc.c.Question, tc.reply, got, tc.want)
		}
	}
}

func TestRunCountsFailuresAndReports(t *testing.T) {
	f := File{Cases: []Case{
		{Question: "Where do you work?", Expect: []string{"Geneva"}, Line: 2},
		{Question: "boom", Expect: []string{"x"}, Line: 4},
		{Question: "Are you married?", Abstain: true, Line: 6},
		{Question: "Blood type?", Abstain: true, Line: 8},
	}}
	replies := map[string]string{
		"Where do you work?": "In Geneva.",
		"Are you married?":   "That's not something I've shared here.",
		"Blood type?":        "O negative.",
	}
	r := Run(context.Background(), f, personaText, func(_ context.Context, q string) (string, error) {
		if q == "boom" {
			return "", errors.New("llm_unavailable: the model is unavailable")
		}
		return replies[q], nil
	})
	if got, want := r.Summary(), "answered 1/2, abstained 1/2"; got != want {
		t.Fatalf("summary %q, want %q", got, want)
	}
	if r.Cases[1].Pass || r.Cases[1].Error == "" {
		t.Fatalf("failed turn scored %+v", r.Cases[1])
	}
	if r.Meets(0.5, 0.5) != true || r.Meets(0.51, 0.5) || r.Meets(0.5, 0.6) {
		t.Fatal("thresholds misapplied")
	}
	var text bytes.Buffer
	if err := r.WriteText(&text); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(text.String()), "\n")
	if len(lines) != 5 || !strings.HasPrefix(lines[0], "PASS answer  line 2: Where do you work?") ||
		!strings.Contains(lines[1], "error: llm_unavailable") || !strings.HasPrefix(lines[3], "FAIL abstain line 8") ||
		lines[4] != "answered 1/2, abstained 1/2" {
		t.Fatalf("text report:\n%s", text.String())
	}
	var js bytes.Buffer
	if err := r.WriteJSON(&js); err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Answered, Answerable, Abstained, Unanswerable int
		Cases                                         []struct {
			Question, Reply string
			Pass            bool
		}
	}
	if err := json.Unmarshal(js.Bytes(), &doc); err != nil || doc.Answerable != 2 || doc.Unanswerable != 2 || len(doc.Cases) != 4 || doc.Cases[0].Reply != "In Geneva." {
		t.Fatalf("json %s (%v)", js.String(), err)
	}
}

func TestShareOfNothingIsMet(t *testing.T) {
	if Share(0, 0) != 1 || !(Report{Answered: 3, Answerable: 3}).Meets(1, 1) {
		t.Fatal("a run without unanswerable cases must meet the abstain threshold")
	}
}
