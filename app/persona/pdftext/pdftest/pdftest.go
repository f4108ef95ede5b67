// Package pdftest writes small, valid PDF files for tests and examples: text runs placed at
// given positions on pages, in the standard Helvetica fonts, the way exporters such as
// LinkedIn's "Save to PDF" lay out a profile (headings, a sidebar column, dates on the right).
package pdftest

import (
	"bytes"
	"compress/zlib"
	"fmt"
	"strings"
)

// Run is one piece of text drawn at (X, Y) points from the page's bottom-left corner.
type Run struct {
	X, Y float64
	Size float64 // font size in points (10 when 0)
	Bold bool
	Text string // Latin-1 text; ( ) and \ are escaped
}

// Page is the runs of one page.
type Page []Run

// Options change how the file is written.
type Options struct {
	Compress bool   // Flate-compress content streams
	Extra    string // raw objects appended to the content stream of page 1 (for hostile files)
	Encrypt  bool   // declare an /Encrypt dictionary with a user password (the text cannot be read)
	Repeat   int    // list every page this many times in the page tree (a page-count bomb)
}

// Write returns a PDF of pages (US Letter, 612 × 792 points).
func Write(pages []Page, opt Options) []byte {
	var b bytes.Buffer
	offsets := []int{0}
	obj := func(body string) int {
		offsets = append(offsets, b.Len())
		n := len(offsets) - 1
		fmt.Fprintf(&b, "%d 0 obj\n%s\nendobj\n", n, body)
		return n
	}
	b.WriteString("%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
	catalog := obj("<< /Type /Catalog /Pages 2 0 R >>")
	_ = catalog
	offsets = append(offsets, 0) // object 2 (the page tree) is written last, once its kids are known
	pagesAt := len(offsets) - 1
	font := obj("<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding" + widths + " >>")
	bold := obj("<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica-Bold /Encoding /WinAnsiEncoding" + widths + " >>")
	var kids []string
	for i, p := range pages {
		var c strings.Builder
		for _, r := range p {
			size, f := r.Size, "F1"
			if size == 0 {
				size = 10
			}
			if r.Bold {
				f = "F2"
			}
			fmt.Fprintf(&c, "BT /%s %g Tf %g %g Td (%s) Tj ET\n", f, size, r.X, r.Y, escape(r.Text))
		}
		if i == 0 {
			c.WriteString(opt.Extra)
		}
		content := []byte(c.String())
		filter := ""
		if opt.Compress {
			var z bytes.Buffer
			w := zlib.NewWriter(&z)
			_, _ = w.Write(content)
			_ = w.Close()
			content, filter = z.Bytes(), " /Filter /FlateDecode"
		}
		stream := obj(fmt.Sprintf("<< /Length %d%s >>\nstream\n%s\nendstream", len(content), filter, content))
		page := obj(fmt.Sprintf("<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << /Font << /F1 %d 0 R /F2 %d 0 R >> >> /Contents %d 0 R >>", font, bold, stream))
		kids = append(kids, fmt.Sprintf("%d 0 R", page))
	}
	for n := 1; n < opt.Repeat; n++ {
		kids = append(kids, kids[:len(pages)]...)
	}
	offsets[pagesAt] = b.Len()
	fmt.Fprintf(&b, "2 0 obj\n<< /Type /Pages /Kids [%s] /Count %d >>\nendobj\n", strings.Join(kids, " "), len(kids))
	encrypt := ""
	if opt.Encrypt {
		enc := obj("<< /Filter /Standard /V 1 /R 2 /O <" + strings.Repeat("ab", 32) + "> /U <" + strings.Repeat("cd", 32) + "> /P -4 >>")
		encrypt = fmt.Sprintf(" /Encrypt %d 0 R /ID [<00112233445566778899aabbccddeeff> <00112233445566778899aabbccddeeff>]", enc)
	}
	xref := b.Len()
	fmt.Fprintf(&b, "xref\n0 %d\n0000000000 65535 f \n", len(offsets))
	for _, off := range offsets[1:] {
		fmt.Fprintf(&b, "%010d 00000 n \n", off)
	}
	fmt.Fprintf(&b, "trailer\n<< /Size %d /Root 1 0 R%s >>\nstartxref\n%d\n%%%%EOF\n", len(offsets), encrypt, xref)
	return b.Bytes()
}

// widths approximates Helvetica's glyph widths (thousandths of the font size) for codes 32..255,
// as an exporter that embeds its fonts would list them.
var widths = func() string {
	var b strings.Builder
	b.WriteString(" /FirstChar 32 /LastChar 255 /Widths [")
	for c := 32; c <= 255; c++ {
		w := 556
		switch {
		case c == ' ' || c == '.' || c == ',' || c == ':' || c == ';' || c == '!' || c == '|':
			w = 278
		case strings.ContainsRune("ijlftI()[]'", rune(c)):
			w = 250
		case c == 'm' || c == 'w' || c == 'M' || c == 'W' || c == '@':
			w = 833
		case c >= 'A' && c <= 'Z':
			w = 667
		}
		fmt.Fprintf(&b, "%d ", w)
	}
	b.WriteString("]")
	return b.String()
}()

func escape(s string) string {
	return strings.NewReplacer(`\`, `\\`, `(`, `\(`, `)`, `\)`).Replace(s)
}

// Profile lays out a two-page profile the way LinkedIn exports one: a left sidebar (contact,
// skills, languages) beside the main column (name, headline, summary, experience with dates on
// their own line, education), bullets, and a paragraph that wraps across lines.
func Profile() []Page {
	side := func(y float64, text string, bold bool) Run { return Run{X: 36, Y: y, Size: 9, Bold: bold, Text: text} }
	main := func(y float64, size float64, bold bool, text string) Run {
		return Run{X: 220, Y: y, Size: size, Bold: bold, Text: text}
	}
	p1 := Page{
		side(740, "Contact", true),
		side(726, "alva@nystrom.example", false),
		side(712, "linkedin.com/in/alva-example", false),
		side(680, "Top Skills", true),
		side(666, "Distributed systems", false),
		side(652, "Go", false),
		side(638, "Technical writing", false),
		side(606, "Languages", true),
		side(592, "Swedish (Native)", false),
		side(578, "Finnish (Professional Working)", false),
		side(564, "English (Full Professional)", false),
		side(532, "Certifications", true),
		side(518, "AWS Certified Solutions Architect", false),
		main(740, 20, true, "Alva Nystrom"),
		main(716, 11, false, "Principal Engineer at Ferrous Data"),
		main(700, 10, false, "Umea, Vasterbotten County, Sweden"),
		main(670, 13, true, "Summary"),
		main(652, 10, false, "I design storage engines and the tools around them, and I like"),
		main(638, 10, false, "teaching what I learn along the way. I moved into engineering from"),
		main(624, 10, false, "applied mathematics after my thesis on queueing networks."),
		main(594, 13, true, "Experience"),
		main(576, 11, true, "Ferrous Data"),
		main(562, 10, false, "Principal Engineer"),
		main(548, 9, false, "March 2021 - Present (3 years 9 months)"),
		main(534, 9, false, "Umea, Sweden"),
		main(518, 10, false, "- Lead the team that built Granite, our time-series storage engine."),
		main(504, 10, false, "- Cut query latency at the 99th percentile from 900 ms to 120 ms."),
		main(480, 11, true, "Northwind Analytics"),
		main(466, 10, false, "Senior Software Engineer"),
		main(452, 9, false, "June 2016 - February 2021 (4 years 9 months)"),
		main(438, 9, false, "Stockholm, Sweden"),
		main(422, 10, false, "Built the ingestion pipeline that handled two billion events a day."),
	}
	p2 := Page{
		main(740, 13, true, "Education"),
		main(722, 11, true, "KTH Royal Institute of Technology"),
		main(708, 10, false, "Master of Science, Applied Mathematics (2011 - 2013)"),
		main(690, 11, true, "Uppsala University"),
		main(676, 10, false, "Bachelor of Science, Mathematics (2008 - 2011)"),
		{X: 500, Y: 40, Size: 8, Text: "Page 2 of 2"},
	}
	return []Page{p1, p2}
}
