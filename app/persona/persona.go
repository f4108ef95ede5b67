// Package persona parses the owner's persona file (me.txt) and loads it from disk. The persona text
// always goes whole into the system prompt; only its front matter (name, greeting, starters) is
// ever shown to visitors.
package persona

import (
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/digitaltwin/twin/app/twin"
)

// MaxBytes is the largest persona accepted (256 KiB).
const MaxBytes = 256 << 10

// defaultStarters are offered when the persona names none.
var defaultStarters = []string{
	"What do you do?",
	"What are you working on right now?",
	"What do you care about in your work?",
	"How can I get in touch?",
}

// Parse validates a persona file's bytes and splits off its optional front matter:
//
//	---
//	name: Ada Example
//	greeting: Hi! Ask me anything about my work.
//	starters:
//	  - What are you building?
//	---
//
// Missing fields are derived from the text. Empty, non-UTF-8 or oversized input returns a
// *twin.Error with CodePersonaUnavailable.
func Parse(data []byte) (twin.Persona, error) {
	text, err := Extract("me.txt", data)
	if err != nil {
		return twin.Persona{}, unavailable(fmt.Errorf("persona: %w", err))
	}
	p, _, err := Assemble([]Doc{{Name: "me.txt", Text: text}}, nil)
	return p, err
}

func unavailable(err error) error {
	return twin.Wrap(twin.CodePersonaUnavailable, err, "the persona is not available")
}

var (
	namePattern = regexp.MustCompile(`\b(?i:my name is)\s+([A-Z][\p{L}'-]+(?:\s+[A-Z][\p{L}'-]+){0,2})`)
	// introPattern is how an opening paragraph names its writer: "I'm Tomás Rivera", "Hey!
	// Jonas here." Later in the text "I'm Danish" is not a name.
	introPattern   = regexp.MustCompile(`\b(?i:i am|i'm)\s+([A-Z][\p{L}'-]+(?:\s+[A-Z][\p{L}'-]+){0,2})|(?:^|[.!?]\s+)([A-Z][\p{L}'-]+(?:\s+[A-Z][\p{L}'-]+)?) here[.!,]`)
	headingPattern = regexp.MustCompile(`^#\s+(.{1,80})$`)
	// nameLine is a CV's or profile's first line when it is only a name: two or three
	// capitalised words ("Tomás Rivera", "Mary-Jane O'Neil").
	nameLine = regexp.MustCompile(`^\p{Lu}[\p{L}'-]+(?:\s+\p{Lu}[\p{L}'-]+){1,2}$`)
)

// titleWords make a capitalised first line a job title or a heading, not a name.
var titleWords = map[string]bool{
	"senior": true, "junior": true, "lead": true, "principal": true, "staff": true, "chief": true,
	"engineer": true, "designer": true, "developer": true, "manager": true, "director": true,
	"consultant": true, "product": true, "software": true, "data": true, "about": true,
	"me": true, "curriculum": true, "vitae": true, "resume": true, "profile": true, "notes": true,
}

// deriveName finds the owner's name in the persona's own words: a leading "# Heading", else a
// "My name is …" sentence, else an opening paragraph's "I'm …" or "… here", else a first line
// that is only a name (a CV's, or the first part of a CV header "Name | Title | City"), else
// "me".
func deriveName(body string) string {
	body = strings.TrimLeft(body, "\n\r\t ")
	first, _, _ := strings.Cut(body, "\n")
	first = strings.TrimSpace(first)
	if m := headingPattern.FindStringSubmatch(first); m != nil {
		return strings.TrimSpace(m[1])
	}
	if m := namePattern.FindStringSubmatch(body); m != nil {
		return m[1]
	}
	opening, _, _ := strings.Cut(body, "\n\n")
	if m := introPattern.FindStringSubmatch(opening); m != nil {
		return m[1] + m[2]
	}
	lead, _, _ := strings.Cut(first, " | ")
	lead = strings.TrimSpace(lead)
	if nameLine.MatchString(lead) && !slices.ContainsFunc(strings.Fields(lead), func(w string) bool { return titleWords[strings.ToLower(w)] }) {
		return lead
	}
	return "me"
}
