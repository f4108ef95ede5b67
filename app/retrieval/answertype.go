package retrieval

import (
	"regexp"
	"strings"
	"unicode"
)

// AnswerType is the kind of thing a question asks for: "how long" wants a duration, "where" a
// place. A sentence holding that kind of thing answers the question's wh-word, so it counts as
// one more matched part of the question.
type AnswerType int

// Answer types.
const (
	AnyType      AnswerType = iota
	Duration                // how long, since when
	Date                    // when, what year
	Place                   // where
	Organisation            // which company, who … for
	Person                  // who
	Number                  // how old, how many, how much
	Contact                 // an address, a number, a link
	Phone                   // a telephone number (a contact detail too)
	Age                     // the owner's own age: "how old are you?"
)

var (
	yearPattern     = `\b(?:19|20)\d{2}\b`
	monthPattern    = `\b(?:january|february|march|april|may|june|july|august|september|october|november|december|spring|summer|autumn|winter|weekends?|sundays?|mondays?|saturdays?)\b`
	durationPattern = regexp.MustCompile(`(?i)\bsince\b|\b(?:\d+|one|two|three|four|five|six|seven|eight|nine|ten|twelve)\s+(?:years?|months?|weeks?)\b|\d{4}\s*[–-]\s*(?:\d{4}|present|now|today)|` + yearPattern)
	datePattern     = regexp.MustCompile(`(?i)` + yearPattern + `|` + monthPattern)
	placePattern    = regexp.MustCompile(`\b(?:in|at|from|to|near|around|on)\s+(?:the\s+)?\p{Lu}|\p{Lu}\p{Ll}+,\s+\p{Lu}`)
	orgPattern      = regexp.MustCompile(`\b(?:at|for|joined|with)\s+(?:the\s+)?\p{Lu}|^[^,]*\d{4}[^,]*,\s*\p{Lu}`)
	personPattern   = regexp.MustCompile(`.\b\p{Lu}\p{Ll}+`)
	numberPattern   = regexp.MustCompile(`(?i)\d|\b(?:one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|twenty|thirty|forty|fifty|hundred)\b`)
	// agePattern: the writer's own age, "I'm 34", "I am 34 years old", "I'm Dev Patel, 29,", "I
	// have 34 years".
	agePattern     = regexp.MustCompile(`(?i)\bi(?:'m|’m| am)\s+\d{1,2}\b(?:\s+years?\s+old)?|\bi(?:'m|’m| am)\s+\pL+(?:\s+\pL+)?,\s+\d{1,2},|\bi have\s+\d{1,2}\s+years\b|\baged\s+\d{1,2}\b`)
	phonePattern   = regexp.MustCompile(`\+?\d[\d ()-]{6,}\d`)
	contactPattern = regexp.MustCompile(`(?i)[\w.%+-]+@[\w-]+(?:\.[\w-]+)+|\+?\d[\d ()-]{6,}\d|\b[\w-]+\.(?:com|org|net|io|dev|design|me|app|site)\b|linkedin`)
)

// questionType reads the answer type from a lower-case question.
func questionType(q string) AnswerType {
	ws := Words(q)
	first := ""
	if len(ws) > 0 {
		first = ws[0]
	}
	padded := " " + strings.Join(ws, " ") + " "
	has := func(s ...string) bool {
		for _, x := range s {
			if strings.Contains(padded, " "+x+" ") {
				return true
			}
		}
		return false
	}
	switch {
	case has("how long", "since when", "how many years"):
		return Duration
	case has("how old are you", "what is your age", "what s your age", "your age"):
		return Age
	case has("how old", "how many", "how much", "what age"):
		return Number
	case first == "when" || has("what year", "which year"):
		return Date
	case has("phone", "telephone", "mobile") || (has("number") && !has("email")):
		return Phone
	case has("email", "address", "contact", "reach", "website", "linkedin", "portfolio"):
		return Contact
	case (first == "which" || first == "what" || first == "who") && has("company", "companies", "employer", "firm", "organisation", "organization",
		"school", "university", "college", "hospital", "agency", "studio"),
		first == "who" && ws[len(ws)-1] == "for":
		return Organisation
	case first == "where", (first == "which" || first == "what") && has("city", "town", "country", "street", "place"),
		has("abroad", "overseas"):
		return Place
	case first == "who":
		return Person
	}
	return AnyType
}

// typeNouns name the kind of thing they ask for (stemmed): in a question of that type, a
// sentence holding such a thing meets the word ("Which city are you in?" → "Warsaw, Poland").
var typeNouns = map[string]AnswerType{
	"city": Place, "town": Place, "country": Place, "plac": Place, "street": Place, "abroad": Place, "overseas": Place,
	"hometown": Place, "bas": Place, "locat": Place, "liv": Place,
	"company": Organisation, "employer": Organisation, "firm": Organisation,
	"email": Contact, "contact": Contact, "phon": Phone, "telephon": Phone, "number": Phone, "address": Contact, "websit": Contact,
	"year": Date, "dat": Date,
}

// Holds reports whether the document holds something of type t (read once, when it was made).
func (d *Doc) Holds(t AnswerType) bool { return t != AnyType && d.types&(1<<t) != 0 }

// typesOf returns the answer types text holds, one bit (1<<t) per type. It runs once per
// sentence when a persona's index is built, not per question; cheap checks skip the patterns
// that cannot match (no digit, no capital after the first letter, no "@").
func typesOf(text string) uint16 {
	digit, capital, at := false, false, false
	for i, r := range text {
		switch {
		case r >= '0' && r <= '9':
			digit = true
		case r == '@':
			at = true
		case i > 0 && unicode.IsUpper(r):
			capital = true
		}
	}
	lower := strings.ToLower(text)
	var set uint16
	add := func(t AnswerType, ok bool) {
		if ok {
			set |= 1 << t
		}
	}
	add(Duration, durationPattern.MatchString(lower))
	add(Date, datePattern.MatchString(lower))
	add(Place, capital && placePattern.MatchString(text))
	add(Organisation, (capital || digit) && orgPattern.MatchString(text))
	add(Person, capital && personPattern.MatchString(text))
	add(Number, numberPattern.MatchString(lower))
	add(Contact, (digit || at || strings.Contains(lower, ".") || strings.Contains(lower, "linkedin")) && contactPattern.MatchString(lower))
	add(Phone, digit && phonePattern.MatchString(text))
	add(Age, digit && agePattern.MatchString(text))
	return set
}

// typeWords are question words that only say what kind of answer is wanted: once the type is
// read they are not matched as topics ("old" in "how old", "long" in "how long").
var typeWords = map[AnswerType][]string{
	Duration: {"long", "year", "since"},
	Number:   {"old", "age"},
	Age:      {"old", "age"},
	Date:     {"year"},
}
