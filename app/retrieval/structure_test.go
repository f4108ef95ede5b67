package retrieval

import (
	"regexp"
	"slices"
	"strings"
	"testing"

	"pgregory.net/rapid"
)

// A profile's "Label: text" lines are separate paragraphs, each under its label: the line
// before must not lend its words ("Outside work" to "Where does Priya work?").
func TestLabelLinesAreParagraphs(t *testing.T) {
	docs := Sentences("Background:\nOutside work: I play bass in a band.\nFamily: married to Priya, a pediatrician.")
	if len(docs) != 2 || docs[1].Prev != -1 || docs[1].Section != "Family" || docs[0].Section != "Outside work" {
		t.Fatalf("docs %+v", docs)
	}
	for _, line := range []string{"Note: x", "I said: hello there", "In 2019: moved", "Family:"} {
		if _, ok := label(line); ok != (line == "Note: x") {
			t.Errorf("label(%q) = %v", line, ok)
		}
	}
}

// A dotted degree ("B.S.", "Ph.D.") neither ends a sentence nor falls apart into letters.
func TestDottedAcronymsAreOneWord(t *testing.T) {
	got := SplitSentences("B.S. Computer Engineering, Monterrey, 2011. Then Oracle.")
	if len(got) != 2 || got[0] != "B.S. Computer Engineering, Monterrey, 2011." {
		t.Fatalf("%q", got)
	}
	if ts := terms(got[0]); !slices.Contains(ts, "bs") {
		t.Fatalf("terms %q lack bs", ts)
	}
	ix := NewIndex(Sentences("Grew up in Monterrey.\nB.S. Computer Engineering, 2011."))
	if hits := Answers(ix, ParseQuery("What did you study?")); len(hits) == 0 || hits[0].Doc.Pos != 1 {
		t.Fatalf("What did you study? → %+v", hits)
	}
}

// Relatives of one kind are not synonyms: a daughter is not a son, though both are children.
func TestKinAreCategoriesNotSynonyms(t *testing.T) {
	for _, c := range []struct {
		word, relative string
		want           bool
	}{
		{"daughter", "son", false}, {"son", "daughter", false}, {"mother", "father", false},
		{"sister", "brother", false}, {"kid", "son", true}, {"children", "daughter", true},
		{"sibling", "sister", true}, {"parent", "mum", true}, {"son", "boy", true},
	} {
		if got := slices.Contains(relations[term(c.word)], term(c.relative)); got != c.want {
			t.Errorf("%s reaches %s: %v, want %v", c.word, c.relative, got, c.want)
		}
	}
	ix := NewIndex(Sentences("I coach my son's soccer team.\nI have two boys."))
	if hits := Answers(ix, ParseQuery("Do you have a daughter?")); len(hits) != 0 {
		t.Fatalf("daughter answered by %q", hits[0].Doc.Text)
	}
}

// A name the persona uses must be met: "Where does Priya work?" is not answered by a sentence
// about the owner's own work.
func TestKnownNamesMustBeMet(t *testing.T) {
	ix := NewIndex(Sentences("I teach music at a school in Leith.\n\nI live with my partner Ewan, who builds boats."))
	if hits := Answers(ix, ParseQuery("Where does Ewan work?")); len(hits) != 0 {
		t.Fatalf("answered by %q", hits[0].Doc.Text)
	}
	if hits := Answers(ix, ParseQuery("What does Ewan do?")); len(hits) == 0 || hits[0].Doc.Pos != 1 {
		t.Fatalf("What does Ewan do? → %+v", hits)
	}
}

// Particles and "other" wrap a question without naming its topic.
func TestParticlesAreNotTopics(t *testing.T) {
	for q, want := range map[string][]string{
		"Where did you grow up?": {"grow"}, "Any other hobbies?": {"hobby"}, "What else do you do?": nil,
	} {
		var got []string
		for _, g := range ParseQuery(q).Groups {
			got = append(got, g.Terms[0])
		}
		if !slices.Equal(got, want) {
			t.Errorf("ParseQuery(%q) words %q, want %q", q, got, want)
		}
	}
}

// The answer types read once per sentence, with their cheap pre-checks, are what the patterns
// say of the text.
func TestTypesOfIsThePatterns(t *testing.T) {
	patterns := map[AnswerType]*regexp.Regexp{
		Duration: durationPattern, Date: datePattern, Place: placePattern, Organisation: orgPattern,
		Person: personPattern, Number: numberPattern, Contact: contactPattern, Phone: phonePattern, Age: agePattern,
	}
	alphabet := []string{"I ", "joined ", "at ", "in ", "Acme", "Bologna, Italy", "since ", "2019", "three years",
		"may ", "a@b.io", "+48 600 123 456", "x.dev", "LinkedIn", "É", "é", ". ", ", ", "1999–now", "ten "}
	rapid.Check(t, func(t *rapid.T) {
		text := ""
		for _, p := range rapid.SliceOfN(rapid.SampledFrom(alphabet), 1, 10).Draw(t, "parts") {
			text += p
		}
		d := NewDoc(text, "", 0)
		for typ, p := range patterns {
			if got, want := d.Holds(typ), p.MatchString(text); got != want {
				t.Fatalf("%q holds type %d: %v, want %v", text, typ, got, want)
			}
		}
	})
}

