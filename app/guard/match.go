package guard

// prefixMatcher follows a stream rune by rune and knows the longest tail of it that is a prefix
// of one pattern (Knuth–Morris–Pratt): the tail reaching the whole pattern is a match.
type prefixMatcher struct {
	pattern []rune
	fail    []int // fail[i]: the longest proper border of pattern[:i+1]
}

func newPrefixMatcher(p []rune) prefixMatcher {
	fail := make([]int, len(p))
	for i, k := 1, 0; i < len(p); i++ {
		for k > 0 && p[i] != p[k] {
			k = fail[k-1]
		}
		if p[i] == p[k] {
			k++
		}
		fail[i] = k
	}
	return prefixMatcher{pattern: p, fail: fail}
}

// next returns the state after r, from state k (the length of the tail matched so far).
func (m prefixMatcher) next(k int, r rune) int {
	if k == len(m.pattern) {
		k = m.fail[k-1]
	}
	for k > 0 && m.pattern[k] != r {
		k = m.fail[k-1]
	}
	if m.pattern[k] == r {
		k++
	}
	return k
}

// substrings is a suffix automaton of one text: followed rune by rune, it knows the longest tail
// of a stream that occurs anywhere in the text, in O(1) amortised per rune. A tail of minChunk
// runes is a verbatim chunk of the text; a shorter one could still become one.
type substrings struct {
	next []map[rune]int32
	link []int32
	size []int32 // the longest string of each state
}

func newSubstrings(text []rune) *substrings {
	a := &substrings{next: []map[rune]int32{{}}, link: []int32{-1}, size: []int32{0}}
	last := int32(0)
	for _, r := range text {
		cur := a.add(a.size[last]+1, -1)
		p := last
		for p >= 0 && !a.has(p, r) {
			a.next[p][r] = cur
			p = a.link[p]
		}
		switch {
		case p < 0:
			a.link[cur] = 0
		case a.size[p]+1 == a.size[a.next[p][r]]:
			a.link[cur] = a.next[p][r]
		default:
			q := a.next[p][r]
			clone := a.add(a.size[p]+1, a.link[q])
			for k, v := range a.next[q] {
				a.next[clone][k] = v
			}
			for p >= 0 && a.next[p][r] == q {
				a.next[p][r] = clone
				p = a.link[p]
			}
			a.link[q], a.link[cur] = clone, clone
		}
		last = cur
	}
	return a
}

func (a *substrings) add(size, link int32) int32 {
	a.next = append(a.next, map[rune]int32{})
	a.link = append(a.link, link)
	a.size = append(a.size, size)
	return int32(len(a.size) - 1)
}

func (a *substrings) has(state int32, r rune) bool {
	_, ok := a.next[state][r]
	return ok
}

// step returns the state and the length of the longest matching tail after r, from state s
// with a tail of n runes.
func (a *substrings) step(s int32, n int, r rune) (int32, int) {
	for s > 0 && !a.has(s, r) {
		s = a.link[s]
		n = int(a.size[s])
	}
	if t, ok := a.next[s][r]; ok {
		return t, n + 1
	}
	return 0, 0
}
