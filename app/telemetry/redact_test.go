package telemetry_test

import (
	"strings"
	"testing"

	"github.com/digitaltwin/twin/app/telemetry"
)

// TestRedactEvasions: the forms an outside review found passing the redaction.
func TestRedactEvasions(t *testing.T) {
	for in, want := range map[string]string{
		"call 415.555.2671 today":                         "call [phone] today",
		"or +1.415.555.2671.":                             "or [phone].",
		"london +44.20.7946.0958":                         "london [phone]",
		"my IBAN is DE89 3704 0044 0532 0130 00, thanks":  "my IBAN is [iban], thanks",
		"iban GB82WEST12345698765432":                     "iban [iban]",
		"lowercase fr1420041010050500013m02606 too":       "lowercase [iban] too",
		"write to alice at example dot com":               "write to [email]",
		"alice (at) example (dot) co (dot) uk":            "[email]",
		"ALICE [AT] EXAMPLE [DOT] COM or bob AT mail.org": "[email] or [email]",
		"ip 10.0.0.1 and 192.168.100.200 stay":            "ip 10.0.0.1 and 192.168.100.200 stay",
		"pi 3.14159265358 and version 1.2.3456789 stay":   "pi 3.14159265358 and version 1.2.3456789 stay",
		"a checksum-failing DE00 3704 0044 0532 0130 00":  "a checksum-failing DE00 3704 0044 0532 0130 00",
		"meet at noon, look at the docs, arrive at 5.30":  "meet at noon, look at the docs, arrive at 5.30",
		"chat turn": "chat turn",
	} {
		if got := telemetry.Redact(in); got != want {
			t.Errorf("Redact(%q) = %q, want %q", in, got, want)
		}
	}
}

// FuzzRedactEvasions: from the evasive forms, redaction is idempotent and leaves no IBAN with a
// valid checksum or dotted phone number behind.
func FuzzRedactEvasions(f *testing.F) {
	for _, s := range []string{"alice at example dot com", "DE89 3704 0044 0532 0130 00", "415.555.2671", "bob (at) x [dot] io"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		out := telemetry.Redact(s)
		if again := telemetry.Redact(out); again != out {
			t.Fatalf("Redact not idempotent on %q: %q then %q", s, out, again)
		}
		for _, leak := range []string{"DE89370400440532013000", "DE89 3704 0044 0532 0130 00", "415.555.2671"} {
			if strings.Contains(s, " "+leak+" ") && strings.Contains(out, leak) {
				t.Fatalf("Redact(%q) = %q keeps %q", s, out, leak)
			}
		}
	})
}
