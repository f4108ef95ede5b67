package owner

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/digitaltwin/twin/app/twin"
)

// Limits on what a visitor (or a model's tool call) can make the twin record.
const (
	MaxEmailLen      = 254
	MaxNameChars     = 100
	MaxNoteChars     = 500
	MaxQuestionChars = 1000
	MaxReasonChars   = 500
)

func invalid(field, problem string) error {
	return &twin.Error{Code: twin.CodeInvalidRequest, Message: field + " " + problem,
		Fields: map[string]string{field: problem}, Err: ErrInvalid}
}

// NormalizeEmail validates a bare email address and returns it with the domain lower-cased.
// It is deliberately stricter than RFC 5322: the owner replies to it from a mail client, so
// the local part is letters, digits and . _ + - ' only (no ? & = % / that could turn a mailto:
// link into extra headers), exactly one @, and a real domain: dotted labels of letters, digits
// and inner hyphens ending in an alphabetic (or xn-- punycode) top-level label.
func NormalizeEmail(s string) (string, error) {
	bad := invalid("email", "must be a plain email address such as name@example.com")
	s = strings.TrimSpace(s)
	if s == "" || len(s) > MaxEmailLen || strings.Count(s, "@") != 1 {
		return "", bad
	}
	local, domain, _ := strings.Cut(s, "@")
	if !validLocal(local) || !validDomain(domain) {
		return "", bad
	}
	return local + "@" + strings.ToLower(domain), nil
}

func validLocal(l string) bool {
	if l == "" || len(l) > 64 || l[0] == '.' || l[len(l)-1] == '.' || strings.Contains(l, "..") {
		return false
	}
	for i := 0; i < len(l); i++ {
		c := l[i]
		if !isASCIIAlnum(c) && !strings.ContainsRune("._+-'", rune(c)) {
			return false
		}
	}
	return true
}

func validDomain(d string) bool {
	labels := strings.Split(d, ".")
	if len(labels) < 2 || len(d) > 253 {
		return false
	}
	for _, l := range labels {
		if l == "" || len(l) > 63 || l[0] == '-' || l[len(l)-1] == '-' {
			return false
		}
		for i := 0; i < len(l); i++ {
			if !isASCIIAlnum(l[i]) && l[i] != '-' {
				return false
			}
		}
	}
	tld := strings.ToLower(labels[len(labels)-1])
	if strings.HasPrefix(tld, "xn--") && len(tld) > 4 {
		return true
	}
	if len(tld) < 2 {
		return false
	}
	for i := 0; i < len(tld); i++ {
		if tld[i] < 'a' || tld[i] > 'z' {
			return false
		}
	}
	return true
}

func isASCIIAlnum(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}

// SingleLine makes visitor text safe to show on one line of an email or a page: every control,
// line or paragraph separator and bidirectional override becomes a space, runs of spaces
// collapse, and the ends are trimmed. Invalid UTF-8 becomes U+FFFD.
func SingleLine(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	space := false
	for _, r := range strings.ToValidUTF8(s, "\uFFFD") {
		if unicode.IsSpace(r) || unicode.IsControl(r) || isLayoutControl(r) {
			space = b.Len() > 0
			continue
		}
		if space {
			b.WriteByte(' ')
			space = false
		}
		b.WriteRune(r)
	}
	return b.String()
}

// isLayoutControl reports format characters that reorder or hide text (bidi overrides and
// isolates, zero-width joiners and spaces, the BOM): a name must read as it is stored.
func isLayoutControl(r rune) bool {
	return r >= 0x200B && r <= 0x200F || r >= 0x202A && r <= 0x202E || r >= 0x2060 && r <= 0x2069 || r == 0xFEFF
}

// cleanText makes s single-line and enforces a length in characters. Text over the limit is
// refused, not cut, so the caller learns the limit and nothing is silently lost.
func cleanText(field, s string, maxChars int, required bool) (string, error) {
	s = SingleLine(s)
	switch {
	case s == "" && required:
		return "", invalid(field, "must not be empty")
	case utf8.RuneCountInString(s) > maxChars:
		return "", invalid(field, fmt.Sprintf("must be at most %d characters", maxChars))
	}
	return s, nil
}