// Answer types of the kinds a CV and a visitor's wording have.
func TestAnswerTypeCues(t *testing.T) {
	cv := NewIndex(Sentences("PRIYA NAIR\nData Analyst · Manchester, UK · priya@example.co.uk\n\nExperience\n" +
		"2021–present  Senior Data Analyst, NHS Greater Manchester.\n\nEducation\n2014–2017  BSc Mathematics, University of Leeds.\n\nOther\nHalf-marathon runner. Keen birdwatcher."))
	expectAnswers(t, cv, map[string]string{
		"Where are you based?":                 "Manchester, UK",
		"Who do you work for?":                 "NHS Greater Manchester",
		"Since when have you been at the NHS?": "2021–present",
		"What's your email?":                   "priya@example.co.uk",
		"What's your phone number?":            "",
		"Do you have a PhD?":                   "",
		"Which university did you go to?":      "University of Leeds",
		"What are your hobbies?":               "Keen birdwatcher",
	})
	if ix := NewIndex(Sentences("Call me on +44 161 555 0192.")); len(Answers(ix, ParseQuery("What's your phone number?"))) == 0 {
		t.Error("a phone number did not answer \"What's your phone number?\"")
	}
}

// A sentence holding several relatives of a question word ("BSc", "University", under
// "Education") outranks a shorter one holding one ("Graduate").
func TestMoreRelativesRankHigher(t *testing.T) {
	ix := NewIndex(Sentences("Experience\n2017–2018  Graduate Analyst, Experian, Nottingham.\n\n" +
		"Education\n2014–2017  BSc Mathematics, University of Leeds (First Class)."))
	if hits := Answers(ix, ParseQuery("What did you study?")); len(hits) == 0 || !strings.Contains(hits[0].Doc.Text, "BSc") {
		t.Fatalf("What did you study? → %+v", hits)
	}
}

// In an FAQ the question heads its answer and is not itself a fact.
func TestFAQQuestionsHeadTheirAnswers(t *testing.T) {
	docs := Sentences("## FAQ\n\nQ: Can students join the lab?\nA: We take two PhD students a year. Write to me with your CV.\n\nQ: Do you give talks?\nA: Yes, to schools.")
	if len(docs) != 3 || docs[0].Text != "We take two PhD students a year." || docs[0].Section != "Can students join the lab?" ||
		docs[1].Prev != 0 || docs[2].Section != "Do you give talks?" || docs[2].Text != "Yes, to schools." {
		t.Fatalf("docs %+v", docs)
	}
	ix := NewIndex(Sentences("I study corals in Townsville. I dive every week. I grew up in Xiamen.\n\n" +
		"Q: Can students join the lab?\nA: We take two PhD students a year. Write to me with your CV."))
	if hits := Answers(ix, ParseQuery("How do I apply to your lab?")); len(hits) == 0 || hits[0].Doc.Pos < 3 {
		t.Fatalf("How do I apply to your lab? → %+v", hits)
	}
}

// A stop-word written as a name is a name: "Did you study in the US?" is not answered by a
// sentence about studying elsewhere.
func TestStopwordNamesAreNames(t *testing.T) {
	ix := NewIndex(Sentences("I studied in Brisbane."))
	if hits := Answers(ix, ParseQuery("Did you study in the US?")); len(hits) != 0 {
		t.Fatalf("answered by %q", hits[0].Doc.Text)
	}
	if hits := Answers(ix, ParseQuery("Where did you study?")); len(hits) == 0 {
		t.Fatal("Where did you study? was not answered")
	}
}

// "Before Booksy" is the dated line before the one naming Booksy, in either order a CV lists
// them; before the earliest there is nothing to say.
func TestBeforeANamedThing(t *testing.T) {
	jobs := []string{"2021–now  Lead Product Designer, Booksy, Warsaw.", "2018–2021  Product Designer, DocPlanner, Warsaw.", "2015–2018  UI Designer, Revolut, London."}
	for _, order := range [][]string{jobs, {jobs[2], jobs[1], jobs[0]}} {
		ix := NewIndex(Sentences("Hannah Kowalski\n\nExperience\n" + strings.Join(order, "\n") + "\n\nEducation\n2010–2015  MA Interaction Design, Warsaw."))
		hits := Answers(ix, ParseQuery("Where did you work before Booksy?"))
		if len(hits) != 1 || !strings.Contains(hits[0].Doc.Text, "DocPlanner") {
			t.Errorf("before Booksy → %+v", hits)
		}
		if hits := Answers(ix, ParseQuery("Where did you work before Revolut?")); len(hits) != 0 {
			t.Errorf("before Revolut → %q", hits[0].Doc.Text)
		}
	}
}

