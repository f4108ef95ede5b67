// Package guard is the twin's output guard against prompt injection: a reply that contains the
// system prompt's canary (forwards or reversed), or a long verbatim chunk of the hidden rules, is
// withheld and replaced by a safe in-character answer. Matching runs on a folded form of the text
// (Unicode NFKC, format and zero-width characters removed, lower case, only letters and digits
// kept), so spacing, punctuation, case, full-width forms and invisible characters slipped between
// letters do not hide a leak. It needs no model to test: a fake provider that echoes its prompt
// trips it.
//
// Streaming (docs/decisions/0021-guard-normalise-and-hold-back.md): a Stream releases every
// character at once except the longest tail that could still grow into a match — a tail that is
// a prefix of the canary or of its reverse, or a piece of the hidden rules — so the visitor
// never sees a leak, ordinary text flows with little delay, and every character released is
// final: the concatenated deltas always equal the stored reply.
package guard

import (
	"slices"
	"unicode"

	"golang.org/x/text/unicode/norm"
)

// DefaultMinChunk is the shortest verbatim run of the hidden rules, in folded characters
// (letters and digits), that counts as a leak. Fifty letters are about ten words: long enough
// that ordinary answers never match by chance, short enough that no rule can be quoted whole.
const DefaultMinChunk = 50

// Fallback is the safe in-character answer that replaces a withheld reply.
const Fallback = "That's not something I can share here. Ask me about my work, my background or what I care about instead."

// Guard checks replies against one hidden text and canary. It is immutable and safe for
// concurrent use; a Stream is one reply's state.
type Guard struct {
	minChunk int
	canaries []prefixMatcher // the folded canary, and the folded canary reversed
	rules    *substrings     // every substring of the folded hidden rules
}

// New returns a guard for hidden (the rules of the system prompt) and canary. minChunk <= 0
// means DefaultMinChunk.
func New(hidden, canary string, minChunk int) *Guard {
	if minChunk <= 0 {
		minChunk = DefaultMinChunk
	}
	g := &Guard{minChunk: minChunk, rules: newSubstrings(fold(hidden))}
	if c := fold(canary); len(c) > 0 {
		r := slices.Clone(c)
		slices.Reverse(r)
		g.canaries = []prefixMatcher{newPrefixMatcher(c), newPrefixMatcher(r)}
	}
	return g
}

// Check reports whether reply is safe to show, and if not, why ("canary" or "verbatim").
func (g *Guard) Check(reply string) (ok bool, reason string) {
	s := g.NewStream(func(string) error { return nil })
	err := s.Write(reply)
	if err == nil {
		err = s.Flush()
	}
	if err != nil {
		return false, s.Reason()
	}
	return true, ""
}

// fold is the form both sides are matched in: NFKC, then only letters and digits, lower case.
// Format characters (Cf: zero-width spaces and joiners, soft hyphens, bidi marks), white space,
// punctuation, symbols and combining marks all disappear.
func fold(s string) []rune {
	var out []rune
	for _, r := range norm.NFKC.String(s) {
		if f, ok := foldRune(r); ok {
			out = append(out, f)
		}
	}
	return out
}

// foldRune is r as fold keeps it (a lower-case letter or a digit), or false when fold drops it.
func foldRune(r rune) (rune, bool) {
	if r < unicode.MaxASCII {
		switch {
		case 'a' <= r && r <= 'z', '0' <= r && r <= '9':
			return r, true
		case 'A' <= r && r <= 'Z':
			return r + 'a' - 'A', true
		}
		return 0, false
	}
	if !unicode.IsLetter(r) && !unicode.IsDigit(r) {
		return 0, false
	}
	return unicode.ToLower(r), true
}
