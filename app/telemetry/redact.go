package telemetry

import (
	"regexp"
	"strings"
)

// Redaction placeholders.
const (
	RedactedEmail = "[email]"
	RedactedPhone = "[phone]"
)

var (
	emailRe = regexp.MustCompile(`[A-Za-z0-9._%+\-]+@[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)*\.[A-Za-z]{2,}`)
	// phoneRe finds phone-number candidates: an optional +, then digits with spaces, dashes or
	// parentheses between them. isPhone then keeps those with 9 to 15 digits that are not part
	// of a longer token (a UUID, a version, an IP) and are not a date.
	phoneRe = regexp.MustCompile(`\+?\(?\d[\d ()\-]{6,}\d`)
	dateRe  = regexp.MustCompile(`^\d{4}-\d{2}-\d{2}`)
)

// mayHavePII is a cheap pre-check: an @ or at least 9 digits.
func mayHavePII(s string) bool {
	if strings.IndexByte(s, '@') >= 0 {
		return true
	}
	digits := 0
	for i := 0; i < len(s); i++ {
		if s[i] >= '0' && s[i] <= '9' {
			if digits++; digits >= 9 {
				return true
			}
		}
	}
	return false
}

// Redact replaces email addresses with [email] and phone numbers with [phone].
func Redact(s string) string {
	if !mayHavePII(s) {
		return s
	}
	if strings.IndexByte(s, '@') >= 0 {
		s = emailRe.ReplaceAllString(s, RedactedEmail)
	}
	locs := phoneRe.FindAllStringIndex(s, -1)
	if locs == nil {
		return s
	}
	var b strings.Builder
	last := 0
	for _, l := range locs {
		start, end := l[0], l[1]
		if !isPhone(s, start, end) {
			continue
		}
		b.WriteString(s[last:start])
		b.WriteString(RedactedPhone)
		last = end
	}
	if last == 0 {
		return s
	}
	b.WriteString(s[last:])
	return b.String()
}

func isPhone(s string, start, end int) bool {
	cand := s[start:end]
	if dateRe.MatchString(cand) {
		return false
	}
	digits := 0
	for i := 0; i < len(cand); i++ {
		if cand[i] >= '0' && cand[i] <= '9' {
			digits++
		}
	}
	if digits < 9 || digits > 15 {
		return false
	}
	// Part of a longer token: letters, dots, colons, slashes or dashes glued to it (UUIDs,
	// versions, IPs, times, paths).
	if start > 0 && isTokenChar(s[start-1]) {
		return false
	}
	if end < len(s) && isTokenChar(s[end]) {
		// Sentence punctuation is not glue: "call 415 555 2671." or "…2671: thanks".
		if p := s[end]; (p == '.' || p == ':') && (end+1 == len(s) || !isAlnum(s[end+1])) {
			return true
		}
		return false
	}
	return true
}

func isAlnum(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}

func isTokenChar(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' ||
		c == '_' || c == '.' || c == ':' || c == '/' || c == '-' || c == '=' || c == '+'
}
