package httpapi

import (
	"net"
	"net/http"
	"path"
	"strings"
)

// ownerPrefix is where the owner's endpoints live: private to the owner, never shared
// cross-origin (see docs/decisions/0016-private-by-default.md).
const ownerPrefix = "/api/owner/"

// isOwnerPath reports whether the URL path p, once cleaned as the router cleans it, is under
// ownerPrefix.
func isOwnerPath(p string) bool {
	return strings.HasPrefix(path.Clean(p)+"/", ownerPrefix)
}

// IsLoopbackHost reports whether host (a bind address or a Host header, with or without a port)
// names only this machine: localhost or a loopback IP. Any other name may resolve elsewhere, or
// be an attacker's name rebound to 127.0.0.1.
func IsLoopbackHost(host string) bool {
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	host = strings.TrimSuffix(strings.Trim(host, "[]"), ".")
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// fromThisMachine reports whether r came over a loopback connection and names a loopback host:
// a LAN peer fails the first test, a DNS-rebinding page in the owner's own browser the second.
func fromThisMachine(r *http.Request) bool {
	addr, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return false
	}
	ip := net.ParseIP(addr)
	return ip != nil && ip.IsLoopback() && IsLoopbackHost(r.Host)
}
