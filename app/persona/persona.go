// Package persona parses the owner's persona file (me.txt) and loads it from disk. The persona text
// always goes whole into the system prompt; only its front matter (name, greeting, starters) is
// ever shown to visitors.
package persona

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"regexp"
	"strings"
	"unicode/utf8"

	"github.com/digitaltwin/twin/app/twin"
)

// MaxBytes is the largest persona accepted (256 KiB).
const MaxBytes = 256 << 10

// defaultStarters are offered when the persona names none.
var defaultStarters = []string{
	"What do you do?",
	"What are you working on right now?",
	"What do you care about in your work?",
	"How can I get in touch?",
}

// Parse validates a persona file's bytes and splits off its optional front matter:
//
//	---
//	name: Ada Example
//	greeting: Hi! Ask me anything about my work.
//	starters:
//	  - What are you building?
//	---
//
// Missing fields are derived from the text. Empty, non-UTF-8 or oversized input returns a
// *twin.Error with CodePersonaUnavailable.
func Parse(data []byte) (twin.Persona, error) {
	switch {
	case len(data) > MaxBytes:
		return twin.Persona{}, unavailable(fmt.Errorf("persona is %d bytes, over the %d byte limit", len(data), MaxBytes))
	case !utf8.Valid(data):
		return twin.Persona{}, unavailable(fmt.Errorf("persona is not valid UTF-8"))
	}
	text := strings.ReplaceAll(string(data), "\r\n", "\n")
	text = strings.TrimPrefix(text, "\ufeff")
	meta, body := splitFrontMatter(text)
	body = strings.TrimSpace(body)
	if body == "" {
		return twin.Persona{}, unavailable(fmt.Errorf("persona is empty"))
	}
	sum := sha256.Sum256(data)
	p := twin.Persona{
		Name:     meta.name,
		Greeting: meta.greeting,
		Starters: meta.starters,
		Text:     body,
		Version:  hex.EncodeToString(sum[:8]),
	}
	if p.Name == "" {
		p.Name = deriveName(body)
	}
	if p.Greeting == "" {
		p.Greeting = fmt.Sprintf("Hi, I'm %s. Ask me anything about my work, my projects or what I think.", p.Name)
	}
	if len(p.Starters) == 0 {
		p.Starters = append([]string(nil), defaultStarters...)
	}
	return p, nil
}

func unavailable(err error) error {
	return twin.Wrap(twin.CodePersonaUnavailable, err, "the persona is not available")
}

type frontMatter struct {
	name, greeting string
	starters       []string
}

// splitFrontMatter parses a leading `---` block of `key: value` lines and `- item` list entries.
// Text without a closed block is all body.
func splitFrontMatter(text string) (frontMatter, string) {
	var fm frontMatter
	if !strings.HasPrefix(text, "---\n") {
		return fm, text
	}
	rest := text[len("---\n"):]
	end := strings.Index(rest, "\n---")
	if end < 0 {
		return fm, text
	}
	block, body := rest[:end], rest[end+len("\n---"):]
	body = strings.TrimPrefix(body, "\n")
	key := ""
	for _, line := range strings.Split(block, "\n") {
		trimmed := strings.TrimSpace(line)
		if trimmed == "" || strings.HasPrefix(trimmed, "#") {
			continue
		}
		if item, ok := strings.CutPrefix(trimmed, "- "); ok {
			if key == "starters" {
				if s := unquote(item); s != "" {
					fm.starters = append(fm.starters, s)
				}
			}
			continue
		}
		k, v, ok := strings.Cut(trimmed, ":")
		if !ok {
			continue
		}
		key = strings.ToLower(strings.TrimSpace(k))
		v = unquote(v)
		switch key {
		case "name":
			fm.name = v
		case "greeting":
			fm.greeting = v
		}
	}
	return fm, body
}

func unquote(s string) string {
	s = strings.TrimSpace(s)
	if len(s) >= 2 && (s[0] == '"' && s[len(s)-1] == '"' || s[0] == '\'' && s[len(s)-1] == '\'') {
		s = s[1 : len(s)-1]
	}
	return strings.TrimSpace(s)
}

var (
	namePattern    = regexp.MustCompile(`\b(?i:my name is|i am|i'm)\s+([A-Z][\p{L}'-]+(?:\s+[A-Z][\p{L}'-]+){0,2})`)
	headingPattern = regexp.MustCompile(`^#\s+(.{1,80})$`)
)

// deriveName finds the owner's name: a leading "# Heading", else "My name is …", else "me".
func deriveName(body string) string {
	first, _, _ := strings.Cut(body, "\n")
	if m := headingPattern.FindStringSubmatch(strings.TrimSpace(first)); m != nil {
		return strings.TrimSpace(m[1])
	}
	if m := namePattern.FindStringSubmatch(body); m != nil {
		return m[1]
	}
	return "me"
}
