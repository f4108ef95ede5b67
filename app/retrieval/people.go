package retrieval

import "slices"

// subject returns the stem of the person a sentence starting "My sister …" or "Our son …" is
// about, or "" when the sentence is about the owner.
func subject(text string) string {
	ws := Words(text)
	if len(ws) > 1 && (ws[0] == "my" || ws[0] == "our") && people[ws[1]] {
		return term(ws[1])
	}
	return ""
}

// people are the nouns for someone other than the owner that a sentence can be about.
var people = toSet(`sister sisters brother brothers mother father mom mum dad parents son sons
daughter daughters husband wife partner boyfriend girlfriend friend friends grandmother
grandfather grandma grandpa aunt uncle cousin boss manager colleague colleagues kids children`)

// peopleTerms are the people nouns as terms ("parents" → "parent").
var peopleTerms = func() map[string]bool {
	m := map[string]bool{}
	for w := range people {
		m[term(w)] = true
	}
	return m
}()

// mentions reports whether a question word (or one of its relatives) is the stem t.
func mentions(groups []Group, t string) bool {
	for _, g := range groups {
		if slices.Contains(g.Terms, t) {
			return true
		}
	}
	return false
}
