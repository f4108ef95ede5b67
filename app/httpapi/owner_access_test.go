package httpapi

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/digitaltwin/twin/app/owner"
	"github.com/digitaltwin/twin/app/twin"
)

func withCORS(origins ...string) option {
	return func(d *Deps) { d.Options.CORSAllowedOrigins = origins }
}

// ownerGet asks for the owner summary over the loopback test server (a DNS-rebinding page's
// request arrives the same way, naming the attacker's host).
func ownerGet(t *testing.T, e *env, headers ...string) *http.Response {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, e.srv.URL+"/api/owner/summary", nil)
	if err != nil {
		t.Fatal(err)
	}
	return e.send(t, req, headers...)
}

// TestLocalOwnerViewRefusesDNSRebinding: the review read the leads with `Host: attacker.example`
// over a loopback connection, as a page rebinding its name to 127.0.0.1 would.
func TestLocalOwnerViewRefusesDNSRebinding(t *testing.T) {
	e := newEnv(t, withOwner(t, owner.Access{Local: true}))
	port := e.srv.Listener.Addr().String()[strings.LastIndex(e.srv.Listener.Addr().String(), ":"):]
	for host, want := range map[string]int{
		"":                           200, // 127.0.0.1:port
		"localhost" + port:           200,
		"LOCALHOST":                  200,
		"localhost.":                 200,
		"[::1]" + port:               200,
		"127.0.0.2" + port:           200,
		"attacker.example":           403,
		"attacker.example" + port:    403,
		"localhost.attacker.example": 403,
		"127.0.0.1.nip.io" + port:    403,
		"192.168.1.10" + port:        403,
	} {
		var headers []string
		if host != "" {
			headers = []string{"Host", host}
		}
		resp := ownerGet(t, e, headers...)
		if resp.StatusCode != want {
			t.Errorf("Host %q: %d, want %d", host, resp.StatusCode, want)
			continue
		}
		if want == 403 {
			if body := decodeJSON[errorBody](t, resp.Body); body.Error.Code != twin.CodeForbidden {
				t.Errorf("Host %q: code %q, want %q", host, body.Error.Code, twin.CodeForbidden)
			}
		}
	}
}

// TestLocalOwnerViewRefusesOtherMachines: a LAN peer reached the summary of a twin bound to all
// interfaces, whatever Host it sends. With the owner token it may.
func TestLocalOwnerViewRefusesOtherMachines(t *testing.T) {
	e := newEnv(t, withOwner(t, owner.Access{Local: true, Token: token("t0k")}))
	for name, tc := range map[string]struct {
		remote, host, auth string
		want               int
	}{
		"LAN peer":                    {"192.168.1.23:51000", "192.168.1.10:8000", "", 403},
		"LAN peer naming localhost":   {"192.168.1.23:51000", "localhost:8000", "", 403},
		"LAN peer over IPv6":          {"[fe80::1%eth0]:51000", "[::1]:8000", "", 403},
		"LAN peer, wrong token":       {"192.168.1.23:51000", "localhost:8000", "Bearer nope", 403},
		"LAN peer with the token":     {"192.168.1.23:51000", "twin.lan:8000", "Bearer t0k", 200},
		"this machine":                {"127.0.0.1:51000", "localhost:8000", "", 200},
		"this machine, IPv4 in IPv6":  {"[::ffff:127.0.0.1]:51000", "127.0.0.1:8000", "", 200},
		"no remote address (unknown)": {"", "localhost:8000", "", 403},
	} {
		req := httptest.NewRequest(http.MethodGet, "/api/owner/summary", nil)
		req.RemoteAddr, req.Host = tc.remote, tc.host
		if tc.auth != "" {
			req.Header.Set("Authorization", tc.auth)
		}
		rec := httptest.NewRecorder()
		e.handler.ServeHTTP(rec, req)
		if rec.Code != tc.want {
			t.Errorf("%s: %d, want %d (%s)", name, rec.Code, tc.want, rec.Body.String())
		}
	}
}

// TestOwnerViewNeverSharedCrossOrigin: with CORS_ALLOWED_ORIGINS=* any web site could read the
// summary from a visitor's browser.
func TestOwnerViewNeverSharedCrossOrigin(t *testing.T) {
	e := newEnv(t, withOwner(t, owner.Access{Local: true}), withCORS("*"))
	const evil = "https://evil.example"
	if resp := e.get(t, "/api/persona"); resp.StatusCode != 200 {
		t.Fatalf("persona: %d", resp.StatusCode)
	}
	persona := ownerGetPath(t, e, http.MethodGet, "/api/persona", "Origin", evil)
	if persona.Header.Get("Access-Control-Allow-Origin") != evil {
		t.Fatalf("control: /api/persona is not shared with * (%v)", persona.Header)
	}
	for _, r := range []struct{ method, path string }{
		{http.MethodGet, "/api/owner/summary"},
		{http.MethodOptions, "/api/owner/summary"},
		{http.MethodGet, "/api/owner/../owner/summary"},
		{http.MethodGet, "/api/chat/../owner/summary"},
		{http.MethodGet, "/api//owner/summary"},
	} {
		resp := ownerGetPath(t, e, r.method, r.path, "Origin", evil, "Access-Control-Request-Method", "GET")
		for _, h := range []string{"Access-Control-Allow-Origin", "Access-Control-Allow-Methods", "Access-Control-Expose-Headers"} {
			if v := resp.Header.Get(h); v != "" {
				t.Errorf("%s %s: %s: %q", r.method, r.path, h, v)
			}
		}
	}
	if resp := ownerGet(t, e, "Origin", evil); resp.StatusCode != 200 || resp.Header.Get("Cache-Control") != "no-store" {
		t.Fatalf("same-machine summary: %d %v", resp.StatusCode, resp.Header)
	}
}

func ownerGetPath(t *testing.T, e *env, method, path string, headers ...string) *http.Response {
	t.Helper()
	req := httptest.NewRequest(method, path, nil)
	req.RemoteAddr = "127.0.0.1:40000"
	req.URL.Path = path
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	rec := httptest.NewRecorder()
	e.handler.ServeHTTP(rec, req)
	return rec.Result()
}
