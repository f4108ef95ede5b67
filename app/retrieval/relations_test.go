package retrieval

import (
	"slices"
	"strings"
	"testing"
)

// Every line of the embedded WordNet table is found by its key, and a word it lacks is not.
func TestWordNetTableLookup(t *testing.T) {
	if len(wordnet.lines) < 10000 {
		t.Fatalf("the WordNet table has %d lines", len(wordnet.lines))
	}
	for i := range wordnet.lines {
		k := wordnet.key(i)
		if i > 0 && wordnet.key(i-1) >= k {
			t.Fatalf("line %d (%q) is not after %q", i, k, wordnet.key(i-1))
		}
		if rest := wordnet.lookup(k); rest == "" || strings.Contains(rest, "\n") {
			t.Fatalf("lookup(%q) = %q", k, rest)
		}
	}
	for _, k := range []string{"", "zzzzz", "aaaaaaa"} {
		if got := wordnet.lookup(k); got != "" {
			t.Errorf("lookup(%q) = %q, want nothing", k, got)
		}
	}
}

// WordNet relates words the hand-curated table does not list ("doctor" is a "physician"), the
// hand-curated table cuts what WordNet gets wrong for a twin (a meal's cost is not a wage), and
// light words and answer-type nouns get nothing from WordNet.
func TestWordNetRelatives(t *testing.T) {
	if slices.Contains(relations["doctor"], "physician") {
		t.Fatal("the hand-curated table relates doctor and physician: pick another example")
	}
	ix := NewIndex(Sentences("I am a physician at a clinic in Leeds.\n\nWe pay our staff a good salary."))
	if hits := Answers(ix, ParseQuery("Are you a doctor?")); len(hits) == 0 || hits[0].Doc.Pos != 0 {
		t.Fatalf("Are you a doctor? → %+v", hits)
	}
	if hits := Answers(ix, ParseQuery("How much does a meal cost?")); len(hits) != 0 {
		t.Fatalf("a meal's cost answered by %q", hits[0].Doc.Text)
	}
	rel := wordnetRelatives(map[string]int{"physician": 1, "pay": 1, "call": 1, "telephon": 1})
	if !slices.Contains(rel["doctor"], "physician") || slices.Contains(rel["cost"], "pay") {
		t.Fatalf("relatives %v", rel)
	}
	for _, k := range []string{"nam", "phon", "call"} {
		if len(rel[k]) > 0 {
			t.Errorf("%q reaches %v through WordNet", k, rel[k])
		}
	}
}

// Irregular forms meet their base form, through WordNet's exception lists; a form that is a
// word of its own ("found" a company) is left alone.
func TestIrregularForms(t *testing.T) {
	for form, base := range map[string]string{"taught": "teach", "took": "take", "grew": "grow", "childrens": "child", "spoke": "speak"} {
		if got, want := term(form), term(base); got != want {
			t.Errorf("term(%q) = %q, want %q (the term of %q)", form, got, want, base)
		}
	}
	if got := term("found"); got == term("find") {
		t.Errorf("term(found) = %q: founding a company is not finding", got)
	}
	ix := NewIndex(Sentences("I spoke at PyCon Lisbon.\n\nI grew tomatoes."))
	if hits := Answers(ix, ParseQuery("Where did you speak?")); len(hits) == 0 || hits[0].Doc.Pos != 0 {
		t.Fatalf("Where did you speak? → %+v", hits)
	}
}
