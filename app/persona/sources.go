package persona

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"path"
	"regexp"
	"strings"
	"unicode"
	"unicode/utf8"

	"go.yaml.in/yaml/v3"

	"github.com/digitaltwin/twin/app/persona/pdftext"
	"github.com/digitaltwin/twin/app/twin"
)

// MaxPDFBytes is the largest PDF read (its text still counts against MaxBytes).
const MaxPDFBytes = 16 << 20

// MetaFile is the optional front-matter file of a persona folder.
const MetaFile = "persona.yaml"

// Doc is one source of the persona: its name (a slash-separated path relative to the persona
// folder or prefix) and its text.
type Doc struct {
	Name string
	Text string
}

// Skipped is a source left out of the persona, and why.
type Skipped struct {
	Name   string
	Reason error
}

// Readable reports whether name is a source the persona reads: a .txt, .md or .pdf file, not
// hidden, in no hidden folder.
func Readable(name string) bool {
	for _, seg := range strings.Split(name, "/") {
		if strings.HasPrefix(seg, ".") {
			return false
		}
	}
	switch strings.ToLower(path.Ext(name)) {
	case ".txt", ".md", ".pdf":
		return true
	}
	return false
}

// Extract returns the text of one source file by its extension: UTF-8 text (.txt, .md) or a PDF.
func Extract(name string, data []byte) (string, error) {
	var text string
	if strings.EqualFold(path.Ext(name), ".pdf") {
		if len(data) > MaxPDFBytes {
			return "", fmt.Errorf("%d bytes, over the %d byte limit for a PDF", len(data), MaxPDFBytes)
		}
		t, err := pdftext.Text(data, pdftext.DefaultLimits)
		if err != nil {
			return "", err
		}
		text = t
	} else {
		switch {
		case len(data) > MaxBytes:
			return "", fmt.Errorf("%d bytes, over the %d byte limit", len(data), MaxBytes)
		case !utf8.Valid(data):
			return "", errors.New("not valid UTF-8")
		}
		text = strings.TrimPrefix(strings.ReplaceAll(string(data), "\r\n", "\n"), "\ufeff")
	}
	if strings.TrimSpace(text) == "" {
		return "", errors.New("no text")
	}
	return text, nil
}

// Assemble builds the persona from its sources, in order: each becomes a section (its own
// leading Markdown heading, or one made from the file name; a root me.txt or me.md needs none),
// and the whole text is held to MaxBytes (a source that would pass it is skipped). The name,
// greeting and starters come from meta (persona.yaml) when given, else from the front matter of
// the root me.txt or me.md. It fails with CodePersonaUnavailable only when no source is usable.
func Assemble(docs []Doc, meta []byte) (twin.Persona, []Skipped, error) {
	var skipped []Skipped
	var fm frontMatter
	if meta != nil {
		m, err := parseFrontMatter(meta)
		if err != nil {
			skipped = append(skipped, Skipped{MetaFile, err})
		}
		fm = m
	}
	var b strings.Builder
	sum := sha256.New()
	sum.Write(meta)
	for _, d := range docs {
		main := isMain(d.Name)
		block, body, hasBlock := splitFrontMatter(d.Text)
		if hasBlock && main && meta == nil {
			m, err := parseFrontMatter([]byte(block))
			if err != nil {
				skipped = append(skipped, Skipped{d.Name, fmt.Errorf("front matter ignored: %w", err)})
			}
			fm = m
		}
		body = strings.TrimSpace(reflow(body))
		if body == "" {
			skipped = append(skipped, Skipped{d.Name, errors.New("no text")})
			continue
		}
		if !main && !strings.HasPrefix(body, "#") {
			body = "## " + title(d.Name) + "\n\n" + body
		}
		if b.Len()+len(body)+2 > MaxBytes {
			skipped = append(skipped, Skipped{d.Name, fmt.Errorf("the persona would pass %d bytes of text", MaxBytes)})
			continue
		}
		if b.Len() > 0 {
			b.WriteString("\n\n")
		}
		b.WriteString(body)
		fmt.Fprintf(sum, "%s\x00%s\x00", d.Name, d.Text)
	}
	if b.Len() == 0 {
		return twin.Persona{}, skipped, unavailable(errors.New("no usable persona source"))
	}
	p := twin.Persona{Name: fm.Name, Greeting: fm.Greeting, Starters: fm.Starters, Text: b.String(),
		Version: hex.EncodeToString(sum.Sum(nil)[:8])}
	if p.Name == "" {
		p.Name = deriveName(p.Text)
	}
	if p.Greeting == "" {
		p.Greeting = fmt.Sprintf("Hi, I'm %s. Ask me anything about my work, my projects or what I think.", p.Name)
	}
	if len(p.Starters) == 0 {
		p.Starters = append([]string(nil), defaultStarters...)
	}
	return p, skipped, nil
}

