// Package retrieval ranks short texts against a question with BM25 (k1 = 1.2, b = 0.75), a
// small stop-word list, a light suffix stemmer, tables of lexical relations (synonyms, and
// categories with their instances: a hand-curated one, and one made from WordNet by
// tools/wordnetrel) and answer-type cues ("how long" wants a duration). The
// offline responder answers from it, and the chat turn uses it to tag each question with the
// persona section it is about (the owner dashboard's "what visitors ask about"). How a question
// is matched is explained in docs/decisions/0024-offline-answers.md, 0034-wordnet-relations.md and
// 0035-offline-recall-round-two.md.
package retrieval

import (
	"math"
	"slices"
	"sort"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Doc is one retrievable sentence, the section heading it sits under and its place in the text.
type Doc struct {
	Text    string
	Section string
	Pos     int // order in the source
	// Prev is the Pos of the sentence before it in the same paragraph, or -1: a sentence such
	// as "I joined in 2019" is about what the one before it names.
	Prev int
	Line int // the source line it is on (distinct negative numbers for documents made alone)

	terms  map[string]int  // term frequencies, section terms included
	own    map[string]bool // the terms of the sentence itself
	length int
	types  uint16 // the answer types the sentence holds (typesOf)
	// about is the stem of the person the sentence is about when it is not the owner ("My
	// sister got married in Lisbon." → "sister"), else "".
	about string
}

// NewDoc indexes text (and its section heading's words) as the pos-th document, with no
// preceding sentence.
func NewDoc(text, section string, pos int) Doc {
	d := Doc{Text: text, Section: section, Pos: pos, Prev: -1, Line: -1 - pos, terms: map[string]int{}, about: subject(text), types: typesOf(text)}
	d.own = map[string]bool{}
	for _, t := range terms(text) {
		d.terms[t]++
		d.own[t] = true
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
	// wordnet: question words that reach the index's words through WordNet, and those words
	// (wordnetRelatives).
	wordnet map[string][]string
	// families: a word's root (root) and the index's words of that root ("intern" → "interned",
	// "internship"), so that a question word meets the persona's words of its family.
	families map[string][]string
}

const (
	bm25K1 = 1.2
	bm25B  = 0.75
)

// NewIndex indexes docs; a doc's Prev refers to docs by position in the slice.
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
	ix.wordnet = wordnetRelatives(ix.df)
	ix.families = map[string][]string{}
	for t := range ix.df {
		ix.families[root(t)] = append(ix.families[root(t)], t)
	}
	for _, ts := range ix.families {
		slices.Sort(ts) // map order must not decide ties
	}
	return ix
}

func (ix *Index) idf(term string) float64 {
	n, df := float64(len(ix.docs)), float64(ix.df[term])
	return math.Log(1 + (n-df+0.5)/(df+0.5))
}

// Hit is a scored document and the share of the question it matched.
type Hit struct {
	Doc      *Doc // in the index: read only
	Score    float64
	Coverage float64
	// WithPrev: part of the question was matched only in the sentence before; an answer should
	// give both.
	WithPrev bool
	Typed    bool // the sentence holds the kind of thing the question asks for
}

// Query is a parsed question: its content words, each with the words it reaches through the
// relations table, and the kind of answer it asks for.
type Query struct {
	Groups []Group
	Type   AnswerType
	// First: the question asks for the first of something ("What was your first job?"): when
	// the best answer is a dated line, the answer is the earliest dated line of its section.
	First bool
	// Before: the question asks what came before a thing it names ("Where did you work before
	// Booksy?"): the answer is the dated line before the one naming it (Answers).
	Before bool
}

// Group is one question word: its stem first, then its relatives' stems.
type Group struct {
	Terms []string
	// Name: written with a capital inside the question ("Tidewater"). A name says which thing
	// the question is about, not what about it: a sentence matching only names does not answer.
	Name bool
	// Owner: a possessive ("your husband's favourite dish"): a sentence that misses it is about
	// someone else's favourite.
	Owner bool
	// Light: a verb or adjective that wraps the question (light words in text.go).
	Light bool

	idf []float64 // each term's IDF in the index being searched (set by known)
}

// Empty reports whether the question has nothing to match: no content word and no answer type.
func (q Query) Empty() bool { return len(q.Groups) == 0 && q.Type == AnyType }

// Credits for a question word met other than as itself in the sentence.
const (
	relationCredit = 0.7 // through a relative ("kids" → "son")
	contextCredit  = 0.5 // only in the sentence before
	moreCredit     = 0.5 // each further relative a sentence holds ("BSc", "University", "Education")
)

// weight is how much a question word counts towards coverage. A word the persona uses weighs its
// IDF. A word the persona lacks but one of its relatives has weighs that relative's IDF. A word
// the persona never uses weighs as a word of one sentence: it says the persona may not cover the
// question, but it must not outweigh every word the persona does have. A light word the persona
// lacks weighs half as much, whether or not a relative of it is there ("name" → "call").
func (ix *Index) weight(g Group) float64 {
	if ix.df[g.Terms[0]] > 0 {
		return ix.idf(g.Terms[0])
	}
	w := 0.0
	for _, t := range g.Terms[1:] {
		if ix.df[t] > 0 && (w == 0 || ix.idf(t) < w) {
			w = ix.idf(t)
		}
	}
	if w == 0 {
		n := float64(len(ix.docs))
		w = math.Log(1 + (n-0.5)/1.5)
	}
	if g.Light {
		w /= 2
	}
	return w
}

// known returns g with only the terms the index has, its WordNet relatives and the words of its
// family (root) in this index added
// (an absent question word stays first, as a placeholder that matches nothing), each with its IDF, so that matching each document skips the
// rest and computes no logarithm.
func (ix *Index) known(g Group) Group {
	terms, idf := []string{g.Terms[0]}, []float64{ix.idf(g.Terms[0])}
	for _, t := range g.Terms[1:] {
		if ix.df[t] > 0 {
			terms, idf = append(terms, t), append(idf, ix.idf(t))
		}
	}
	for _, more := range [][]string{ix.wordnet[g.Terms[0]], ix.families[root(g.Terms[0])]} {
		for _, t := range more {
			if !slices.Contains(terms, t) {
				terms, idf = append(terms, t), append(idf, ix.idf(t))
			}
		}
	}
	g.Terms, g.idf = terms, idf
	return g
}

// match scores one question word (prepared by known) against a document: BM25 of the best of its
// terms, discounted for a relative, plus half the scores of the other terms it holds (more
// evidence of the same meaning), and its coverage credit (1 when met, else 0).
func (ix *Index) match(g Group, d *Doc) (score, credit float64) {
	sum := 0.0
	for i, t := range g.Terms {
		tf := float64(d.terms[t])
		if tf == 0 {
			continue
		}
		s := g.idf[i] * tf * (bm25K1 + 1) / (tf + bm25K1*(1-bm25B+bm25B*float64(d.length)/ix.avgLen))
		if i > 0 {
			s *= relationCredit
		}
		if !d.own[t] {
			s *= contextCredit // only in the section heading: it places the sentence, no more
		}
		sum += s
		if s > score {
			score, credit = s, 1
		}
	}
	return score + moreCredit*(sum-score), credit
}

// Search ranks documents for q, best first; ties keep source order. Coverage is the weighted
// share of the question's words a document matches (itself, a relative, or, at half credit, in
// the sentence before). A document that matches only names, misses a possessive or a name the
// persona uses, or is about someone the question does not name ("My sister got married" for
// "Are you married?") covers nothing.
func (ix *Index) Search(q Query) []Hit {
	if len(ix.docs) == 0 || len(q.Groups) == 0 {
		return ix.ofType(q.Type) // an answer type alone ("how old are you?") names nothing else
	}
	p := plan{q: q, weights: make([]float64, len(q.Groups)), groups: make([]Group, len(q.Groups)),
		standIn: make([]bool, len(q.Groups)), required: make([]bool, len(q.Groups)), scores: make([]float64, len(q.Groups)), credits: make([]float64, len(q.Groups))}
	for i, g := range q.Groups {
		p.groups[i] = ix.known(g)
		p.weights[i] = ix.weight(p.groups[i])
		p.mass += p.weights[i]
		p.hasTopic = p.hasTopic || (!g.Name && !g.Light)
		p.required[i] = g.Owner || (g.Name && ix.df[g.Terms[0]] > 0)
		p.standIn[i] = typeNouns[g.Terms[0]] == q.Type && ix.df[g.Terms[0]] == 0
	}
	hits := make([]Hit, 0, len(ix.docs))
	for i := range ix.docs {
		if h, ok := ix.score(&p, &ix.docs[i]); ok {
			hits = append(hits, h)
		}
	}
	sort.SliceStable(hits, func(i, j int) bool { return hits[i].Score > hits[j].Score })
	return hits
}

// plan is a query prepared for one index, with scratch space for scoring a document.
type plan struct {
	q       Query
	groups  []Group // the question's words, with only the relatives the index has
	weights []float64
	standIn []bool // an answer-type noun the persona never uses ("which city")
	// required: a possessive, or a name the persona uses ("Where does Priya work?"): a
	// sentence that misses it is about something else.
	required []bool
	mass     float64
	hasTopic bool // some word is neither a name nor a light word

	scores, credits []float64
}

// score matches one document against the plan; ok is false when nothing matched.
func (ix *Index) score(p *plan, d *Doc) (Hit, bool) {
	typed := d.Holds(p.q.Type)
	other := false  // the document meets a word that is not an answer-type noun
	person := false // the document names a person the question asks about ("your father" → "my dad")
	for i, g := range p.groups {
		p.scores[i], p.credits[i] = ix.match(g, d)
		other = other || (p.credits[i] > 0 && typeNouns[g.Terms[0]] != p.q.Type)
		person = person || (p.credits[i] > 0 && peopleTerms[g.Terms[0]])
	}
	var score, matched float64
	withPrev, topic, met := false, false, true
	for i, g := range p.groups {
		s, c := p.scores[i], p.credits[i]
		// A type noun is met by a sentence holding that kind of thing when the persona never
		// uses the word, or when the sentence meets another of the question's words ("Which
		// city is your clinic in?" → "my own clinic … in Bologna").
		if c == 0 && typed && (p.standIn[i] || other) && typeNouns[g.Terms[0]] == p.q.Type {
			s, c = p.weights[i]*relationCredit, 1
		}
		if c == 0 && d.Prev >= 0 {
			if s, c = ix.match(g, &ix.docs[d.Prev]); c > 0 {
				s, c, withPrev = s*contextCredit, contextCredit, true
			}
		}
		score += s
		matched += c * p.weights[i]
		topic = topic || (c > 0 && !g.Name && !g.Light)
		met = met && (c > 0 || !p.required[i])
	}
	if score == 0 {
		return Hit{}, false
	}
	h := Hit{Doc: d, Score: score, Coverage: matched / p.mass, WithPrev: withPrev, Typed: typed}
	if (p.hasTopic && !topic) || !met || (d.about != "" && !person && !mentions(p.groups, d.about)) {
		h.Coverage = 0
	}
	return h, true
}

// ofType returns, for a question that is only its answer type, the sentences about the owner
// holding the owner's age ("I'm 34"): the one type a sentence can answer alone.
func (ix *Index) ofType(t AnswerType) []Hit {
	var hits []Hit
	for i := range ix.docs {
		if d := &ix.docs[i]; t == Age && d.Holds(Age) && d.about == "" {
			hits = append(hits, Hit{Doc: d, Score: 1, Coverage: 1, Typed: true})
		}
	}
	return hits
}

// Doc returns the document at position pos.
func (ix *Index) Doc(pos int) Doc { return ix.docs[pos] }

// ParseQuery returns the question's content words, each with its relatives, each word once, and
// the answer type its wording asks for.
func ParseQuery(s string) Query {
	names, owners := marks(s)
	lower := phrases.Replace(strings.ToLower(s))
	q := Query{Type: questionType(lower)}
	skip := map[string]bool{}
	for _, w := range typeWords[q.Type] {
		skip[w] = true
	}
	seen := map[string]bool{}
	ws := Words(lower)
	if slices.Contains(ws, "before") && slices.ContainsFunc(ws, func(w string) bool { return names[w] }) {
		q.Before, skip["before"] = true, true
	}
	if slices.Contains(ws, "first") {
		q.First, skip["first"] = true, true
	}
	for _, w := range ws {
		t := term(w)
		// "go" in a question is the verb ("where did you go to college?") unless written as the
		// language's name.
		// A stop-word written as a name is the name ("Did you study in the US?").
		if (stopwords[w] && !names[w]) || seen[t] || skip[w] || (w == "go" && !names[w]) {
			continue
		}
		seen[t] = true
		q.Groups = append(q.Groups, Group{
			Terms: append([]string{t}, relations[t]...),
			Name:  names[w], Owner: owners[w], Light: light[w],
		})
	}
	return q
}

// marks finds the question's names (capitalised words other than a sentence's first and "I")
// and possessives ("husband's"), lower-cased.
func marks(s string) (names, owners map[string]bool) {
	names, owners = map[string]bool{}, map[string]bool{}
	start := true
	for _, tok := range strings.Fields(s) {
		word := strings.TrimFunc(tok, func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) })
		lower := strings.ToLower(word)
		for _, suffix := range []string{"'s", "’s"} {
			if base, ok := strings.CutSuffix(lower, suffix); ok {
				owners[base] = true
				lower = base
			}
		}
		if r, _ := utf8.DecodeRuneInString(word); !start && word != "I" && unicode.IsUpper(r) {
			names[lower] = true
		}
		start = strings.ContainsAny(tok[max(0, len(tok)-1):], ".!?")
	}
	return names, owners
}

// Next returns the sentence after h's in the same paragraph, if there is one.
func (ix *Index) Next(h Hit) (Doc, bool) {
	if n := h.Doc.Pos + 1; n < len(ix.docs) && ix.docs[n].Prev == h.Doc.Pos {
		return ix.docs[n], true
	}
	return Doc{}, false
}
