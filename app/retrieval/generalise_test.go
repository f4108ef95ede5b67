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

// The relations visitors meet most in a plain persona: a grandkid is a grandchild, hiking is
// walking, a garden an allotment, a thesis a dissertation, "uni" a university, "where do you
// live" a house, a nationality its adjective, "get around" a way of transport; research is not a
// thesis (a near miss).
func TestEverydayRelations(t *testing.T) {
	ix := NewIndex(Sentences("I have four grandchildren.\n\nI walk the coast path every Sunday.\n\n" +
		"My allotment is the best thing about retirement.\n\nI take the bus everywhere.\n\n" +
		"My dissertation is on plastic waste.\n\nAfter graduating I'd like to do a PhD.\n\n" +
		"I share a house in Hyde Park with three students.\n\nI'm Danish.\n\nStrong in user research."))
	expectAnswers(t, ix, map[string]string{
		"How many grandkids do you have?":   "four grandchildren",
		"Do you go hiking?":                 "coast path",
		"Do you have a garden?":             "allotment",
		"What is your thesis about?":        "plastic",
		"What are your plans after uni?":    "PhD",
		"Where do you live?":                "Hyde Park",
		"What nationality are you?":         "Danish",
		"How do you get around?":            "bus",
		"Have you published your research?": "",
	})
}

// A contact question is answered by the sentence holding a contact detail, not by one that only
// shares a relative of "contact" ("calls").
func TestContactQuestionsWantADetail(t *testing.T) {
	ix := NewIndex(Sentences("## Say hello\n- priya@nair.example\n- Fridays are kept free for calls"))
	expectAnswers(t, ix, map[string]string{"How can I get in touch?": "priya@nair.example"})
}

// A job title is a job: "operations director", "graduate trainee" and "fisherman" answer
// questions about work, a role or a job.
func TestJobTitlesAreWork(t *testing.T) {
	ix := NewIndex(Sentences("- Before that: operations director at Halden Freight (2012–2019)\n\n" +
		"- Started out as a graduate trainee at Tesco\n\nMy father was a fisherman."))
	expectAnswers(t, ix, map[string]string{
		"What was your previous role?":   "operations director",
		"What did your dad do for work?": "fisherman",
		"Did you ever work as a chef?":   "",
	})
}

// A superlative wraps a question as a light word does: "your biggest achievement" asks for an
// achievement, and "biggest" absent from the persona must not outweigh it.
func TestSuperlativesAreLight(t *testing.T) {
	ix := NewIndex(Sentences("## Things I'm proud of\n- Cut stock-outs by 40% for a wholesaler in 2022\n\n## Off the clock\n- Fell running in the Peak District"))
	expectAnswers(t, ix, map[string]string{
		"What's your biggest achievement?": "40%",
		"What's your biggest fear?":        "",
	})
}

// "When did you move to Berlin?" asks since when the owner is there: "move" only wraps the
// question, as a light word, and the dated sentence naming the place answers it.
func TestMovingIsLight(t *testing.T) {
	ix := NewIndex(Sentences("I've been gigging around Berlin for about twelve years.\n\nI'm Danish, though Berlin's been home since 2011.\n\n" +
		"My band is the Nordlicht Trio.\n\nI teach bass at a music school.\n\nI have a daughter, Freja."))
	expectAnswers(t, ix, map[string]string{
		"When did you move to Berlin?": "2011",
		"When did you move to Paris?":  "",
	})
}

// Research is a category of its kinds ("What's your research about?" → the dissertation), not a
// synonym: a thesis is not "user research". "Which country do you come from?" asks for a hometown.
func TestResearchAndOrigin(t *testing.T) {
	ix := NewIndex(Sentences("My dissertation is on catalysts that break down plastic waste.\n\n" +
		"I'm a chemistry student, originally from Valencia in Spain."))
	expectAnswers(t, ix, map[string]string{
		"What's your research about?":     "plastic",
		"Which country do you come from?": "Spain",
	})
	ix = NewIndex(Sentences("Strong in user research and design systems."))
	expectAnswers(t, ix, map[string]string{"What was your thesis about?": ""})
}

// "What do you do for a living/for work?" is "What do you do?", the broadest question (the
// responder answers it with the introduction); about someone else it asks what they do.
func TestDoForALivingIsWhatYouDo(t *testing.T) {
	for _, s := range []string{"What do you do for a living?", "What do you do for work?"} {
		if q := ParseQuery(s); !q.Empty() {
			t.Errorf("%s → %+v, want no words", s, q.Groups)
		}
	}
	ix := NewIndex(Sentences("I worked as a nurse for 38 years.\n\nMy father was a fisherman.\n\nI sing in a choir."))
	expectAnswers(t, ix, map[string]string{"What did your dad do for a living?": "fisherman"})
}

// A hobby is a category of pastimes: "What are your hobbies?" meets "I cook a lot" in a persona
// that never says "hobby"; a sport is not one of them.
func TestHobbiesReachPastimes(t *testing.T) {
	ix := NewIndex(Sentences("Off stage I cook a lot, mostly Danish food.\n\nI teach bass at a music school.\n\nMy band is a trio."))
	expectAnswers(t, ix, map[string]string{
		"What are your hobbies?":       "cook",
		"What's your favourite sport?": "",
	})
}
