package config

import (
	"net"
	"net/url"
	"strings"
)

// modelURL checks a model server's URL: http(s) with a host, and https outside local, where the
// API key rides along in every request.
func (p *parser) modelURL(name, raw string, local bool) {
	u, err := url.Parse(raw)
	switch {
	case err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "":
		p.fail(name, "must be an http(s) URL (got %q)", redactURL(raw))
	case u.Scheme != "https" && !local:
		p.fail(name, "must be an https URL outside ENVIRONMENT=local, so the API key is never sent in clear (got %q)", redactURL(raw))
	}
}

// redactURL returns raw fit for a log line: without user info (a user name or password in the URL)
// and without the query, where some servers take a key.
func redactURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		if strings.ContainsAny(raw, "@?") {
			return "(unparsable URL, not shown)"
		}
		return raw
	}
	u.User = nil
	if u.RawQuery != "" {
		u.RawQuery = "redacted"
	}
	return u.String()
}

// validHost reports whether h is an IP literal or a DNS name (letters, digits, '-' and '.').
func validHost(h string) bool {
	if net.ParseIP(h) != nil {
		return true
	}
	if len(h) > 253 {
		return false
	}
	for _, label := range strings.Split(h, ".") {
		if label == "" || len(label) > 63 || strings.HasPrefix(label, "-") || strings.HasSuffix(label, "-") {
			return false
		}
		for _, r := range label {
			if !(r == '-' || r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z') {
				return false
			}
		}
	}
	return true
}
