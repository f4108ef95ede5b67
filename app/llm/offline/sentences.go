package offline

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// sentences splits persona text into retrievable sentences, each tagged with its section heading
// (a Markdown `#` line or a short line ending in ":").
func sentences(text string) []doc {
	var docs []doc
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
		for _, s := range splitSentences(line) {
			docs = append(docs, newDoc(s, section, len(docs)))
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

// sections lists the persona's section headings, in order.
func sections(text string) []string {
	var out []string
	for _, line := range strings.Split(text, "\n") {
		if h, ok := heading(strings.TrimSpace(line)); ok && h != "" {
			out = append(out, h)
		}
	}
	return out
}

// splitSentences breaks a line after ., ! or ? followed by a space and an upper-case letter,
// digit or quote.
func splitSentences(line string) []string {
	var out []string
	start := 0
	runes := []rune(line)
	for i := 0; i+2 < len(runes); i++ {
		if (runes[i] == '.' || runes[i] == '!' || runes[i] == '?') && runes[i+1] == ' ' &&
			(unicode.IsUpper(runes[i+2]) || unicode.IsDigit(runes[i+2]) || runes[i+2] == '"' || runes[i+2] == '“') {
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

func newDoc(text, section string, pos int) doc {
	d := doc{text: text, section: section, pos: pos, terms: map[string]int{}}
	for _, t := range terms(text) {
		d.terms[t]++
		d.length++
	}
	for _, t := range terms(section) {
		d.terms[t]++
		d.length++
	}
	return d
}
