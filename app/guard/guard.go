// Package guard is the twin's output guard against prompt injection: a reply that contains the
// system prompt's canary, or a long verbatim chunk of the hidden rules, is withheld and replaced
// by a safe in-character answer. It needs no model to test: a fake provider that echoes its
// prompt trips it.
//
// Streaming is handled by a sliding window (docs/decisions/0007-output-guard.md): a Stream holds
// back only the last few characters that could still be the start of a match, so the visitor
// never sees a leaked chunk, yet every character that is released is final: the concatenated
// deltas always equal the stored reply.
package guard

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// DefaultMinChunk is the shortest verbatim run of the hidden text (after normalisation) that
// counts as a leak. Sixty characters is about a sentence: long enough that ordinary answers
// never match by chance, short enough that no rule can be quoted whole.
const DefaultMinChunk = 60

// Fallback is the safe in-character answer that replaces a withheld reply.
const Fallback = "That's not something I can share here. Ask me about my work, my background or what I care about instead."

// Guard checks replies against one hidden text and canary. It is immutable and safe for
// concurrent use; a Stream is one reply's state.
type Guard struct {
	canary   string // normalised
	minChunk int
	chunks   map[string]struct{} // every minChunk-byte window of the normalised hidden text
}

// New returns a guard for hidden (the rules of the system prompt) and canary. minChunk <= 0
// means DefaultMinChunk.
func New(hidden, canary string, minChunk int) *Guard {
	if minChunk <= 0 {
		minChunk = DefaultMinChunk
	}
	g := &Guard{canary: normalize(canary), minChunk: minChunk, chunks: map[string]struct{}{}}
	h := normalize(hidden)
	for i := 0; i+minChunk <= len(h); i++ {
		g.chunks[h[i:i+minChunk]] = struct{}{}
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

// holdBack is how many normalised bytes a stream keeps back: one less than the longest pattern,
// so a match is always complete before any of its bytes would be released.
func (g *Guard) holdBack() int {
	return max(g.minChunk, len(g.canary)) - 1
}

// normalize lowercases s and collapses every run of white space to one space, so that a leak
// re-wrapped or re-cased by the model still matches.
func normalize(s string) string {
	var b strings.Builder
	space := false
	for _, r := range s {
		if unicode.IsSpace(r) {
			space = true
			continue
		}
		if space && b.Len() > 0 {
			b.WriteByte(' ')
		}
		space = false
		b.WriteRune(unicode.ToLower(r))
	}
	return b.String()
}

// ErrWithheld is returned by Stream.Write once the reply has tripped the guard: the provider
// should stop generating.
var ErrWithheld = withheldError{}

type withheldError struct{}

func (withheldError) Error() string { return "reply withheld by the output guard" }

// Stream guards one streamed reply. Write takes the model's deltas; emit receives the text that
// is safe to show, in order, possibly in different pieces. Flush releases what is held back at
// the end. After a trip, nothing more is emitted.
type Stream struct {
	g    *Guard
	emit func(string) error

	raw      strings.Builder // the reply as received (whole runes)
	partial  string          // the start of a rune split across deltas
	norm     []byte          // normalised reply
	origin   []int           // origin[i]: byte offset in raw of the rune that produced norm[i]
	space    bool            // a white-space run is pending in norm
	checked  int             // windows ending at or before this norm offset are checked
	released int             // raw bytes handed to emit
	reason   string
}

// NewStream starts guarding one reply; emit gets the safe text.
func (g *Guard) NewStream(emit func(string) error) *Stream {
	return &Stream{g: g, emit: emit}
}

// Write adds a delta. It returns ErrWithheld when the reply trips the guard, or emit's error.
// A rune split across deltas is held until it is whole, so the stream sees what Check sees.
func (s *Stream) Write(delta string) error {
	if s.reason != "" {
		return ErrWithheld
	}
	data := s.partial + delta
	cut := len(data)
	for i := len(data) - 1; i >= 0 && i >= len(data)-utf8.UTFMax+1; i-- {
		if utf8.RuneStart(data[i]) {
			if !utf8.FullRuneInString(data[i:]) {
				cut = i
			}
			break
		}
	}
	s.partial = data[cut:]
	return s.add(data[:cut])
}

// add takes whole runes.
func (s *Stream) add(delta string) error {
	base := s.raw.Len()
	s.raw.WriteString(delta)
	for i, r := range delta {
		if unicode.IsSpace(r) {
			s.space = true
			continue
		}
		if s.space && len(s.norm) > 0 {
			s.norm = append(s.norm, ' ')
			s.origin = append(s.origin, base+i)
		}
		s.space = false
		start := len(s.norm)
		s.norm = utf8.AppendRune(s.norm, unicode.ToLower(r))
		for range len(s.norm) - start {
			s.origin = append(s.origin, base+i)
		}
	}
	if s.scan() {
		return ErrWithheld
	}
	// Release everything before the first normalised byte that could still begin a match.
	safe := len(s.norm) - s.g.holdBack()
	if safe <= 0 {
		return nil
	}
	return s.release(s.origin[safe])
}

// scan checks every window completed since the last scan; it reports a trip.
func (s *Stream) scan() bool {
	n := len(s.norm)
	if c := s.g.canary; c != "" {
		from := max(0, s.checked-len(c)+1)
		if strings.Contains(string(s.norm[from:]), c) {
			s.reason = "canary"
			return true
		}
	}
	k := s.g.minChunk
	for end := max(s.checked+1, k); end <= n; end++ {
		if _, hit := s.g.chunks[string(s.norm[end-k:end])]; hit {
			s.reason = "verbatim"
			return true
		}
	}
	s.checked = n
	return false
}

func (s *Stream) release(upto int) error {
	if upto <= s.released {
		return nil
	}
	text := s.raw.String()[s.released:upto]
	s.released = upto
	return s.emit(text)
}

// Flush releases the held-back tail of a reply that did not trip.
func (s *Stream) Flush() error {
	if s.reason != "" {
		return ErrWithheld
	}
	if s.partial != "" {
		p := s.partial
		s.partial = ""
		if err := s.add(p); err != nil {
			return err
		}
	}
	return s.release(s.raw.Len())
}

// Tripped reports whether the reply was withheld.
func (s *Stream) Tripped() bool { return s.reason != "" }

// Reason is why the reply was withheld ("canary", "verbatim"), or "".
func (s *Stream) Reason() string { return s.reason }

// Released is the text handed to emit so far: all of it is safe and final.
func (s *Stream) Released() string { return s.raw.String()[:s.released] }
