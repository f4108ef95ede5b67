package guard

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"pgregory.net/rapid"
)

// separators are what a model told to hide a leak slips between its letters: white space,
// punctuation, and invisible format characters (zero-width space, joiners, word joiner, BOM,
// soft hyphen, bidi marks).
var separators = []string{"", " ", "  ", "-", ".", "_", "*", "/", "\n", "\t", "\u00a0", "\u200b", "\u200c", "\u200d",
	"\u2060", "\ufeff", "\u00ad", "\u200e", "\u202a"}

// disguise writes s letter by letter in a random case, optionally full-width, with random
// separators between the letters.
func disguise(t *rapid.T, s string) string {
	wide := rapid.Bool().Draw(t, "full-width")
	var b strings.Builder
	for i, r := range s {
		if i > 0 {
			b.WriteString(rapid.SampledFrom(separators).Draw(t, "separator"))
		}
		if rapid.Bool().Draw(t, "upper") {
			r = []rune(strings.ToUpper(string(r)))[0]
		}
		if wide && r > ' ' && r < 0x7f {
			r += 0xfee0 // the full-width form, which NFKC maps back
		}
		b.WriteRune(r)
	}
	return b.String()
}

func reverse(s string) string {
	r := []rune(s)
	slices.Reverse(r)
	return string(r)
}

// Spaced, interleaved with punctuation or invisible characters, mixed-case, full-width and
// reversed variants of the canary, and of a chunk of the rules, are withheld however the reply
// is split into deltas; what was released before the trip holds no leak.
func TestLeakVariantsAreWithheld(t *testing.T) {
	g := New(hidden, canary, 0)
	rules := "Answer only from the persona below and from what the visitor has said in this conversation."
	rapid.Check(t, func(t *rapid.T) {
		leak := rapid.SampledFrom([]string{canary, reverse(canary), rules}).Draw(t, "leak")
		reply := rapid.StringMatching(`[a-zA-Z ,.]{0,40}`).Draw(t, "before") + disguise(t, leak) +
			rapid.StringMatching(`[a-zA-Z ,.]{0,40}`).Draw(t, "after")
		var out strings.Builder
		s := g.NewStream(func(d string) error { out.WriteString(d); return nil })
		var err error
		for rest := reply; rest != "" && err == nil; {
			n := rapid.IntRange(1, len(rest)).Draw(t, "n")
			err = s.Write(rest[:n]) // splits may cut runes: the stream must cope
			rest = rest[n:]
		}
		if err == nil {
			err = s.Flush()
		}
		if !errors.Is(err, ErrWithheld) {
			t.Fatalf("variant %q not withheld (err %v)", reply, err)
		}
		if ok, why := g.Check(out.String()); !ok || !strings.HasPrefix(reply, out.String()) {
			t.Fatalf("released %q (%s), from %q", out.String(), why, reply)
		}
		if f := string(fold(out.String())); strings.Contains(f, string(fold(canary))) || strings.Contains(f, string(fold(reverse(canary)))) {
			t.Fatalf("released %q holds the canary", out.String())
		}
	})
}
