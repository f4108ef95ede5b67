package persona

import (
	"bytes"
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/digitaltwin/twin/app/persona/pdftext/pdftest"
	"github.com/digitaltwin/twin/app/twin"
	"github.com/digitaltwin/twin/app/twintest"
)

func writeFiles(t *testing.T, root string, files map[string][]byte) {
	t.Helper()
	for name, data := range files {
		p := filepath.Join(root, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// TestDirSourceFolder: every .txt, .md and .pdf in the folder and its sub-folders, in path order,
// each a section; hidden files, hidden folders and other kinds left out; persona.yaml's YAML
// (comments, quoted strings with ":" and "#", flow and block lists) gives the visible fields.
func TestDirSourceFolder(t *testing.T) {
	root := t.TempDir()
	writeFiles(t, root, map[string][]byte{
		"me.md":                []byte("---\nname: Ignored When persona.yaml Exists\n---\nI am Maya, and I write software.\n"),
		"notes/opinions.txt":   []byte("I think boring technology is underrated."),
		"notes/.draft.txt":     []byte("SECRET DRAFT"),
		".git/config.txt":      []byte("SECRET GIT"),
		"photo.png":            []byte("\x89PNG"),
		"linkedin-profile.pdf": pdftest.Write(pdftest.Profile(), pdftest.Options{Compress: true}),
		"bio.md":               []byte("# Short bio\n\nI grew up in Umeå."),
		"persona.yaml": []byte("# shown to visitors\nname: \"Maya: the twin\"\ngreeting: 'Hi # not a comment'\n" +
			"starters: [Tell me about Tessel, \"Why Go?\"]\n"),
	})
	p, err := NewDirSource(root, slog.New(slog.DiscardHandler)).Persona(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]any{p.Name, p.Greeting, p.Starters}, []any{"Maya: the twin", "Hi # not a comment", []string{"Tell me about Tessel", "Why Go?"}}); diff != "" {
		t.Errorf("visible fields (-got +want):\n%s", diff)
	}
	order := []string{"# Short bio", "## Linkedin profile", "### Experience", "Lead the team that built Granite", "I am Maya", "## Opinions", "boring technology"}
	last := -1
	for _, s := range order {
		i := strings.Index(p.Text, s)
		if i < 0 || i < last {
			t.Fatalf("%q missing or out of path order in:\n%s", s, p.Text)
		}
		last = i
	}
	for _, secret := range []string{"SECRET", "PNG", "Ignored When"} {
		if strings.Contains(p.Text, secret) {
			t.Errorf("persona holds %q", secret)
		}
	}
	// Block lists and the root me.txt's own front matter when there is no persona.yaml.
	root2 := t.TempDir()
	writeFiles(t, root2, map[string][]byte{"me.txt": []byte("---\nname: Ada # a comment\nstarters:\n  - 'One: two'\n  - Three\n---\nI build compilers.")})
	p2, err := NewDirSource(root2, slog.New(slog.DiscardHandler)).Persona(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]any{p2.Name, p2.Starters, p2.Text}, []any{"Ada", []string{"One: two", "Three"}, "I build compilers."}); diff != "" {
		t.Errorf("me.txt front matter (-got +want):\n%s", diff)
	}
}

// TestDirSourceReloads: a file added, changed or removed changes the persona at the next call.
func TestDirSourceReloads(t *testing.T) {
	root := t.TempDir()
	writeFiles(t, root, map[string][]byte{"me.txt": []byte("I live in Gothenburg.")})
	src := NewDirSource(root, slog.New(slog.DiscardHandler))
	text := func() string {
		t.Helper()
		p, err := src.Persona(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		return p.Text
	}
	if got := text(); got != "I live in Gothenburg." {
		t.Fatalf("first load %q", got)
	}
	writeFiles(t, root, map[string][]byte{"hobbies.md": []byte("I play the cello.")})
	if got := text(); !strings.Contains(got, "## Hobbies\n\nI play the cello.") {
		t.Errorf("added file not picked up: %q", got)
	}
	writeFiles(t, root, map[string][]byte{"hobbies.md": []byte("I climb.")})
	later := time.Now().Add(time.Minute)
	if err := os.Chtimes(filepath.Join(root, "hobbies.md"), later, later); err != nil {
		t.Fatal(err)
	}
	if got := text(); !strings.Contains(got, "I climb.") || strings.Contains(got, "cello") {
		t.Errorf("changed file not picked up: %q", got)
	}
	if err := os.Remove(filepath.Join(root, "hobbies.md")); err != nil {
		t.Fatal(err)
	}
	if got := text(); got != "I live in Gothenburg." {
		t.Errorf("removed file still there: %q", got)
	}
}

// TestDirSourceSkipsBadFiles: an encrypted, empty, oversized or non-UTF-8 file, and one that
// would take the persona past its limit, are each skipped with a warning naming it; the rest
// still makes the persona. With nothing usable the persona is unavailable.
func TestDirSourceSkipsBadFiles(t *testing.T) {
	root := t.TempDir()
	big := bytes.Repeat([]byte("I like tea. "), 180<<10/12)
	writeFiles(t, root, map[string][]byte{
		"a-locked.pdf": pdftest.Write(pdftest.Profile(), pdftest.Options{Encrypt: true}),
		"b-empty.txt":  []byte("  \n"),
		"c-huge.txt":   bytes.Repeat([]byte("x"), MaxBytes+1),
		"d-latin1.txt": {0xe9, 0x74, 0xe9},
		"e-fine.md":    []byte("I live in Gothenburg."),
		"f-big1.txt":   big,
		"g-big2.txt":   big,
	})
	var logs twintest.Logs
	p, err := NewDirSource(root, logs.Logger()).Persona(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(p.Text, "Gothenburg") || !strings.Contains(p.Text, "I like tea") || len(p.Text) > MaxBytes {
		t.Errorf("persona %d bytes, want the usable files within %d", len(p.Text), MaxBytes)
	}
	for _, name := range []string{"a-locked.pdf", "b-empty.txt", "c-huge.txt", "d-latin1.txt", "g-big2.txt"} {
		if !strings.Contains(logs.String(), name) {
			t.Errorf("no warning names %s:\n%s", name, logs.String())
		}
	}
	empty := t.TempDir()
	writeFiles(t, empty, map[string][]byte{"only.pdf": pdftest.Write(pdftest.Profile(), pdftest.Options{Encrypt: true})})
	if _, err := NewDirSource(empty, slog.New(slog.DiscardHandler)).Persona(context.Background()); twin.ErrorCode(err) != twin.CodePersonaUnavailable {
		t.Errorf("no usable source: err = %v, want persona_unavailable", err)
	}
}

// TestDirSourceBadFrontMatter: a persona.yaml that is not valid YAML is ignored with a warning
// naming it; the persona keeps its text and derives what visitors see.
func TestDirSourceBadFrontMatter(t *testing.T) {
	root := t.TempDir()
	writeFiles(t, root, map[string][]byte{
		"me.md":        []byte("# Ada Example\n\nI build compilers."),
		"persona.yaml": []byte("name: [unclosed\ngreeting: : :\n"),
	})
	var logs twintest.Logs
	p, err := NewDirSource(root, logs.Logger()).Persona(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if p.Name != "Ada Example" || !strings.Contains(p.Text, "I build compilers.") {
		t.Errorf("persona %q %q: want the text kept and the name derived", p.Name, p.Text)
	}
	if !strings.Contains(logs.String(), "persona.yaml") {
		t.Errorf("no warning names persona.yaml:\n%s", logs.String())
	}
}
