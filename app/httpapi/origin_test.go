package httpapi

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/digitaltwin/twin/app/twin"
)

const (
	testOrigin     = "origin-secret-current-0123456789abcdef"
	testOriginPrev = "origin-secret-previous-0123456789abcdef"
)

// TestOriginOnly: with origin secrets set, a request without one of them (absent, wrong, a
// prefix, twice) is refused with the API's 403 JSON before any handler runs; the current and the
// previous value pass, and the secret never reaches a handler.
func TestOriginOnly(t *testing.T) {
	var seen []string
	e := newEnv(t, func(d *Deps) { d.Options.OriginSecrets = []string{testOrigin, testOriginPrev} })
	for name, tc := range map[string]struct {
		values []string
		want   int
	}{
		"none":     {nil, http.StatusForbidden},
		"wrong":    {[]string{"origin-secret-wrong-0123456789abcdefgh"}, http.StatusForbidden},
		"empty":    {[]string{""}, http.StatusForbidden},
		"prefix":   {[]string{testOrigin[:20]}, http.StatusForbidden},
		"longer":   {[]string{testOrigin + "x"}, http.StatusForbidden},
		"twice":    {[]string{testOrigin, "other"}, http.StatusForbidden},
		"current":  {[]string{testOrigin}, http.StatusOK},
		"previous": {[]string{testOriginPrev}, http.StatusOK},
	} {
		t.Run(name, func(t *testing.T) {
			r := httptest.NewRequest(http.MethodGet, "/api/health", nil)
			r.Header.Set("X-Correlation-Id", "edge-"+name)
			for _, v := range tc.values {
				r.Header.Add(OriginHeader, v)
			}
			w := httptest.NewRecorder()
			e.handler.ServeHTTP(w, r)
			if w.Code != tc.want {
				t.Fatalf("status %d, want %d: %s", w.Code, tc.want, w.Body)
			}
			if tc.want == http.StatusForbidden {
				body := decodeJSON[errorBody](t, w.Body)
				if body.Error.Code != twin.CodeForbidden || body.Error.CorrelationID != "edge-"+name ||
					!strings.HasPrefix(w.Header().Get("Content-Type"), "application/json") {
					t.Fatalf("refusal %+v %v", body, w.Header())
				}
			}
			if strings.Contains(w.Body.String(), testOrigin) {
				t.Fatal("the secret is in the response")
			}
		})
	}
	// The handler never sees the header.
	h := originOnly([]string{testOrigin}, e.logs.Logger(), http.HandlerFunc(func(_ http.ResponseWriter, r *http.Request) {
		seen = append(seen, r.Header.Get(OriginHeader))
	}))
	r := httptest.NewRequest(http.MethodGet, "/api/persona", nil)
	r.Header.Set(OriginHeader, testOrigin)
	h.ServeHTTP(httptest.NewRecorder(), r)
	if len(seen) != 1 || seen[0] != "" {
		t.Fatalf("handler saw %q", seen)
	}
}

// TestClientKeyTrustsViewerAddressOnlyViaEdge: CloudFront-Viewer-Address names the client only
// on a request that carried the origin secret; otherwise it is ignored, like X-Forwarded-For.
func TestClientKeyTrustsViewerAddressOnlyViaEdge(t *testing.T) {
	for header, want := range map[string]string{
		"198.51.100.10:46532":                "198.51.100.10",
		"2001:db8:85a3::8a2e:370:7334:46532": "2001:db8:85a3::/64",
		"::ffff:198.51.100.10:443":           "198.51.100.10",
		"":                                   "203.0.113.7", // no header: the source
		"not-an-ip:1":                        "203.0.113.7",
		"198.51.100.10":                      "203.0.113.7", // no port: malformed
		"198.51.100.10:99999":                "203.0.113.7",
	} {
		r := httptest.NewRequest(http.MethodGet, "/", nil)
		r.RemoteAddr = "203.0.113.7:0"
		r.Header.Set(ViewerAddressHeader, header)
		if got := clientKey(r); got != "203.0.113.7" {
			t.Errorf("without the origin secret, %q: clientKey %q, want the source", header, got)
		}
		r = r.WithContext(context.WithValue(r.Context(), viaEdgeKey{}, true))
		if got := clientKey(r); got != want {
			t.Errorf("via CloudFront, %q: clientKey %q, want %q", header, got, want)
		}
	}
}

// FuzzViewerAddress: any header value either parses to an address clientKey can split, or is
// ignored.
func FuzzViewerAddress(f *testing.F) {
	for _, s := range []string{"198.51.100.10:46532", "2001:db8::1:46532", "::ffff:1.2.3.4:1", ":", "1.2.3.4:", "[::1]:80", "::%[:0", "fe80::1%eth0:443"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, v string) {
		addr, ok := viewerAddress(v)
		if !ok {
			return
		}
		r := httptest.NewRequest(http.MethodGet, "/", nil)
		r.RemoteAddr = addr
		if k := clientKey(r); k == "" || k == addr {
			t.Fatalf("viewerAddress(%q) = %q, which clientKey keeps as %q", v, addr, k)
		}
	})
}
