package pdftext_test

import (
	"bytes"
	"errors"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/digitaltwin/twin/app/persona/pdftext"
	"github.com/digitaltwin/twin/app/persona/pdftext/pdftest"
)

// TestProfileExport: a two-page profile laid out like LinkedIn's export comes out in reading
// order, the sidebar apart from the main column, wrapped sentences whole on one line, headings
// marked, dates and bullets on their own lines, the footer gone; compressed or not.
func TestProfileExport(t *testing.T) {
	for _, compress := range []bool{false, true} {
		text, err := pdftext.Text(pdftest.Write(pdftest.Profile(), pdftest.Options{Compress: compress}), pdftext.DefaultLimits)
		if err != nil {
			t.Fatal(err)
		}
		lines := map[string]bool{}
		for _, l := range strings.Split(text, "\n") {
			lines[l] = true
		}
		for _, want := range []string{
			"I design storage engines and the tools around them, and I like teaching what I learn along the way. I moved into engineering from applied mathematics after my thesis on queueing networks.",
			"### Experience", "### Summary", "### Education",
			"March 2021 - Present (3 years 9 months)",
			"- Lead the team that built Granite, our time-series storage engine.",
			"Swedish (Native)", "Finnish (Professional Working)", "English (Full Professional)",
			"Master of Science, Applied Mathematics (2011 - 2013)",
		} {
			if !lines[want] {
				t.Errorf("compress=%v: no line %q in:\n%s", compress, want, text)
			}
		}
		if strings.Contains(text, "Page 2 of 2") {
			t.Errorf("the page footer was kept")
		}
		// The sidebar is read on its own: no line mixes it with the main column.
		for l := range lines {
			if strings.Contains(l, "Top Skills") && l != "Top Skills" || strings.Contains(l, "Go") && strings.Contains(l, "Summary") {
				t.Errorf("columns interleaved: %q", l)
			}
		}
		if i, j := strings.Index(text, "### Experience"), strings.Index(text, "### Education"); i < 0 || j < i {
			t.Errorf("pages out of order")
		}
	}
}

// TestHostileFiles: encrypted, malformed, deeply nested, compression and page-count bombs give
// an error (or a bounded result) quickly, without crashing or holding much memory.
func TestHostileFiles(t *testing.T) {
	one := []pdftest.Page{{{X: 72, Y: 700, Text: "I live in Gothenburg."}}}
	nested := bytes.Replace(pdftest.Write(one, pdftest.Options{}), []byte("/Type /Catalog"),
		[]byte("/Type /Catalog /Junk "+strings.Repeat("[", 200000)+strings.Repeat("]", 200000)), 1)
	bomb := pdftest.Write(one, pdftest.Options{Compress: true, Extra: "%" + strings.Repeat(" ", 64<<20) + "\n"})
	for name, c := range map[string]struct {
		data    []byte
		wantErr error
	}{
		"encrypted":          {pdftest.Write(one, pdftest.Options{Encrypt: true}), pdftext.ErrEncrypted},
		"not a pdf":          {[]byte("hello, I am a text file"), nil},
		"truncated":          {pdftest.Write(one, pdftest.Options{})[:200], nil},
		"deep nesting":       {nested, nil},
		"compression bomb":   {bomb, nil},
		"empty":              {nil, nil},
		"garbage after head": {append([]byte("%PDF-1.7\n"), bytes.Repeat([]byte("<<[(\\"), 10000)...), nil},
	} {
		t.Run(name, func(t *testing.T) {
			var before, after runtime.MemStats
			runtime.GC()
			runtime.ReadMemStats(&before)
			_, err := pdftext.Text(c.data, pdftext.DefaultLimits)
			runtime.ReadMemStats(&after)
			if err == nil {
				t.Fatal("no error")
			}
			if c.wantErr != nil && !errors.Is(err, c.wantErr) {
				t.Errorf("err = %v, want %v", err, c.wantErr)
			}
			if grew := after.TotalAlloc - before.TotalAlloc; grew > 256<<20 {
				t.Errorf("allocated %d MiB", grew>>20)
			}
		})
	}
	if len(bomb) > 1<<20 {
		t.Fatalf("the compression bomb is %d bytes: not a bomb", len(bomb))
	}
}

// TestPageCountBomb: a page tree that claims 200,000 pages is read only up to MaxPages.
func TestPageCountBomb(t *testing.T) {
	pdf := pdftest.Write([]pdftest.Page{{{X: 72, Y: 700, Text: "Hello."}}}, pdftest.Options{Repeat: 200000})
	lim := pdftext.DefaultLimits
	lim.MaxPages = 5
	text, err := pdftext.Text(pdf, lim)
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Count(text, "Hello."); got != 5 {
		t.Errorf("read %d pages, want MaxPages = 5", got)
	}
}

// TestTimeout: a file that takes longer than the limit is given up on.
func TestTimeout(t *testing.T) {
	lim := pdftext.DefaultLimits
	lim.Timeout = time.Nanosecond
	if _, err := pdftext.Text(pdftest.Write(pdftest.Profile(), pdftest.Options{}), lim); err == nil {
		t.Fatal("no error with a 1 ns budget")
	}
}

func FuzzText(f *testing.F) {
	f.Add(pdftest.Write(pdftest.Profile(), pdftest.Options{}))
	f.Add(pdftest.Write(pdftest.Profile(), pdftest.Options{Compress: true}))
	f.Add([]byte("%PDF-1.4\n1 0 obj << >> endobj trailer << /Root 1 0 R >>"))
	lim := pdftext.Limits{MaxPages: 3, MaxStreamBytes: 1 << 20, MaxTextBytes: 64 << 10, Timeout: 2 * time.Second}
	f.Fuzz(func(t *testing.T, data []byte) {
		_, _ = pdftext.Text(data, lim) // must not panic or hang
	})
}

// BenchmarkProfile: the two-page profile export, compressed (docs/benchmarks.md).
func BenchmarkProfile(b *testing.B) {
	data := pdftest.Write(pdftest.Profile(), pdftest.Options{Compress: true})
	for b.Loop() {
		if _, err := pdftext.Text(data, pdftext.DefaultLimits); err != nil {
			b.Fatal(err)
		}
	}
}