// isMain reports whether name is the folder's main persona file (me.txt or me.md at its root).
func isMain(name string) bool {
	n := strings.ToLower(name)
	return n == "me.txt" || n == "me.md"
}

// title makes a section heading from a file name: "linkedin-profile.pdf" → "Linkedin profile".
func title(name string) string {
	base := path.Base(name)
	base = strings.TrimSuffix(base, path.Ext(base))
	base = strings.Join(strings.FieldsFunc(base, func(r rune) bool { return r == '-' || r == '_' || r == ' ' }), " ")
	r, n := utf8.DecodeRuneInString(base)
	if n == 0 {
		return "Notes"
	}
	return string(unicode.ToUpper(r)) + base[n:]
}

// frontMatter is what visitors may see of the persona.
type frontMatter struct {
	Name     string   `yaml:"name"`
	Greeting string   `yaml:"greeting"`
	Starters []string `yaml:"starters"`
}

// splitFrontMatter splits a leading `---` block off text. Text without a closed block is all
// body.
func splitFrontMatter(text string) (block, body string, ok bool) {
	rest, found := strings.CutPrefix(text, "---\n")
	if !found {
		return "", text, false
	}
	end := strings.Index(rest, "\n---")
	if end < 0 {
		return "", text, false
	}
	block, body = rest[:end+1], rest[end+len("\n---"):]
	if i := strings.IndexByte(body, '\n'); i >= 0 && strings.TrimSpace(body[:i]) == "" {
		body = body[i+1:]
	} else if strings.TrimSpace(body) == "" {
		body = ""
	}
	return block, body, true
}

// parseFrontMatter reads YAML front matter; unknown keys are ignored, and the strings are
// trimmed and emptied starters dropped.
func parseFrontMatter(data []byte) (frontMatter, error) {
	var fm frontMatter
	if err := yaml.Unmarshal(data, &fm); err != nil {
		return frontMatter{}, fmt.Errorf("front matter: %w", err)
	}
	fm.Name, fm.Greeting = strings.TrimSpace(fm.Name), strings.TrimSpace(fm.Greeting)
	var starters []string
	for _, s := range fm.Starters {
		if s = strings.TrimSpace(s); s != "" {
			starters = append(starters, s)
		}
	}
	fm.Starters = starters
	return fm, nil
}

// reflow joins hard-wrapped lines, so that a sentence an editor wrapped at 72 or 100 columns is
// one line again (sentences are found line by line): a line of at least wrapWidth characters
// that does not end a sentence is joined with the next, unless the next starts a heading, a
// bullet, a numbered item or a table row, or is blank. Short lines (CV entries, lists, dates)
// are never joined; fenced code is left alone.
func reflow(text string) string {
	lines := strings.Split(text, "\n")
	var out []string
	fenced := false
	for _, l := range lines {
		if strings.HasPrefix(strings.TrimSpace(l), "```") {
			fenced = !fenced
		}
		if n := len(out); n > 0 && !fenced && wraps(out[n-1]) && continuesParagraph(l) {
			out[n-1] = strings.TrimRight(out[n-1], " ") + " " + strings.TrimSpace(l)
			continue
		}
		out = append(out, l)
	}
	return strings.Join(out, "\n")
}

// wrapWidth is the shortest line taken to be hard-wrapped rather than ended.
const wrapWidth = 50

func wraps(line string) bool {
	t := strings.TrimSpace(line)
	return utf8.RuneCountInString(t) >= wrapWidth && !strings.HasPrefix(t, "#") && !strings.HasPrefix(t, "|") &&
		!strings.ContainsAny(t[len(t)-1:], ".!?:")
}

var listItem = regexp.MustCompile(`^\s*([-*•+]|\d+[.)])\s`)

func continuesParagraph(line string) bool {
	t := strings.TrimSpace(line)
	return t != "" && !strings.HasPrefix(t, "#") && !strings.HasPrefix(t, "|") && !strings.HasPrefix(t, "```") && !listItem.MatchString(line)
}
