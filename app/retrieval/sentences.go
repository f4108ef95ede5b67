package retrieval

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// Sentences splits persona text into retrievable sentences, each tagged with its section heading
// (see heading) and linked to the sentence before it in the same paragraph (a blank line or a
// heading starts a new one; a bullet is linked to the line it details, if one comes before it). In an FAQ ("Q: …" then "A: …" lines) the question is the
// heading of its answer, and not a sentence itself.
func Sentences(text string) []Doc {
	var docs []Doc
	section, prev := "", -1
	faq, answered := "", false // the FAQ question the lines below answer, and whether one has
	parent := -1               // the last sentence of the line the bullets below detail
	lines := strings.Split(text, "\n")
	for i, line := range lines {
		line = strings.TrimSpace(line)
		if line == "" {
			if prev, parent = -1, -1; answered {
				faq, answered = "", false
			}
			continue
		}
		if h, ok := heading(lines, i); ok {
			section, prev, parent, faq = h, -1, -1, ""
			continue
		}
		if q, ok := cutLabel(line, "Q:", "Question:"); ok {
			faq, answered, prev = q, false, -1 // a question is not a fact: it heads its answer
			continue
		}
		bullet := false
		if trimmed := strings.TrimLeft(line, "-*• "); trimmed != line {
			line, prev, bullet = trimmed, parent, true // a CV's bullets detail the job line above
		}
		sec := section
		if a, ok := cutLabel(line, "A:", "Answer:"); ok && faq != "" {
			line, answered = a, true
		}
		if l, ok := label(line); ok {
			sec, prev = l, -1
		}
		if faq != "" {
			sec = faq
		}
		for _, s := range SplitSentences(line) {
			d := NewDoc(s, sec, len(docs))
			d.Prev, d.Line, prev = prev, i, d.Pos
			docs = append(docs, d)
		}
		if !bullet {
			parent = prev
		}
	}
	return docs
}

// cutLabel returns line without the first of labels it starts with ("Q: Do you give talks?"),
// case-insensitively.
func cutLabel(line string, labels ...string) (string, bool) {
	for _, l := range labels {
		if len(line) > len(l) && strings.EqualFold(line[:len(l)], l) {
			return strings.TrimSpace(line[len(l):]), true
		}
	}
	return "", false
}

// heading returns the heading lines[i] is, if it is one: a Markdown `#` line, a short line ending
// in ":", or a bare title as CVs have them ("Experience"): a short capitalised line without
// sentence punctuation or digits that starts a block (a blank line or the text's start before it)
// and has text right after it.
func heading(lines []string, i int) (string, bool) {
	line := strings.TrimSpace(lines[i])
	if strings.HasPrefix(line, "#") {
		return strings.TrimSpace(strings.TrimLeft(line, "#")), true
	}
	if strings.HasSuffix(line, ":") && utf8.RuneCountInString(line) <= 40 && !strings.ContainsAny(line, ".!?") {
		return strings.TrimSuffix(line, ":"), true
	}
	startsBlock := i == 0 || strings.TrimSpace(lines[i-1]) == ""
	hasBody := i+1 < len(lines) && strings.TrimSpace(lines[i+1]) != ""
	r, _ := utf8.DecodeRuneInString(line)
	if startsBlock && hasBody && unicode.IsUpper(r) && len(strings.Fields(line)) <= 4 &&
		utf8.RuneCountInString(line) <= 40 && !strings.ContainsAny(line, ".!?,;:·@/()0123456789") {
		return line, true
	}
	return "", false
}

// label returns the label of a "Family: married to Priya" line: a short capitalised phrase before
// a colon, with text after it, that is not a sentence's start ("I said: …"). Such a line is a paragraph of its own, under its label as heading.
func label(line string) (string, bool) {
	l, rest, ok := strings.Cut(line, ": ")
	r, _ := utf8.DecodeRuneInString(l)
	if !ok || strings.TrimSpace(rest) == "" || !unicode.IsUpper(r) || len(strings.Fields(l)) > 4 ||
		strings.HasPrefix(l, "I ") || strings.HasPrefix(l, "We ") || // "I said: …" is a sentence
		utf8.RuneCountInString(l) > 30 || strings.ContainsAny(l, ".!?,;:·@/()0123456789") {
		return "", false
	}
	return l, true
}

// Sections lists the persona's section headings, in order.
func Sections(text string) []string {
	var out []string
	lines := strings.Split(text, "\n")
	for i := range lines {
		if h, ok := heading(lines, i); ok && h != "" {
			out = append(out, h)
		}
	}
	return out
}

// SplitSentences breaks a line after ., ! or ? followed by a space and a letter (lower-case too:
// some write without capitals), digit or quote, but not after an initial ("Ursula K. Le Guin") or
// a common abbreviation ("e.g. the").
func SplitSentences(line string) []string {
	var out []string
	start := 0
	runes := []rune(line)
	for i := 0; i+2 < len(runes); i++ {
		if (runes[i] == '.' || runes[i] == '!' || runes[i] == '?') && runes[i+1] == ' ' &&
			(unicode.IsLetter(runes[i+2]) || unicode.IsDigit(runes[i+2]) || runes[i+2] == '"' || runes[i+2] == '“') &&
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
	if acronym.MatchString(word) {
		return true // "B.S" of "B.S. Computer Engineering"
	}
	switch word {
	case "mr", "mrs", "ms", "dr", "prof", "st", "jr", "sr", "vs", "etc", "e.g", "i.e", "inc", "ltd", "no":
		return true
	}
	return false
}
