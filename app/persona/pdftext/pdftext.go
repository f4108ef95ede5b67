// Package pdftext turns a PDF, such as a LinkedIn profile export or a CV, into plain text for the
// persona: reading order kept (a sidebar column is read on its own, not interleaved with the main
// column), lines that wrap joined so sentences come out whole, larger-font lines marked as
// headings, and page footers dropped. It is built on github.com/ledongthuc/pdf's positioned text
// and bounds what a hostile file can cost (docs/decisions/0028-persona-sources.md).
package pdftext

import (
	"bytes"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/ledongthuc/pdf"
)

// Limits bound the work one file may cause.
type Limits struct {
	MaxPages       int           // pages read; the rest are ignored (a page-count bomb)
	MaxStreamBytes int64         // decoded size of one page's content (a compression bomb)
	MaxTextBytes   int           // text produced
	Timeout        time.Duration // wall time for the whole file
}

// DefaultLimits suit a profile or CV: a few pages of text.
var DefaultLimits = Limits{MaxPages: 40, MaxStreamBytes: 8 << 20, MaxTextBytes: 256 << 10, Timeout: 5 * time.Second}

// ErrEncrypted is returned for a PDF that needs a password.
var ErrEncrypted = errors.New("the PDF is encrypted")

// Text extracts the text of data within lim.
func Text(data []byte, lim Limits) (string, error) {
	type result struct {
		text string
		err  error
	}
	done := make(chan result, 1)
	deadline := time.Now().Add(lim.Timeout)
	go func() {
		text, err := extract(data, lim, deadline)
		done <- result{text, err}
	}()
	select {
	case r := <-done:
		return r.text, r.err
	case <-time.After(lim.Timeout):
		// The extraction stops at its next page boundary (it checks the same deadline).
		return "", fmt.Errorf("reading the PDF took longer than %s", lim.Timeout)
	}
}

func extract(data []byte, lim Limits, deadline time.Time) (text string, err error) {
	defer func() {
		if x := recover(); x != nil { // the library panics on some malformed input
			text, err = "", fmt.Errorf("malformed PDF: %v", x)
		}
	}()
	r, err := pdf.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		if strings.Contains(strings.ToLower(err.Error()), "encrypt") || strings.Contains(err.Error(), "password") {
			return "", ErrEncrypted
		}
		return "", fmt.Errorf("malformed PDF: %w", err)
	}
	var out strings.Builder
	pages := min(r.NumPage(), lim.MaxPages)
	for i := 1; i <= pages; i++ {
		if time.Now().After(deadline) {
			return "", errors.New("reading the PDF took too long")
		}
		p := r.Page(i)
		if p.V.IsNull() {
			continue
		}
		if n := contentSize(p.V.Key("Contents"), lim.MaxStreamBytes); n > lim.MaxStreamBytes {
			return "", fmt.Errorf("page %d's content is over %d bytes decoded", i, lim.MaxStreamBytes)
		}
		if t := pageText(p.Content().Text); t != "" {
			if out.Len() > 0 {
				out.WriteString("\n\n")
			}
			out.WriteString(t)
		}
		if out.Len() > lim.MaxTextBytes {
			return "", fmt.Errorf("the PDF holds over %d bytes of text", lim.MaxTextBytes)
		}
	}
	return out.String(), nil
}

// contentSize decodes a page's content stream(s), stopping once max is passed.
func contentSize(v pdf.Value, max int64) int64 {
	if v.Kind() == pdf.Array {
		var n int64
		for i := 0; i < v.Len() && n <= max; i++ {
			n += contentSize(v.Index(i), max-n)
		}
		return n
	}
	if v.Kind() != pdf.Stream {
		return 0
	}
	rc := v.Reader()
	defer rc.Close()
	var n int64
	buf := make([]byte, 32<<10)
	for n <= max {
		k, err := rc.Read(buf)
		n += int64(k)
		if err != nil {
			break
		}
	}
	return n
}

// glyph is one character with its place and size.
type glyph struct {
	x, y, w, size float64
	s             string
}

// line is a row of text in one column.
type line struct {
	text      string
	x0, x1, y float64
	size      float64
}

// continues reports whether next reads as the rest of prev's sentence: prev does not end a
// clause (".", "!", "?", ":", ")") or next starts in lower case.
func continues(prev, next string) bool {
	r, _ := utf8.DecodeRuneInString(next)
	return !strings.ContainsAny(prev[len(prev)-1:], ".!?:)") || unicode.IsLower(r)
}

var footer = regexp.MustCompile(`^Page \d+ of \d+$`)

// pageText lays out one page's glyphs as text.
func pageText(texts []pdf.Text) string {
	var gs []glyph
	for _, t := range texts {
		if t.S == "" {
			continue
		}
		w := t.W
		if w <= 0 { // fonts without widths: assume an average glyph
			w = 0.5 * t.FontSize
		}
		gs = append(gs, glyph{x: t.X, y: t.Y, w: w, size: t.FontSize, s: t.S})
	}
	if len(gs) == 0 {
		return ""
	}
	body := bodySize(gs)
	var blocks []string
	for _, col := range columns(gs) {
		blocks = append(blocks, layout(lines(col), body)...)
	}
	return strings.Join(blocks, "\n\n")
}

