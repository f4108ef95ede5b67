package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const dictionary = "/usr/share/wordnet" // Debian's wordnet-base; `make test` installs it

// TestCommittedTableIsRegenerated: the table app/retrieval embeds is exactly what this command
// makes from Debian's WordNet files, so nobody edits it by hand and a change to the generator
// or to the stemmer it uses cannot go unnoticed.
func TestCommittedTableIsRegenerated(t *testing.T) {
	if _, err := os.Stat(filepath.Join(dictionary, "data.noun")); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("WordNet is not installed (apt-get install wordnet-base; `make test` does): %v", err)
		}
		t.Skipf("WordNet is not installed: %v", err)
	}
	var got bytes.Buffer
	if err := generate(dictionary, &got); err != nil {
		t.Fatal(err)
	}
	want, err := os.ReadFile("../../app/retrieval/wordnet.txt")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got.Bytes(), want) {
		t.Fatalf("app/retrieval/wordnet.txt is not what the generator makes (%d bytes, want %d): run `make wordnet-table`", got.Len(), len(want))
	}
}

// A malformed dictionary file is an error naming the file and the line.
func TestMalformedFileNamesTheLine(t *testing.T) {
	dir := t.TempDir()
	for _, f := range []string{"data.noun", "data.verb", "data.adj", "index.noun", "index.verb", "index.adj", "cntlist.rev"} {
		if err := os.WriteFile(filepath.Join(dir, f), []byte("  licence line\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	bad := filepath.Join(dir, "data.verb")
	if err := os.WriteFile(bad, []byte("  licence line\n00001740 29 v 04 breathe 0 take_a_breath 0 respire 0 suspire 3 021 * x\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	err := generate(dir, &bytes.Buffer{})
	if err == nil || !strings.Contains(err.Error(), bad+":2:") {
		t.Fatalf("generate = %v, want an error naming %s:2", err, bad)
	}
}

func TestFamily(t *testing.T) {
	for _, c := range []struct {
		a, b string
		want bool
	}{
		{"teach", "teaching", true}, {"live", "lived", true}, {"live", "living", true},
		{"plan", "planned", true}, {"run", "running", true}, {"car", "care", false},
		{"plan", "plane", false}, {"us", "use", false},
	} {
		if got := family(c.a, c.b); got != c.want {
			t.Errorf("family(%q, %q) = %v, want %v", c.a, c.b, got, c.want)
		}
	}
}
