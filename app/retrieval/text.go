package retrieval

import (
	"regexp"
	"strings"
	"unicode"
)

// IsStopword reports whether a lower-case word carries no topic.
func IsStopword(w string) bool { return stopwords[w] }

// stopwords carry no topic: question words, pronouns, auxiliaries, fillers and the adverbs
// visitors add to a question without changing what it asks ("actually", "exactly", "any other"),
// the particles of phrasal verbs ("grow up"), and prepositions that only place the question
// ("a job alongside your studies").
var stopwords = toSet(`a an the and or but if of to in on at for from by with about as into over
what whats which who whom whose where when why how is are was were be been being am do does did
done have has had having can could would should will shall may might must you your yours yourself
i me my mine myself we us our it its this that these those there here tell say said please any
some much many very really just so than then also too not no yes ok okay hey hi hello thanks
thank let know think s t d ll re ve m like get got into more right use using used thing things
kind sort usually often ever lot lots want need feel mean find actually exactly generally
typically mostly anything something stuff type main most up out off other else anyone anybody
someone somebody everyone everybody alongside besides beside during within without beyond across
along through throughout towards toward upon onto via per among amongst whilst while`)

func toSet(words string) map[string]bool {
	m := map[string]bool{}
	for _, w := range strings.Fields(words) {
		m[w] = true
	}
	return m
}

// Words lowercases s and splits it into letter/digit runs.
func Words(s string) []string {
	return strings.FieldsFunc(strings.ToLower(s), func(r rune) bool {
		return !unicode.IsLetter(r) && !unicode.IsDigit(r)
	})
}

// terms returns the stemmed content words of s, a dotted acronym as one word ("B.S." → "bs").
func terms(s string) []string {
	var out []string
	if dotted(s) {
		s = acronym.ReplaceAllStringFunc(s, func(a string) string { return strings.ReplaceAll(a, ".", "") })
	}
	for _, w := range Words(s) {
		if !stopwords[w] {
			out = append(out, term(w))
		}
	}
	return out
}

// acronym is a dotted abbreviation of short letter groups: "B.S.", "Ph.D.", "M.Sc.".
var acronym = regexp.MustCompile(`\b\pL{1,2}(?:\.\pL{1,2})+\b\.?`)

// dotted reports whether s has a full stop followed by a letter, as acronyms do.
func dotted(s string) bool {
	for i := 0; i+1 < len(s); i++ {
		if s[i] == '.' && unicode.IsLetter(rune(s[i+1])) {
			return true
		}
	}
	return false
}

// Stem strips common English suffixes so that "projects", "building", "lived" and "graduate"
// meet their stems: -ly after five letters or more ("remotely", not "family"), -ies → -y, -ing
// and -ed (undoubling "running" → "run"), -es after s/x/z, ch/sh, a plain -s, then a final -e
// ("live", "living" and "lived" all become "liv").
func Stem(w string) string {
	if len(w) > 6 && strings.HasSuffix(w, "ings") {
		w = w[:len(w)-1] // "siblings", "buildings": as their singular
	}
	switch {
	case len(w) > 6 && strings.HasSuffix(w, "ly"): // "remotely", not "family"
		w = w[:len(w)-2]
	case len(w) > 4 && strings.HasSuffix(w, "ies"):
		w = w[:len(w)-3] + "y"
	case len(w) > 5 && strings.HasSuffix(w, "ing"):
		w = undouble(w[:len(w)-3])
	case len(w) > 4 && strings.HasSuffix(w, "ed") && !strings.HasSuffix(w, "eed"):
		w = undouble(w[:len(w)-2])
	case len(w) > 4 && strings.HasSuffix(w, "es") && strings.ContainsAny(w[len(w)-3:len(w)-2], "sxz"),
		len(w) > 5 && (strings.HasSuffix(w, "ches") || strings.HasSuffix(w, "shes")):
		w = w[:len(w)-2]
	case len(w) > 3 && strings.HasSuffix(w, "s") && !strings.HasSuffix(w, "ss") && !strings.HasSuffix(w, "us"):
		w = w[:len(w)-1]
	}
	if len(w) > 3 && strings.HasSuffix(w, "e") && !strings.HasSuffix(w, "ee") {
		w = w[:len(w)-1]
	}
	return w
}

// root is the root a stem shares with its family: the stem without a derivational suffix, as
// Stem would leave it ("internship" and "interned" meet in "intern", "retirement" and "retired"
// in "retir", "musical" and "music" in "music", "graduation" and "graduate" in "graduat"), or
// the stem itself.
func root(stem string) string {
	for range 2 { // "professional" → "profession" → "profess"
		cut := false
		for _, suffix := range []string{"ship", "ment", "ness", "al", "ion"} {
			if r, ok := strings.CutSuffix(stem, suffix); ok && len(r) >= 4 && (suffix != "ion" || len(r) >= 5) {
				if len(r) > 3 && strings.HasSuffix(r, "e") && !strings.HasSuffix(r, "ee") {
					r = r[:len(r)-1] // as Stem leaves "move" of "moved"
				}
				stem, cut = r, true
				break
			}
		}
		if !cut {
			break
		}
	}
	return stem
}

// undouble drops the second of two equal final consonants ("runn" → "run"), keeping ll, ss, zz.
func undouble(w string) string {
	n := len(w)
	if n > 3 && w[n-1] == w[n-2] && !strings.ContainsRune("aeiouylsz", rune(w[n-1])) {
		return w[:n-1]
	}
	return w
}

// phrases rewrites idioms whose words would mislead the index ("for a living" is a job, not a
// home) before a question is split into words.
var phrases = strings.NewReplacer(
	"do for a living", "do", // "what do you do for a living?" is "what do you do?"
	"do for work", "do",
	"for a living", "job",
	"get in touch", "contact",
	"get around", "transport",
	"working from home", "remote work",
	"work from home", "remote work",
	"book a table", "booking",
	"at the moment", "currently",
	"spare time", "spare",
	"free time", "free",
	"these days", "currently",
	"make a reservation", "booking",
	"last name", "surname",
	"programming languages", "programming",
	"programming language", "programming",
	"high school", "highschool",
	"open its doors", "open",
	"open the doors", "open",
	"family name", "surname",
	"where are you from", "where hometown",
	"good at", "strengths",
	"where are you originally from", "where hometown",
	"where do you come from", "where hometown",
	"where do you hail from", "where hometown",
	"do you come from", "hometown",
	"are you from", "hometown",
)

// light words are verbs and adjectives a visitor wraps a question in ("did you attend", "would
// you recommend"): absent from the persona, they weigh half as much as an absent noun, which
// names something the persona may simply not have.
var light = toSet(`attend attended serve served shoot recommend spend spent make made take took
give gave keep kept happen happened call called name named describe mention prefer choose chose
pick picked stay stayed begin began finish finished become became own owned bring
consider offer show see seen saw hold held turn try tried help helped plan hope look looked come
came put set meet met provide include continue change changed understand follow create created
allow add added win won lose lost stand sit sat send sent expect hear heard wear wore walk eat
sleep apply matter play plays played playing first last good great new big small little short high low early late young real sure same
different important whole open various special usual recent next particular actual certain
doing going having making move moved moving relocate relocated biggest greatest largest best worst latest newest hardest proudest`)
