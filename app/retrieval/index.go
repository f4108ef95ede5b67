// Package retrieval ranks short texts against a question with BM25 (k1 = 1.2, b = 0.75), a
// small stop-word list, a light suffix stemmer and a few synonym groups. The offline responder
// answers from it, and the chat turn uses it to tag each question with the persona section it is
// about (the owner dashboard's "what visitors ask about").
package retrieval

import (
	"math"
	"sort"
	"strings"
	"unicode"
)

// Doc is one retrievable sentence and the section heading it sits under.
type Doc struct {
	Text    string
	Section string
	Pos     int // order in the source

	terms  map[string]int // term frequencies, section terms included
	length int
}

// NewDoc indexes text (and its section heading's words) as the pos-th document.
func NewDoc(text, section string, pos int) Doc {
	d := Doc{Text: text, Section: section, Pos: pos, terms: map[string]int{}}
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

// Index is a BM25 index over documents. It is immutable once built.
type Index struct {
	docs   []Doc
	df     map[string]int
	avgLen float64
}

const (
	bm25K1 = 1.2
	bm25B  = 0.75
)

// NewIndex indexes docs.
func NewIndex(docs []Doc) *Index {
	ix := &Index{docs: docs, df: map[string]int{}}
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

func (ix *Index) idf(term string) float64 {
	n, df := float64(len(ix.docs)), float64(ix.df[term])
	return math.Log(1 + (n-df+0.5)/(df+0.5))
}

// Hit is a scored document and the share of the question's IDF mass it matched.
type Hit struct {
	Doc      Doc
	Score    float64
	Coverage float64
}

// Query is a question's terms; each group is one question word (first) and its synonyms.
type Query [][]string

// synonymWeight discounts a match through a synonym against one of the question's own words.
const synonymWeight = 0.7

// Search ranks documents for q, best first; ties keep source order. A group counts as matched
// when any of its terms occurs; coverage weighs groups by their question word's IDF.
func (ix *Index) Search(q Query) []Hit {
	if len(ix.docs) == 0 || len(q) == 0 {
		return nil
	}
	var mass float64
	for _, g := range q {
		mass += ix.idf(g[0])
	}
	var hits []Hit
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
			hits = append(hits, Hit{Doc: d, Score: score, Coverage: matched / mass})
		}
	}
	sort.SliceStable(hits, func(i, j int) bool { return hits[i].Score > hits[j].Score })
	return hits
}

// IsStopword reports whether a lower-case word carries no topic.
func IsStopword(w string) bool { return stopwords[w] }

// stopwords carry no topic: question words, pronouns, auxiliaries, fillers.
var stopwords = toSet(`a an the and or but if of to in on at for from by with about as into over
what whats which who whom whose where when why how is are was were be been being am do does did
done have has had having can could would should will shall may might must you your yours yourself
i me my mine myself we us our it its this that these those there here tell say said please any
some much many very really just so than then also too not no yes ok okay hey hi hello thanks
thank let know think s t d ll re ve m like get got into more right use using used thing things
kind sort usually often ever lot lots want need feel mean find`)

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
	"pet":      {"cat", "dog"},
	"pets":     {"cat", "dog"},
	"now":      {"currently", "since", "today"},
	"weekend":  {"weekends", "free", "sunday"},
	"weekends": {"weekend", "free", "sunday"},
	"software": {"engineer", "developer", "programming"},
}

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

// terms returns the stemmed content words of s.
func terms(s string) []string {
	var out []string
	for _, w := range Words(s) {
		if !stopwords[w] {
			out = append(out, stem(w))
		}
	}
	return out
}

// ParseQuery returns the question's content words, each with its synonyms, each word once.
func ParseQuery(s string) Query {
	seen := map[string]bool{}
	var q Query
	for _, w := range Words(s) {
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

// stem strips common English suffixes so "projects", "building" and "built" meet their stems:
// -ing, -ed, -ies → -y, -es after s/x/z/ch/sh ("classes"), else a plain -s ("languages").
func stem(w string) string {
	switch {
	case len(w) > 5 && strings.HasSuffix(w, "ing"):
		return w[:len(w)-3]
	case len(w) > 4 && strings.HasSuffix(w, "ies"):
		return w[:len(w)-3] + "y"
	case len(w) > 4 && strings.HasSuffix(w, "ed"):
		return w[:len(w)-2]
	case len(w) > 4 && strings.HasSuffix(w, "es") && strings.ContainsAny(w[len(w)-3:len(w)-2], "sxz"),
		len(w) > 5 && (strings.HasSuffix(w, "ches") || strings.HasSuffix(w, "shes")):
		return w[:len(w)-2]
	case len(w) > 3 && strings.HasSuffix(w, "s") && !strings.HasSuffix(w, "ss"):
		return w[:len(w)-1]
	}
	return w
}
