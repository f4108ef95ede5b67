package retrieval

import "testing"

const persona = `# Sam
I am Sam and I repair clocks.

## Career
I trained as a watchmaker in Geneva in 2009. Since 2015 I have run my own workshop.

## Hobbies
I sail on weekends and I bake bread.`

func TestSearchRanksAndCovers(t *testing.T) {
	ix := NewIndex(Sentences(persona))
	hits := ix.Search(ParseQuery("Where did you train as a watchmaker?"))
	if len(hits) == 0 || hits[0].Doc.Section != "Career" || hits[0].Coverage < 0.99 {
		t.Fatalf("hits %+v", hits)
	}
	if hits := ix.Search(ParseQuery("favourite football team")); len(hits) != 0 {
		t.Fatalf("unrelated question matched %+v", hits)
	}
}

func TestTopic(t *testing.T) {
	ix := NewIndex(Sentences(persona))
	for q, want := range map[string]string{
		"What do you do on weekends?":           "Hobbies",
		"When did you start your own workshop?": "Career",
		"What is your shoe size?":               "",
	} {
		if got := Topic(ix, q); got != want {
			t.Errorf("Topic(%q) = %q, want %q", q, got, want)
		}
	}
}

func TestSentencesAndSections(t *testing.T) {
	docs := Sentences(persona)
	if len(docs) != 4 || docs[1].Text != "I trained as a watchmaker in Geneva in 2009." || docs[1].Pos != 1 {
		t.Fatalf("sentences %+v", docs)
	}
	if got := Sections(persona); len(got) != 3 || got[2] != "Hobbies" {
		t.Fatalf("sections %v", got)
	}
}

func FuzzSplitSentences(f *testing.F) {
	f.Add("One. Two! Three? “Four.”")
	f.Fuzz(func(t *testing.T, line string) {
		for _, s := range SplitSentences(line) {
			if s == "" {
				t.Fatal("empty sentence")
			}
		}
	})
}

func TestStem(t *testing.T) {
	for in, want := range map[string]string{
		"languages": "languag", "language": "languag", "projects": "project", "classes": "class",
		"boxes": "box", "watches": "watch", "hobbies": "hobby", "building": "build", "worked": "work",
		"class": "class", "go": "go", "is": "is", "live": "liv", "living": "liv", "lived": "liv",
		"graduate": "graduat", "graduating": "graduat", "running": "run", "planned": "plan",
		"tree": "tree", "agreed": "agreed", "focus": "focus", "called": "call",
	} {
		if got := Stem(in); got != want {
			t.Errorf("Stem(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestSplitSentencesKeepsInitials(t *testing.T) {
	got := SplitSentences("My favourite book is by Ursula K. Le Guin. I met Dr. Smith once. It was fun.")
	if len(got) != 3 || got[0] != "My favourite book is by Ursula K. Le Guin." {
		t.Fatalf("%q", got)
	}
}
