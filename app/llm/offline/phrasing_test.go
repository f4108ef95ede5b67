package offline

import (
	"strings"
	"testing"

	"github.com/digitaltwin/twin/app/persona"
	"github.com/digitaltwin/twin/app/twin"
)

// A persona the responder was not written against, asked in visitors' words.
const notesPersona = `# Noor Haddad
I'm a structural engineer at Arup in Manchester. I joined the bridges team in 2018.
I live in Salford with my partner and our son and daughter.
My sister got married in Lisbon last spring.
I play the cello in a community orchestra, and I go climbing on Saturdays.
I studied civil engineering at the University of Leeds.

## Languages
- Arabic and English

## Contact
- noor@example.org
`

func parsePersona(t *testing.T, text string) twin.Persona {
	t.Helper()
	p, err := persona.Parse([]byte(text))
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// Each kind of miss the responder used to make, one question each.
func TestAnswersVisitorsWords(t *testing.T) {
	p := parsePersona(t, notesPersona)
	for _, tc := range []struct{ why, q, want string }{
		{"relative: kids → son and daughter", "Do you have kids?", "son and daughter"},
		{"relative: job → engineer at", "What's your job?", "structural engineer"},
		{"category → instance: instruments → cello", "Do you play any instruments?", "cello"},
		{"category → instance: sports → climbing", "What sports do you do?", "climbing"},
		{"absent light word: attend", "Which university did you attend?", "University of Leeds"},
		{"stemming: graduate ~ studied", "Where did you go to college?", "University of Leeds"},
		{"answer type and the sentence before: how long → 2018", "How long have you been with your employer?", "in 2018"},
		{"answer type: when → a year", "When did you join the bridges team?", "2018"},
		{"section heading as context", "What languages do you speak?", "Arabic"},
		{"contact details", "What's your email address?", "noor@example.org"},
		{"how do I … asks the owner", "How do I contact you?", "noor@example.org"},
		{"idiom: for a living", "What do you do for a living?", "structural engineer"},
	} {
		if got := ask(New(0), p, tc.q); !strings.Contains(got, tc.want) {
			t.Errorf("%s: ask(%q) = %q, want it to contain %q", tc.why, tc.q, got, tc.want)
		}
	}
}

// Near-misses: the persona has words of the question but not its answer.
func TestDeclinesNearMisses(t *testing.T) {
	p := parsePersona(t, notesPersona)
	for _, tc := range []struct{ why, q string }{
		{"someone else's wedding", "Are you married?"},
		{"a name is not a topic", "Who founded Arup?"},
		{"a possessive names whose favourite", "What is your partner's favourite instrument?"},
		{"an absent noun outweighs a modifier", "What is your favourite film?"},
		{"an answer type alone", "How old are you?"},
		{"an absent noun beside a present one", "How many tables does your orchestra have?"},
	} {
		if got := ask(New(0), p, tc.q); !strings.Contains(got, "not something I've shared") {
			t.Errorf("%s: ask(%q) = %q, want the in-character decline", tc.why, tc.q, got)
		}
	}
}

// Every answer is made of persona sentences: nothing is invented, whatever is asked.
func TestAnswersAreMadeOfPersonaSentences(t *testing.T) {
	p := parsePersona(t, notesPersona)
	for _, q := range []string{"Do you have kids?", "How long have you been with your employer?", "What languages do you speak?", "Tell me about your family"} {
		got := ask(New(0), p, q)
		if strings.Contains(got, "not something I've shared") {
			continue
		}
		rest := got
		for _, line := range strings.Split(p.Text, "\n") {
			line = strings.TrimLeft(strings.TrimSpace(line), "-# ")
			if line != "" {
				rest = strings.ReplaceAll(rest, line+".", "")
				rest = strings.ReplaceAll(rest, line, "")
			}
		}
		for _, s := range []string{"I'm a structural engineer at Arup in Manchester.", "I joined the bridges team in 2018."} {
			rest = strings.ReplaceAll(rest, s, "")
		}
		if strings.TrimSpace(rest) != "" {
			t.Errorf("ask(%q) = %q: %q is not from the persona", q, got, strings.TrimSpace(rest))
		}
	}
}

// The decline suggests the persona's sections, not the name at its top (a CV has no front matter).
func TestDeclineSuggestsSectionsNotTheTitle(t *testing.T) {
	p := parsePersona(t, "Jan Novak\nCarpenter\n\nExperience\n2019–now  Joiner, Novak & Sons, Brno.\n\nHobbies\nFishing.\n")
	got := ask(New(0), p, "What is your blood type?")
	if !strings.Contains(got, "Ask me about experience, hobbies instead.") || strings.Contains(strings.ToLower(got), "novak,") {
		t.Fatalf("decline %q", got)
	}
}
