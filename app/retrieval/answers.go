package retrieval

import (
	"regexp"
	"sort"
	"strconv"
)

// MinCoverage is the share of a question a sentence must match, more than half, to answer it.
const MinCoverage = 0.5

// Answers returns the hits for q that cover more than MinCoverage of it, best first, those that
// hold the kind of thing the question asks for ahead of those that do not.
func Answers(ix *Index, q Query) []Hit {
	var out []Hit
	for _, h := range ix.Search(q) {
		if h.Coverage > MinCoverage {
			out = append(out, h)
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Typed && !out[j].Typed })
	if q.First && len(out) > 0 {
		if h, ok := ix.earliest(out[0]); ok {
			return []Hit{h}
		}
	}
	if q.Before && len(out) > 0 {
		if h, ok := ix.earlier(out[0]); ok {
			return []Hit{h}
		} else if year(out[0].Doc.Text) > 0 {
			return nil // the dated line naming the thing is the earliest: nothing came before
		}
	}
	return out
}

// earlier returns the dated line of h's section with the latest year before h's ("2018–2021
// Product Designer, DocPlanner" before "2021–now Lead Product Designer, Booksy"), whatever order
// the CV lists them in.
func (ix *Index) earlier(h Hit) (Hit, bool) {
	at := year(h.Doc.Text)
	best, found := Hit{}, false
	for i := range ix.docs {
		d := &ix.docs[i]
		if y := year(d.Text); d.Section == h.Doc.Section && y > 0 && y < at && (!found || y > year(best.Doc.Text)) {
			best, found = Hit{Doc: d, Score: h.Score, Coverage: 1, Typed: d.Holds(Organisation)}, true
		}
	}
	return best, found
}

// earliest returns the dated line of h's section with the earliest year, when h is dated and
// that line is not h ("2017–2018  Graduate Analyst, Experian" for "What was your first job?").
func (ix *Index) earliest(h Hit) (Hit, bool) {
	at := year(h.Doc.Text)
	best, found := Hit{}, false
	for i := range ix.docs {
		d := &ix.docs[i]
		if y := year(d.Text); at > 0 && d.Section == h.Doc.Section && y > 0 && y < at && (!found || y < year(best.Doc.Text)) {
			best, found = Hit{Doc: d, Score: h.Score, Coverage: 1, Typed: d.Holds(Organisation)}, true
		}
	}
	return best, found
}

var yearRegexp = regexp.MustCompile(yearPattern)

// year returns the first year (1900–2099) in text, or 0.
func year(text string) int {
	n, _ := strconv.Atoi(yearRegexp.FindString(text))
	return n
}
