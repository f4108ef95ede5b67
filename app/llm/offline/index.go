package offline

import (
	"math"
	"sort"
	"strings"
	"unicode"
)

// doc is one retrievable sentence.
type doc struct {
	text    string
	section string
	pos     int            // order in the source
	terms   map[string]int // term frequencies, section terms included
	length  int
}

// index is a BM25 index over sentences.
type index struct {
	docs   []doc
	df     map[string]int
	avgLen float64
}

const (
	bm25K1 = 1.2
	bm25B  = 0.75
)

func newIndex(docs []doc) *index {
	ix := &index{docs: docs, df: map[string]int{}}
	total := 0
	for _, d := range docs {
		total += d.length
		for t := range d.terms {
			ix.df[t]++
		}
	}
	if len(docs) > 0 {
		ix.avgLen = float64(total) / float64(len(docs))
	}
	return ix
}

func (ix *index) idf(term string) float64 {
	n, df := float64(len(ix.docs)), float64(ix.df[term])
	return math.Log(1 + (n-df+0.5)/(df+0.5))
}

// hit is a scored document with the share of the query's IDF mass it matched.
type hit struct {
	doc      doc
	score    float64
	coverage float64
}

// query is a question's terms; each group is one question word and its synonyms (first).
type query [][]string

// synonymWeight discounts a match through a synonym against one of the question's own words.
const synonymWeight = 0.7

// search ranks documents for q, best first; ties keep source order. A group counts as matched
// when any of its terms occurs; coverage weighs groups by their question word's IDF.
func (ix *index) search(q query) []hit {
	if len(ix.docs) == 0 || len(q) == 0 {
		return nil
	}
	var mass float64
	for _, g := range q {
		mass += ix.idf(g[0])
	}
	var hits []hit
	for _, d := range ix.docs {
		var score, matched float64
		for _, g := range q {
			best := 0.0
			for i, t := range g {
				tf := float64(d.terms[t])
				if tf == 0 {
					continue
				}
				s := ix.idf(t) * tf * (bm25K1 + 1) / (tf + bm25K1*(1-bm25B+bm25B*float64(d.length)/ix.avgLen))
				if i > 0 {
					s *= synonymWeight
				}
				best = max(best, s)
			}
			if best > 0 {
				score += best
				matched += ix.idf(g[0])
			}
		}
		if score > 0 {
			hits = append(hits, hit{doc: d, score: score, coverage: matched / mass})
		}
	}
	sort.SliceStable(hits, func(i, j int) bool { return hits[i].score > hits[j].score })
	return hits
}

// stopwords carry no topic: question words, pronouns, auxiliaries, fillers.
var stopwords = toSet(`a an the and or but if of to in on at for from by with about as into over
what whats which who whom whose where when why how is are was were be been being am do does did
done have has had having can could would should will shall may might must you your yours yourself
i me my mine myself we us our it its this that these those there here tell say said please any
some much many very really just so than then also too not no yes ok okay hey hi hello thanks
thank let know think s t d ll re ve m`)

// synonyms widen a query term to the words a persona is likely to use.
var synonyms = map[string][]string{
	"job":      {"work", "career", "role"},
	"work":     {"job", "career", "role"},
	"career":   {"work", "job", "role"},
	"live":     {"based", "city", "home"},
	"based":    {"live", "city"},
	"hobby":    {"hobbies", "free", "weekend", "enjoy"},
	"hobbies":  {"hobby", "free", "weekend", "enjoy"},
	"fun":      {"hobbies", "free", "weekend", "enjoy"},
	"contact":  {"email", "reach", "touch", "linkedin"},
	"reach":    {"contact", "email", "touch"},
	"touch":    {"contact", "reach", "email"},
	"email":    {"contact", "reach"},
	"hire":     {"consulting", "available", "work"},
	"study":    {"studied", "degree", "university"},
	"studied":  {"study", "degree", "university"},
	"school":   {"university", "degree", "studied"},
	"favorite": {"favourite"},
	"opinion":  {"think", "believe", "view"},
	"build":    {"building", "built", "project"},
	"project":  {"projects", "building", "built"},
}

func toSet(words string) map[string]bool {
	m := map[string]bool{}
	for _, w := range strings.Fields(words) {
		m[w] = true
	}
	return m
}

// words lowercases s and splits it into letter/digit runs.
func words(s string) []string {
	return strings.FieldsFunc(strings.ToLower(s), func(r rune) bool {
		return !unicode.IsLetter(r) && !unicode.IsDigit(r)
	})
}

// terms returns the stemmed content words of s.
func terms(s string) []string {
	var out []string
	for _, w := range words(s) {
		if !stopwords[w] {
			out = append(out, stem(w))
		}
	}
	return out
}

// queryTerms returns the question's content words, each with its synonyms, each word once.
func queryTerms(s string) query {
	seen := map[string]bool{}
	var q query
	for _, w := range words(s) {
		t := stem(w)
		if stopwords[w] || seen[t] {
			continue
		}
		seen[t] = true
		g := []string{t}
		for _, syn := range synonyms[w] {
			g = append(g, stem(syn))
		}
		q = append(q, g)
	}
	return q
}

// stem strips common English suffixes so "projects", "building" and "built" meet their stems.
func stem(w string) string {
	for _, suf := range []string{"ing", "ies", "ed", "es", "s"} {
		if len(w) > len(suf)+2 && strings.HasSuffix(w, suf) {
			if suf == "ies" {
				return w[:len(w)-3] + "y"
			}
			return w[:len(w)-len(suf)]
		}
	}
	return w
}
