package guard

import (
	"strings"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

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

	raw      strings.Builder // the reply as folded so far (whole normalisation segments)
	pending  string          // received but not folded yet: the last segment could still change
	folded   int             // folded runes so far
	origin   []int           // origin[i]: offset in raw of the segment that produced folded rune i
	canary   []int           // per canary matcher: the matched tail's length
	state    int32           // rules automaton state
	tail     int             // the longest folded tail that occurs in the rules
	released int             // raw bytes handed to emit
	reason   string
}

// NewStream starts guarding one reply; emit gets the safe text.
func (g *Guard) NewStream(emit func(string) error) *Stream {
	return &Stream{g: g, emit: emit, canary: make([]int, len(g.canaries))}
}

// Write adds a delta. It returns ErrWithheld when the reply trips the guard, or emit's error.
// The last normalisation segment (a rune split across deltas, a letter a combining mark could
// still follow) waits for the next delta, so the stream folds exactly what Check folds.
func (s *Stream) Write(delta string) error {
	if s.reason != "" {
		return ErrWithheld
	}
	return s.add(s.pending+delta, false)
}

// Flush releases the held-back tail of a reply that did not trip.
func (s *Stream) Flush() error {
	if s.reason != "" {
		return ErrWithheld
	}
	if err := s.add(s.pending, true); err != nil {
		return err
	}
	return s.release(s.raw.Len())
}

// add folds data up to its last complete segment (all of it at the end), checks, and releases
// what can no longer be part of a match.
func (s *Stream) add(data string, atEOF bool) error {
segments:
	for data != "" {
		n := asciiPrefix(data)
		switch {
		case n == len(data) && atEOF:
		case n >= 2:
			// A run of ASCII is one segment per character: fold it at once, all but its last
			// character, which a combining mark after it could still change.
			n--
		default:
			if n = norm.NFKC.NextBoundaryInString(data, atEOF); n <= 0 {
				if !atEOF {
					break segments
				}
				n = len(data)
			}
		}
		if s.fold(data[:n]) {
			s.pending = ""
			return ErrWithheld
		}
		data = data[n:]
	}
	s.pending = data
	hold := s.tail
	for _, k := range s.canary {
		hold = max(hold, k)
	}
	if hold == 0 {
		return s.release(s.raw.Len())
	}
	return s.release(s.origin[s.folded-hold])
}

// fold adds a run of ASCII or one normalisation segment and reports a trip. Each folded rune
// remembers where in raw its character starts (an ASCII character) or its segment starts.
func (s *Stream) fold(seg string) bool {
	at := s.raw.Len()
	s.raw.WriteString(seg)
	if isPlainASCII(seg) {
		for i := 0; i < len(seg); i++ {
			if s.step(rune(seg[i]), at+i) {
				return true
			}
		}
		return false
	}
	for _, r := range norm.NFKC.String(seg) {
		if s.step(r, at) {
			return true
		}
	}
	return false
}

// step folds one rune of text starting at raw offset at, and reports a trip.
func (s *Stream) step(r rune, at int) bool {
	r, ok := foldRune(r)
	if !ok {
		return false
	}
	s.origin = append(s.origin, at)
	s.folded++
	for i, m := range s.g.canaries {
		if s.canary[i] = m.next(s.canary[i], r); s.canary[i] == len(m.pattern) {
			s.reason = "canary"
			return true
		}
	}
	if s.state, s.tail = s.g.rules.step(s.state, s.tail, r); s.tail >= s.g.minChunk {
		s.reason = "verbatim"
		return true
	}
	return false
}

// isPlainASCII reports ASCII text, which NFKC leaves as it is.
func isPlainASCII(s string) bool { return asciiPrefix(s) == len(s) }

// asciiPrefix is the length of the ASCII run s starts with.
func asciiPrefix(s string) int {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return i
		}
	}
	return len(s)
}

func (s *Stream) release(upto int) error {
	if upto <= s.released {
		return nil
	}
	text := s.raw.String()[s.released:upto]
	s.released = upto
	return s.emit(text)
}

// Reason is why the reply was withheld ("canary", "verbatim"), or "".
func (s *Stream) Reason() string { return s.reason }

// Released is the text handed to emit so far: all of it is safe and final.
func (s *Stream) Released() string { return s.raw.String()[:s.released] }
