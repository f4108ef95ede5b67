package telemetry

import (
	"regexp"
	"strings"
)

// Redaction placeholders.
const (
	RedactedEmail = "[email]"
	RedactedPhone = "[phone]"
	RedactedIBAN  = "[iban]"
)

var (
	emailRe = regexp.MustCompile(`[A-Za-z0-9._%+\-]+@[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)*\.[A-Za-z]{2,}`)
	// spelledEmailRe finds addresses written out to dodge filters: "alice at example dot com",
	// "alice (at) example [dot] co [dot] uk", "alice AT example.com". The last label is letters.
	spelledEmailRe = regexp.MustCompile(`(?i)\b[a-z0-9._%+-]+` + spelledAt + `[a-z0-9-]+(?:` + spelledDot + `[a-z0-9-]+)*` + spelledDot + `[a-z]{2,}\b`)
	// phoneRe finds phone-number candidates: an optional +, then digits with spaces, dots,
	// dashes or parentheses between them. isPhone then keeps those with 9 to 15 digits that are
	// not part of a longer token (a UUID, a version, an IP) and are not a date.
	phoneRe = regexp.MustCompile(`\+?\(?\d[\d ().\-]{6,}\d`)
	dateRe  = regexp.MustCompile(`^\d{4}-\d{2}-\d{2}`)
	// ibanRe finds IBAN candidates (country, check digits, 11 to 30 letters and digits, in
	// groups of four or not); validIBAN keeps those whose mod-97 checksum holds.
	ibanRe = regexp.MustCompile(`(?i)\b[a-z]{2}\d{2}(?: ?[a-z0-9]{4}){2,7}(?: ?[a-z0-9]{1,4})?\b`)
)

const (
	spelledAt  = `(?:\s*[(\[{<]\s*at\s*[)\]}>]\s*|\s+at\s+)`
	spelledDot = `(?:\s*[(\[{<]\s*dot\s*[)\]}>]\s*|\s+dot\s+|\.)`
)

// mayHavePII is a cheap pre-check: an @, an "at" word, or at least 9 digits.
func mayHavePII(s string) bool {
	if strings.IndexByte(s, '@') >= 0 || mayBeSpelled(s) {
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

// mayBeSpelled: the text holds "at" (any case) and, after it, "dot" or a dot.
func mayBeSpelled(s string) bool {
	i := indexFold(s, "at")
	return i >= 0 && (indexFold(s[i:], "dot") >= 0 || strings.IndexByte(s[i:], '.') >= 0)
}

func indexFold(s, sub string) int {
	for i := 0; i+len(sub) <= len(s); i++ {
		if strings.EqualFold(s[i:i+len(sub)], sub) {
			return i
		}
	}
	return -1
}

// Redact replaces email addresses (also spelled out) with [email], IBANs with [iban] and
// phone numbers with [phone].
func Redact(s string) string {
	if !mayHavePII(s) {
		return s
	}
	if strings.IndexByte(s, '@') >= 0 {
		s = emailRe.ReplaceAllString(s, RedactedEmail)
	}
	if mayBeSpelled(s) {
		s = spelledEmailRe.ReplaceAllString(s, RedactedEmail)
	}
	s = ibanRe.ReplaceAllStringFunc(s, func(m string) string {
		if validIBAN(m) {
			return RedactedIBAN
		}
		return m
	})
	return redactPhones(s)
}

func redactPhones(s string) string {
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
	if digits < 9 || digits > 15 || strings.IndexByte(cand, '.') >= 0 && !dottedPhone(cand) {
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

// dottedPhone tells a phone number written with dots (415.555.2671, +44.20.7946.0958) from an
// IPv4 address or a decimal number: groups of at most four digits, and not four groups of at
// most three (an IP).
func dottedPhone(cand string) bool {
	groups := strings.FieldsFunc(cand, func(r rune) bool { return r < '0' || r > '9' })
	short := true
	for _, g := range groups {
		if len(g) > 4 {
			return false
		}
		short = short && len(g) <= 3
	}
	return !(len(groups) == 4 && short)
}

// validIBAN checks an IBAN candidate's mod-97 checksum (ISO 13616): the first four characters
// moved to the end, letters as 10..35, the number mod 97 is 1.
func validIBAN(cand string) bool {
	s := strings.ToUpper(strings.ReplaceAll(cand, " ", ""))
	if len(s) < 15 || len(s) > 34 {
		return false
	}
	rem := 0
	for _, c := range s[4:] + s[:4] {
		switch {
		case c >= '0' && c <= '9':
			rem = (rem*10 + int(c-'0')) % 97
		case c >= 'A' && c <= 'Z':
			rem = (rem*100 + int(c-'A') + 10) % 97
		default:
			return false
		}
	}
	return rem == 1
}