// bodySize is the font size most characters are set in.
func bodySize(gs []glyph) float64 {
	count := map[float64]int{}
	best := gs[0].size
	for _, g := range gs {
		count[g.size]++
		if count[g.size] > count[best] {
			best = g.size
		}
	}
	return best
}

// columns splits the page at its widest vertical gutter (no glyph crosses it, and text lies on
// both sides on several rows), so that a sidebar is read apart from the main column; a page
// without one is one column.
func columns(gs []glyph) [][]glyph {
	const bin = 2.0
	lo, hi := gs[0].x, gs[0].x+gs[0].w
	for _, g := range gs {
		lo, hi = min(lo, g.x), max(hi, g.x+g.w)
	}
	n := int((hi-lo)/bin) + 1
	if n > 10000 {
		return [][]glyph{gs}
	}
	used := make([]bool, n)
	for _, g := range gs {
		for b := int((g.x - lo) / bin); b <= int((g.x+g.w-lo)/bin) && b < n; b++ {
			used[b] = true
		}
	}
	bestStart, bestLen, start := -1, 0, -1
	for b := 0; b <= n; b++ {
		if b < n && !used[b] {
			if start < 0 {
				start = b
			}
			continue
		}
		if start >= 0 && b-start > bestLen {
			bestStart, bestLen = start, b-start
		}
		start = -1
	}
	if bestLen*int(bin) < 18 {
		return [][]glyph{gs}
	}
	cut := lo + float64(bestStart+bestLen/2)*bin
	var left, right []glyph
	for _, g := range gs {
		if g.x < cut {
			left = append(left, g)
		} else {
			right = append(right, g)
		}
	}
	if rows(left) < 3 || rows(right) < 3 {
		return [][]glyph{gs}
	}
	return [][]glyph{left, right}
}

func rows(gs []glyph) int {
	seen := map[int]bool{}
	for _, g := range gs {
		seen[int(g.y)] = true
	}
	return len(seen)
}

// lines groups glyphs into rows (top to bottom) and each row left to right, with a space where
// the gap between two glyphs is wider than a quarter of the font size.
func lines(gs []glyph) []line {
	slices.SortStableFunc(gs, func(a, b glyph) int {
		switch {
		case a.y > b.y:
			return -1
		case a.y < b.y:
			return 1
		}
		return 0
	})
	var out []line
	for i := 0; i < len(gs); {
		j := i + 1
		for j < len(gs) && gs[i].y-gs[j].y <= 0.35*gs[i].size {
			j++
		}
		row := slices.Clone(gs[i:j])
		slices.SortStableFunc(row, func(a, b glyph) int {
			switch {
			case a.x < b.x:
				return -1
			case a.x > b.x:
				return 1
			}
			return 0
		})
		var b strings.Builder
		l := line{x0: row[0].x, y: row[0].y}
		for k, g := range row {
			if k > 0 {
				prev := row[k-1]
				if g.x-(prev.x+prev.w) > 0.25*g.size && !strings.HasSuffix(b.String(), " ") && g.s != " " {
					b.WriteByte(' ')
				}
			}
			b.WriteString(g.s)
			l.x1 = max(l.x1, g.x+g.w)
			l.size = max(l.size, g.size)
		}
		l.text = strings.Join(strings.Fields(b.String()), " ")
		if l.text != "" && !footer.MatchString(l.text) {
			out = append(out, l)
		}
		i = j
	}
	return out
}

// layout turns a column's lines into blocks: a heading (a line set larger than the body text)
// becomes a Markdown heading, a bullet starts its own line, a line that fills the column's width
// is joined with the next (a wrapped sentence), and a wide vertical gap ends a block.
func layout(ls []line, body float64) []string {
	width := 0.0
	for _, l := range ls {
		width = max(width, l.x1-l.x0)
	}
	var blocks []string
	var cur []string
	flush := func() {
		if len(cur) > 0 {
			blocks = append(blocks, strings.Join(cur, "\n"))
			cur = nil
		}
	}
	for i, l := range ls {
		heading := l.size >= 1.2*body && len(l.text) <= 80
		bullet := strings.HasPrefix(l.text, "- ") || strings.HasPrefix(l.text, "• ") || strings.HasPrefix(l.text, "· ")
		if i > 0 {
			prev := ls[i-1]
			gap := prev.y - l.y
			if heading || gap > 1.8*max(l.size, prev.size) || prev.size >= 1.2*body {
				flush()
			} else if !bullet && len(cur) > 0 && l.size == prev.size && prev.x1-prev.x0 >= 0.8*width && continues(prev.text, l.text) {
				cur[len(cur)-1] += " " + l.text // a wrapped line: one sentence, one line
				continue
			}
		}
		if heading {
			cur = append(cur, "### "+l.text)
			flush()
			continue
		}
		cur = append(cur, l.text)
	}
	flush()
	return blocks
}
