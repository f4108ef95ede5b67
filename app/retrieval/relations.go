package retrieval

import (
	_ "embed"
	"slices"
	"sort"
	"strings"
)

// wordnetRelatives returns, for the persona words ts (stems), the question words that reach
// them through WordNet (wordnet.txt, made by tools/wordnetrel): question stem → persona stems.
// It is built once per index, so a question costs a map lookup per word. The hand-curated
// relations.txt wins: its "- cost wage" lines cut WordNet links (the cost of a meal is not a
// wage). Answer-type nouns and light words get no WordNet relatives: the matcher handles their
// meaning itself, and WordNet's many senses of "name" or "call" would only add noise.
func wordnetRelatives(ts map[string]int) map[string][]string {
	out := map[string][]string{}
	for r := range ts {
		if lightStems[r] {
			continue
		}
		for _, k := range strings.Fields(wordnet.lookup(r)) {
			if _, typeNoun := typeNouns[k]; typeNoun || lightStems[k] || slices.Contains(relations[k], r) || slices.Contains(cuts[k], r) {
				continue
			}
			out[k] = append(out[k], r)
		}
	}
	for _, rs := range out {
		slices.Sort(rs) // map order must not decide ties
	}
	return out
}

//go:embed relations.txt
var relationsText string

// relations and cuts are relations.txt's links and cuts, by stem.
var relations, cuts = parseRelations(relationsText)

// parseRelations reads relations.txt: "= a b c" links every pair, "> cat a b" links cat, and
// every synonym of cat, to each instance; "- w a b" cuts a and b from w's WordNet relatives.
// Stop-words are skipped; each word's relatives are listed once, synonyms first, in file order.
func parseRelations(text string) (rel, cuts map[string][]string) {
	rel, cuts = map[string][]string{}, map[string][]string{}
	add := func(from, to string) {
		if from != to && !slices.Contains(rel[from], to) {
			rel[from] = append(rel[from], to)
		}
	}
	var categories [][]string
	for _, line := range strings.Split(text, "\n") {
		f := strings.Fields(line)
		if len(f) < 3 || (f[0] != "=" && f[0] != ">" && f[0] != "-") {
			continue
		}
		var ws []string
		for _, w := range f[1:] {
			if !stopwords[w] {
				ws = append(ws, term(w))
			}
		}
		switch {
		case len(ws) < 2:
		case f[0] == ">":
			categories = append(categories, ws)
		case f[0] == "-":
			cuts[ws[0]] = append(cuts[ws[0]], ws[1:]...)
		default:
			for _, a := range ws {
				for _, b := range ws {
					add(a, b)
				}
			}
		}
	}
	synonyms := map[string][]string{}
	for w, rs := range rel {
		synonyms[w] = slices.Clone(rs)
	}
	for _, ws := range categories {
		cats := append([]string{ws[0]}, synonyms[ws[0]]...)
		for _, inst := range ws[1:] {
			for _, c := range cats {
				add(c, inst)
			}
		}
	}
	return rel, cuts
}

//go:embed wordnet.txt
var wordnetText string

// wordnet is the WordNet table: one sorted line per stem, looked up by binary search, so that
// loading it costs one pass over its lines rather than a map of tens of thousands of words.
var wordnet = newTable(wordnetText)

// table is a text of sorted "key value…" lines, comment lines ("#") first.
type table struct {
	text  string
	lines []int32 // where each line starts
}

func newTable(text string) table {
	t := table{text: text}
	for i := 0; i < len(text); {
		if text[i] != '#' {
			t.lines = append(t.lines, int32(i))
		}
		n := strings.IndexByte(text[i:], '\n')
		if n < 0 {
			break
		}
		i += n + 1
	}
	return t
}

// key returns the first word of the i-th line.
func (t table) key(i int) string {
	s := t.text[t.lines[i]:]
	return s[:strings.IndexAny(s, " \n")]
}

// rest returns the i-th line after its first word, without its newline.
func (t table) rest(i int) string {
	s := t.text[int(t.lines[i])+len(t.key(i)):]
	if n := strings.IndexByte(s, '\n'); n >= 0 {
		s = s[:n]
	}
	return s
}

// lookup returns the rest of the line whose first word is key, or "".
func (t table) lookup(key string) string {
	i := sort.Search(len(t.lines), func(i int) bool { return t.key(i) >= key })
	if i == len(t.lines) || t.key(i) != key {
		return ""
	}
	return t.rest(i)
}

// irregular maps irregular forms the stemmer cannot undo to their base ("took" → "take",
// "children" → "child"): the WordNet table's first lines, "=took take".
var irregular = func() map[string]string {
	m := map[string]string{}
	for i := range wordnet.lines {
		form, ok := strings.CutPrefix(wordnet.key(i), "=")
		if !ok {
			break
		}
		m[form] = strings.TrimSpace(wordnet.rest(i))
	}
	return m
}()

// term is the index term of a lower-case word: its base form's stem ("taught" → "teach"), also
// when a regular suffix was added to an irregular form ("childrens" → "child").
func term(w string) string {
	if b, ok := irregular[w]; ok {
		return Stem(b)
	}
	s := Stem(w)
	if b, ok := irregular[s]; ok {
		return Stem(b)
	}
	return s
}

// lightStems are the light words' stems, as the relations are keyed.
var lightStems = func() map[string]bool {
	m := map[string]bool{}
	for w := range light {
		m[term(w)] = true
	}
	return m
}()
