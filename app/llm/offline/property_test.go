package offline

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/digitaltwin/twin/app/retrieval"
	"github.com/digitaltwin/twin/app/twin"
	"pgregory.net/rapid"
)

// fixedReplies start the replies that are not persona text: declines, acknowledgements.
var fixedReplies = []string{
	"That's not something I've shared here",
	"Thanks for telling me.",
	"You haven't told me that yet",
}

// fromPersona reports whether reply is made of p's sentences only (each possibly given a full
// stop), or is one of the fixed replies or the greeting.
func fromPersona(p twin.Persona, reply string) bool {
	if reply == p.Greeting {
		return true
	}
	for _, f := range fixedReplies {
		if strings.HasPrefix(reply, f) {
			return true
		}
	}
	var ss []string
	for _, d := range retrieval.Sentences(p.Text) {
		ss = append(ss, sentence(d.Text), d.Text)
	}
	// Longest first, so that a short sentence inside a longer one ("Product Designer") does not
	// cut the longer one apart.
	slices.SortStableFunc(ss, func(a, b string) int { return len(b) - len(a) })
	rest := reply
	for _, s := range ss {
		rest = strings.ReplaceAll(rest, s, "")
	}
	return strings.TrimSpace(rest) == ""
}

// TestRepliesAreMadeOfPersonaSentences: whatever a visitor asks, built from the words of the
// persona, of the eval questions and of nowhere, every reply of every eval persona is persona
// sentences or a fixed reply: the responder never invents.
func TestRepliesAreMadeOfPersonaSentences(t *testing.T) {
	dirs, _ := filepath.Glob("../../../eval/*/me.txt")
	if len(dirs) < 5 {
		t.Fatalf("found %d eval personas", len(dirs))
	}
	vocabulary := strings.Fields("what where when who how long which do you your have are did is the " +
		"favourite job kids married work study live speak play sport instrument email phone city year " +
		"old many why founded sister husband's book film zxqv")
	for _, path := range dirs {
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		p := parsePersona(t, string(data))
		words := append(retrieval.Words(p.Text), vocabulary...)
		r := New(0)
		t.Run(filepath.Base(filepath.Dir(path)), rapid.MakeCheck(func(t *rapid.T) {
			q := strings.Join(rapid.SliceOfN(rapid.SampledFrom(words), 1, 8).Draw(t, "words"), " ")
			if rapid.Bool().Draw(t, "question mark") {
				q += "?"
			}
			if got := ask(r, p, q); !fromPersona(p, got) {
				t.Fatalf("ask(%q) = %q: not made of persona sentences", q, got)
			}
		}))
	}
}
