package httpapi

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"log/slog"
	"net/http"
	"net/netip"
	"strconv"
	"strings"

	"github.com/digitaltwin/twin/app/twin"
)

// OriginHeader carries the origin secret: CloudFront adds it to every request it sends to the
// twin's functions (the HTTP API and the function URL), so a request without it did not come
// through CloudFront (docs/decisions/0013-origins-accept-only-cloudfront.md).
const OriginHeader = "X-Origin-Verify"

// ViewerAddressHeader is where CloudFront puts the visitor's "ip:port" (behind it, the function
// sees an edge server's address). It is trusted only on requests that carry the origin secret.
const ViewerAddressHeader = "CloudFront-Viewer-Address"

// errNotViaEdge refuses a request that skipped CloudFront.
var errNotViaEdge = &twin.Error{Code: twin.CodeForbidden, Message: "this address accepts requests only through the twin's site"}

type viaEdgeKey struct{}

// originOnly admits only requests carrying one of secrets in OriginHeader, compared in constant
// time, and marks them as having come through CloudFront; any other request gets 403 forbidden.
// With no secrets (the local server) every request passes and none is marked.
func originOnly(secrets []string, logger *slog.Logger, next http.Handler) http.Handler {
	if len(secrets) == 0 {
		return next
	}
	digests := make([][sha256.Size]byte, len(secrets))
	for i, s := range secrets {
		digests[i] = sha256.Sum256([]byte(s))
	}
	refuse := serve(logger, func(http.ResponseWriter, *http.Request) error { return errNotViaEdge })
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// Hashing first makes the comparison independent of the values' lengths too; every
		// accepted value is compared, so the time does not say which one matched.
		got := sha256.Sum256([]byte(r.Header.Get(OriginHeader)))
		ok := 0
		for i := range digests {
			ok |= subtle.ConstantTimeCompare(got[:], digests[i][:])
		}
		if ok != 1 || len(r.Header.Values(OriginHeader)) != 1 {
			refuse.ServeHTTP(w, r)
			return
		}
		r.Header.Del(OriginHeader)
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), viaEdgeKey{}, true)))
	})
}

// viaEdge reports whether r carried the origin secret.
func viaEdge(r *http.Request) bool {
	v, _ := r.Context().Value(viaEdgeKey{}).(bool)
	return v
}

// viewerAddress parses CloudFront-Viewer-Address, "ip:port" with an unbracketed IPv6 address
// ("2001:db8::1:46532"), into a host:port address.
func viewerAddress(v string) (string, bool) {
	i := strings.LastIndexByte(v, ':')
	if i <= 0 {
		return "", false
	}
	addr, err := netip.ParseAddr(v[:i])
	if err != nil || addr.Zone() != "" { // a viewer's address never has a zone ("::%[")
		return "", false
	}
	port, err := strconv.ParseUint(v[i+1:], 10, 16)
	if err != nil {
		return "", false
	}
	return netip.AddrPortFrom(addr.Unmap(), uint16(port)).String(), true
}
