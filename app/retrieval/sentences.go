package retrieval

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// Sentences splits persona text into retrievable sentences, each tagged with its section heading
// (a Markdown `#` line or a short line ending in ":") and linked to the sentence before it in
// the same paragraph (a blank line, a heading or a bullet starts a new one).
func Sentences(text string) []Doc {
	var docs []Doc
	section, prev := "", -1
	for _, line := range strings.Split(text, "\n") {
		line = strings.TrimSpace(line)
		if line == "" {
			prev = -1
			continue
		}
		if h, ok := heading(line); ok {
			section, prev = h, -1
			continue
		}
		if trimmed := strings.TrimLeft(line, "-*• "); trimmed != line {
			line, prev = trimmed, -1
		}
		for _, s := range SplitSentences(line) {
			d := NewDoc(s, section, len(docs))
			d.Prev, prev = prev, d.Pos
			docs = append(docs, d)
		}
	}
	return docs
}

func heading(line string) (string, bool) {
	if strings.HasPrefix(line, "#") {
		return strings.TrimSpace(strings.TrimLeft(line, "#")), true
	}
	if strings.HasSuffix(line, ":") && utf8.RuneCountInString(line) <= 40 && !strings.ContainsAny(line, ".!?") {
		return strings.TrimSuffix(line, ":"), true
	}
	return "", false
}

// Sections lists the persona's section headings, in order.
func Sections(text string) []string {
	var out []string
	for _, line := range strings.Split(text, "\n") {
		if h, ok := heading(strings.TrimSpace(line)); ok && h != "" {
			out = append(out, h)
		}
	}
	return out
}

// SplitSentences breaks a line after ., ! or ? followed by a space and an upper-case letter,
// digit or quote, but not after an initial ("Ursula K. Le Guin") or a common abbreviation.
func SplitSentences(line string) []string {
	var out []string
	start := 0
	runes := []rune(line)
	for i := 0; i+2 < len(runes); i++ {
		if (runes[i] == '.' || runes[i] == '!' || runes[i] == '?') && runes[i+1] == ' ' &&
			(unicode.IsUpper(runes[i+2]) || unicode.IsDigit(runes[i+2]) || runes[i+2] == '"' || runes[i+2] == '“') &&
			!(runes[i] == '.' && abbreviation(runes[start:i])) {
			if s := strings.TrimSpace(string(runes[start : i+1])); s != "" {
				out = append(out, s)
			}
			start = i + 2
		}
	}
	if s := strings.TrimSpace(string(runes[start:])); s != "" {
		out = append(out, s)
	}
	return out
}

// Topic returns the section of the persona a question is about: the heading of the best
// answering sentence, or "" when none answers it.
func Topic(ix *Index, question string) string {
	if hits := Answers(ix, ParseQuery(question)); len(hits) > 0 {
		return hits[0].Doc.Section
	}
	return ""
}

// abbreviation reports whether text (a sentence so far) ends in an initial or an abbreviation
// whose period does not end the sentence.
func abbreviation(text []rune) bool {
	i := len(text)
	for i > 0 && text[i-1] != ' ' {
		i--
	}
	word := strings.ToLower(string(text[i:]))
	if utf8.RuneCountInString(word) == 1 && unicode.IsLetter([]rune(word)[0]) {
		return true
	}
	switch word {
	case "mr", "mrs", "ms", "dr", "prof", "st", "jr", "sr", "vs", "etc", "e.g", "i.e", "inc", "ltd", "no":
		return true
	}
	return false
}
