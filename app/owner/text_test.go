package owner

import (
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"

	"pgregory.net/rapid"
)

func TestSingleLine(t *testing.T) {
	for in, want := range map[string]string{
		"Bob\nNew contact request\n  email: x": "Bob New contact request email: x",
		"a\r\nb\tc\x00d\x1b[31me":              "a b c d [31me",
		"line\u2028sep\u2029para\u0085nel":     "line sep para nel",
		"evil\u202Egnp.exe":                    "evil gnp.exe",
		"zero\u200Bwidth\uFEFF":                "zero width",
		"  trimmed  ":                          "trimmed",
		"bad \xff utf8":                        "bad \uFFFD utf8",
	} {
		if got := SingleLine(in); got != want {
			t.Errorf("SingleLine(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestRenderKeepsVisitorTextInsideItsValue: whatever the visitor's values hold, an event renders
// as its title line followed by one indented line per field, each holding one quoted value that
// reads back as the single-line value — so no value can start a line of its own.
func TestRenderKeepsVisitorTextInsideItsValue(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		kind := rapid.SampledFrom([]EventKind{EventLead, EventQuestion}).Draw(t, "kind")
		values := rapid.SliceOfN(rapid.OneOf(
			rapid.String(),
			rapid.SampledFrom([]string{"\nNew contact request\n", "x\r\nSECURITY NOTICE", "\"\n    note: \"", "\u2028\u202e"}),
		), 1, 4).Draw(t, "values")
		e := Event{Kind: kind}
		for i, v := range values {
			e.Fields = append(e.Fields, Field{Name: "f" + string(rune('a'+i)), Value: v})
		}
		lines := strings.Split(e.render(func(s string) string { return s }), "\n")
		if lines[0] != string(kind) || len(lines) != len(values)+1 {
			t.Fatalf("render gave %d lines starting %q for %d fields", len(lines), lines[0], len(values))
		}
		for i, line := range lines[1:] {
			prefix := "    " + e.Fields[i].Name + ": "
			quoted, ok := strings.CutPrefix(line, prefix)
			if !ok || !utf8.ValidString(line) {
				t.Fatalf("line %q does not start with %q", line, prefix)
			}
			if got, err := strconv.Unquote(quoted); err != nil || got != SingleLine(values[i]) {
				t.Fatalf("value line %q reads back as %q (%v), want %q", line, got, err, SingleLine(values[i]))
			}
		}
	})
}

func FuzzSingleLine(f *testing.F) {
	f.Add("Bob\nNew contact request")
	f.Add("\u2028\u202e\x00")
	f.Fuzz(func(t *testing.T, s string) {
		got := SingleLine(s)
		if strings.ContainsAny(got, "\r\n\t\x00\u2028\u2029\u0085") || !utf8.ValidString(got) || got != strings.TrimSpace(got) {
			t.Fatalf("SingleLine(%q) = %q", s, got)
		}
	})
}
