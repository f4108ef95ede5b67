package persona

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/digitaltwin/twin/app/telemetry"
	"github.com/digitaltwin/twin/app/twin"
	"github.com/google/go-cmp/cmp"
)

func TestParseFrontMatter(t *testing.T) {
	p, err := Parse([]byte("---\nname: Ada Example\ngreeting: \"Hello there!\"\nstarters:\n  - What do you build?\n  - 'Why Go?'\n---\nI build compilers.\n"))
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{p.Name, p.Greeting, p.Text}, []string{"Ada Example", "Hello there!", "I build compilers."}); diff != "" {
		t.Errorf("persona (-got +want):\n%s", diff)
	}
	if diff := cmp.Diff(p.Starters, []string{"What do you build?", "Why Go?"}); diff != "" {
		t.Errorf("starters (-got +want):\n%s", diff)
	}
}

func TestParseDerivesMissingFields(t *testing.T) {
	for _, tc := range []struct{ text, name string }{
		{"# Grace Hopper\nI wrote compilers.", "Grace Hopper"},
		{"Hello! My name is Linus Example and I like kernels.", "Linus Example"},
		{"i like tea", "me"},
		{"Tomás Rivera\nCo-founder & CTO at Fieldnote.", "Tomás Rivera"},
		{"\nMary-Jane O'Neil\nNurse, Galway.", "Mary-Jane O'Neil"},
		{"Senior Site Reliability Engineer\nI keep things up.", "me"},
		{"Product Designer\nI design.", "me"},
		{"Hello there\nI like tea.", "me"},
		{"---\nunclosed: block\nI like tea", "me"},
		{"Hi, I'm Tomás Rivera. I study chemistry.", "Tomás Rivera"},
		{"Hey! Jonas here. I play bass.\n\nI grew up in Denmark, so yes, I'm Danish.", "Jonas"},
		{"I play bass.\n\nI grew up in Denmark, so yes, I'm Danish.", "me"},
		{"Greetings from Berlin. Life here is good.", "me"},
		{"Marek Nowak | Backend Engineer | Gdańsk, Poland\n\nPROFILE", "Marek Nowak"},
		{"Backend Engineer | Gdańsk, Poland\n\nPROFILE", "me"},
	} {
		p, err := Parse([]byte(tc.text))
		if err != nil {
			t.Fatalf("Parse(%q): %v", tc.text, err)
		}
		if p.Name != tc.name {
			t.Errorf("Parse(%q).Name = %q, want %q", tc.text, p.Name, tc.name)
		}
		if p.Greeting == "" || len(p.Starters) == 0 {
			t.Errorf("Parse(%q): greeting %q, starters %v: want derived defaults", tc.text, p.Greeting, p.Starters)
		}
	}
}

func TestParseRejects(t *testing.T) {
	for name, data := range map[string][]byte{
		"empty":      nil,
		"whitespace": []byte(" \n\t "),
		"only meta":  []byte("---\nname: X\n---\n"),
		"not utf-8":  {0xff, 0xfe, 'h', 'i'},
		"too large":  bytes.Repeat([]byte("a"), MaxBytes+1),
	} {
		if _, err := Parse(data); twin.ErrorCode(err) != twin.CodePersonaUnavailable {
			t.Errorf("%s: Parse error = %v, want code %s", name, err, twin.CodePersonaUnavailable)
		}
	}
}

func TestFileSourceReloadsOnChange(t *testing.T) {
	path := filepath.Join(t.TempDir(), "me.txt")
	src := NewFileSource(path, slog.New(slog.NewTextHandler(io.Discard, nil)))
	ctx := context.Background()

	if _, err := src.Persona(ctx); twin.ErrorCode(err) != twin.CodePersonaUnavailable {
		t.Fatalf("missing file: err = %v, want persona_unavailable", err)
	}
	if err := os.WriteFile(path, []byte("I like tea."), 0o600); err != nil {
		t.Fatal(err)
	}
	p, err := src.Persona(ctx)
	if err != nil || p.Text != "I like tea." {
		t.Fatalf("Persona() = %q, %v", p.Text, err)
	}
	if err := os.WriteFile(path, []byte("I like coffee now."), 0o600); err != nil {
		t.Fatal(err)
	}
	later := time.Now().Add(time.Second)
	if err := os.Chtimes(path, later, later); err != nil {
		t.Fatal(err)
	}
	if p, err = src.Persona(ctx); err != nil || !strings.Contains(p.Text, "coffee") {
		t.Fatalf("after edit Persona() = %q, %v, want the new text", p.Text, err)
	}
	if err := os.WriteFile(path, []byte{0xff, 0xfe}, 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := src.Persona(ctx); twin.ErrorCode(err) != twin.CodePersonaUnavailable {
		t.Fatalf("non-UTF-8 file: err = %v, want persona_unavailable", err)
	}
}

func FuzzParse(f *testing.F) {
	f.Add([]byte("---\nname: A\nstarters:\n - x\n---\nbody"))
	f.Add([]byte("# Name\ntext"))
	f.Fuzz(func(t *testing.T, data []byte) {
		p, err := Parse(data)
		if err != nil {
			if twin.ErrorCode(err) != twin.CodePersonaUnavailable {
				t.Fatalf("unexpected error code: %v", err)
			}
			return
		}
		if strings.TrimSpace(p.Text) == "" || p.Name == "" || p.Greeting == "" {
			t.Fatalf("accepted persona with empty fields: %+v", p)
		}
	})
}

// The "persona loaded" line names its file under "source", so the request's own path (which
// the log handler stamps on every line of a request) is kept.
func TestLoadedLineKeepsTheRequestPath(t *testing.T) {
	path := filepath.Join(t.TempDir(), "me.txt")
	if err := os.WriteFile(path, []byte("I am Ada."), 0o600); err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	ctx := telemetry.WithRequest(context.Background(), "POST", "/api/chat")
	if _, err := NewFileSource(path, telemetry.NewLogger(&buf, slog.LevelInfo, true)).Persona(ctx); err != nil {
		t.Fatal(err)
	}
	var line map[string]any
	if err := json.Unmarshal(bytes.TrimSpace(buf.Bytes()), &line); err != nil {
		t.Fatalf("%v: %s", err, buf.Bytes())
	}
	if line["msg"] != "persona loaded" || line["path"] != "/api/chat" || line["source"] != path {
		t.Fatalf("line %v: want the request's path and the file as source", line)
	}
}
