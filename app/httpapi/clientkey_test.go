package httpapi

import (
	"net/http/httptest"
	"testing"
)

func TestClientKey(t *testing.T) {
	for remote, want := range map[string]string{
		"203.0.113.7:5555":                 "203.0.113.7",
		"203.0.113.7:0":                    "203.0.113.7",
		"[::ffff:203.0.113.7]:80":          "203.0.113.7",
		"[2001:db8:a:b:1:2:3:4]:443":       "2001:db8:a:b::/64",
		"[2001:db8:a:b:ffff:ffff:0:1]:443": "2001:db8:a:b::/64", // same /64, same client
		"2001:db8:a:b:1:2:3:4:0":           "2001:db8:a:b::/64", // Lambda front: v6 + ":0" unbracketed
		"[::1]:8000":                       "::/64",
		"pipe":                             "pipe",
	} {
		r := httptest.NewRequest("GET", "/", nil)
		r.RemoteAddr = remote
		if got := clientKey(r); got != want {
			t.Errorf("clientKey(%q) = %q, want %q", remote, got, want)
		}
	}
}
