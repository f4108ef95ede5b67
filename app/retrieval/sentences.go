package retrieval

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// Sentences splits persona text into retrievable sentences, each tagged with its section heading
// (a Markdown `#` line or a short line ending in ":").
func Sentences(text string) []Doc {
	var docs []Doc
	section := ""
	for _, line := range strings.Split(text, "\n") {
		line = strings.TrimSpace(line)
		if line == "" {
			continue
		}
		if h, ok := heading(line); ok {
			section = h
			continue
		}
		line = strings.TrimLeft(line, "-*• ")
		for _, s := range SplitSentences(line) {
			docs = append(docs, NewDoc(s, section, len(docs)))
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
// matching sentence, or "" when nothing matches at least half the question.
func Topic(ix *Index, question string) string {
	hits := ix.Search(ParseQuery(question))
	if len(hits) == 0 || hits[0].Coverage < 0.5 {
		return ""
	}
	return hits[0].Doc.Section
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