// "How old are you?" is answered by the owner's own age, in a learner's words too, and by no
// one else's.
func TestOwnAge(t *testing.T) {
	for text, want := range map[string]bool{
		"Bonjour! I have 34 years and I am french.":     true,
		"I'm 41 and I live in Leeds.":                   true,
		"My son is 7 years old.":                        false,
		"I have 2 kids and a dog.":                      false,
		"hi there! i'm dev patel, 29, and i fix bikes.": true,
	} {
		ix := NewIndex(Sentences(text + "\n\nI like tea."))
		if got := len(Answers(ix, ParseQuery("How old are you?"))) > 0; got != want {
			t.Errorf("%q answers How old are you?: %v, want %v", text, got, want)
		}
	}
}

// A CV's bullets detail the job line above them; bullets under a heading stand alone.
func TestBulletsDetailTheLineAbove(t *testing.T) {
	docs := Sentences("WORK HISTORY\nJun 2018 – Feb 2022 | Senior Developer | PayU, Poznań\n- Built the card tokenisation service.\n- Mentored 4 juniors.\n\n## Hobbies\n- Chess.\n- Sailing.")
	if len(docs) != 5 || docs[1].Prev != 0 || docs[2].Prev != 0 || docs[3].Prev != -1 || docs[4].Prev != -1 {
		t.Fatalf("docs %+v", docs)
	}
	ix := NewIndex(Sentences("Marek Nowak | Backend Engineer\n\nWORK HISTORY\nMar 2022 – Present | Staff Engineer | Allegro\n- Lead a team of 6.\n\nJun 2018 – Feb 2022 | Senior Developer | PayU, Poznań\n- Built the card tokenisation service.\n\nINTERESTS\nSailing, chess (club rating 1850)."))
	expectAnswers(t, ix, map[string]string{
		"What did you build at PayU?": "card tokenisation",
		"Do you play chess?":          "chess",
		"Have you mentored anyone?":   "",
	})
}

func TestStemAdverbs(t *testing.T) {
	for _, c := range [][2]string{{"remotely", "remote"}, {"currently", "current"}, {"fluently", "fluent"}} {
		if Stem(c[0]) != Stem(c[1]) {
			t.Errorf("Stem(%q) = %q, Stem(%q) = %q", c[0], Stem(c[0]), c[1], Stem(c[1]))
		}
	}
	for _, w := range []string{"family", "early", "supply"} {
		if got := Stem(w); !strings.HasPrefix(w, got) || len(got) < len(w)-1 {
			t.Errorf("Stem(%q) = %q: not an adverb", w, got)
		}
	}
	if got := ParseQuery("Have you mentored anyone?").Groups; len(got) != 1 || got[0].Terms[0] != "mentor" {
		t.Errorf("Have you mentored anyone? → %+v", got)
	}
}

// expectAnswers checks the best answer to each question holds the wanted text, or that there is
// none when the wanted text is "".
func expectAnswers(t *testing.T, ix *Index, cases map[string]string) {
	t.Helper()
	for q, want := range cases {
		got := ""
		if hits := Answers(ix, ParseQuery(q)); len(hits) > 0 {
			got = hits[0].Doc.Text
		}
		if (want == "") != (got == "") || !strings.Contains(got, want) {
			t.Errorf("%s → %q, want a sentence with %q", q, got, want)
		}
	}
}

// "Your first job" in a CV is its earliest dated line of the section that answers.
func TestFirstIsTheEarliestDatedLine(t *testing.T) {
	ix := NewIndex(Sentences("Experience\n2021–present  Senior Data Analyst, NHS.\n2018–2021  Data Analyst, Boots, Nottingham.\n" +
		"2017–2018  Graduate Analyst, Experian, Nottingham.\n\nEducation\n2014–2017  BSc Mathematics, Leeds (First Class)."))
	expectAnswers(t, ix, map[string]string{"What was your first job?": "Experian"})
}

// A writer without capitals still has sentences, plurals of -ing words meet their singular, and a
// sentence starting "my mum…" also answers about the dad it names.
func TestLowerCaseWriter(t *testing.T) {
	if got := SplitSentences("i run a shop. before that i was a courier. e.g. the vans."); len(got) != 3 || got[2] != "e.g. the vans." {
		t.Errorf("SplitSentences = %q", got)
	}
	if Stem("siblings") != Stem("sibling") || Stem("buildings") != Stem("building") {
		t.Errorf("Stem(siblings) = %q, Stem(sibling) = %q", Stem("siblings"), Stem("sibling"))
	}
	ix := NewIndex(Sentences("i grew up in leicester. my mum's a pharmacist and my dad drives buses. i've got one older sister.\n\n" +
		"my sister got married in lisbon.\n\ni'm vegan since 2018."))
	expectAnswers(t, ix, map[string]string{
		"What does your father do?": "my dad drives buses",
		"Do you have siblings?":     "older sister",
		"Do you eat meat?":          "vegan",
		"Are you married?":          "",
	})
}
