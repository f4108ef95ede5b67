package retrieval

import (
	"slices"
	"testing"
)

// A question word meets the persona's words of its family: "internship" the persona's "interned",
// "retirement" its "retired", "musical" its "music"; unrelated words keep their own roots.
func TestWordFamiliesMeet(t *testing.T) {
	for _, c := range []struct {
		a, b string
		same bool
	}{
		{"internship", "interned", true}, {"retirement", "retired", true}, {"musical", "music", true},
		{"graduation", "graduated", true}, {"professional", "profession", true}, {"movement", "moved", true},
		{"union", "un", false}, {"opinion", "open", false}, {"total", "tot", false}, {"station", "stat", false},
	} {
		if got := root(term(c.a)) == root(term(c.b)); got != c.same {
			t.Errorf("root(%q) = %q, root(%q) = %q: same %v, want %v", c.a, root(term(c.a)), c.b, root(term(c.b)), got, c.same)
		}
	}
	ix := NewIndex(Sentences("I speak Dutch.\n\nLast summer I interned at a water lab in Rotterdam for ten weeks.\n\nI retired in 2020."))
	expectAnswers(t, ix, map[string]string{
		"Have you done an internship?":   "Rotterdam",
		"How long was your internship?":  "ten weeks",
		"When was your retirement?":      "2020",
		"Do you have a sports ambition?": "",
	})
}

// A preposition only places a question ("a job alongside your studies"): absent from the
// persona, it must not weigh as a topic the persona lacks.
func TestPrepositionsAreNotTopics(t *testing.T) {
	q := ParseQuery("Do you have a job alongside your studies?")
	if slices.ContainsFunc(q.Groups, func(g Group) bool { return g.Terms[0] == term("alongside") }) {
		t.Fatalf("alongside is a topic: %+v", q.Groups)
	}
	ix := NewIndex(Sentences("I'm a chemistry student at Leeds.\n\nI work part-time as a barista near campus."))
	expectAnswers(t, ix, map[string]string{
		"Do you work alongside anyone?":    "barista",
		"Do you have a pet besides a dog?": "",
	})
}
