package httpapi

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/digitaltwin/twin/app/twin"
	"github.com/digitaltwin/twin/app/twintest"
)

// TestWidgetLoaderNamesThePersona: /widget.js carries the persona's name as a safe JS string (a
// name cannot close the script or inject code), may be loaded by any site, and stays within the
// 5 KiB gzip budget the host pages pay.
func TestWidgetLoaderNamesThePersona(t *testing.T) {
	const name = `Ann "</script><script>alert(1)</script>" O'Neil`
	e := newEnv(t, withPersona(twintest.StaticPersona(twin.Persona{Name: name})))
	req, _ := http.NewRequest(http.MethodGet, e.srv.URL+"/widget.js", nil)
	req.Header.Set("Accept-Encoding", "gzip")
	resp := e.send(t, req)
	if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/javascript") ||
		resp.Header.Get("Cross-Origin-Resource-Policy") != "cross-origin" || resp.Header.Get("Cache-Control") != "public, max-age=300" ||
		resp.Header.Get("Content-Encoding") != "gzip" {
		t.Fatalf("GET /widget.js: %d %v", resp.StatusCode, resp.Header)
	}
	zipped, _ := io.ReadAll(resp.Body)
	if got, limit := len(zipped), 5*1024; got > limit {
		t.Errorf("widget.js is %d bytes gzipped, over the %d budget", got, limit)
	}
	zr, err := gzip.NewReader(bytes.NewReader(zipped))
	if err != nil {
		t.Fatal(err)
	}
	js, _ := io.ReadAll(zr)
	want := `var name = "Ann \"\u003c/script\u003e\u003cscript\u003ealert(1)\u003c/script\u003e\" O'Neil" || "the twin";`
	if !bytes.Contains(js, []byte(want)) || bytes.Contains(js, widgetName) {
		t.Errorf("the name is not filled in safely:\n%s", js[:min(len(js), 1200)])
	}
}

// TestWidgetWithoutPersona: a persona that cannot be read still gives a working loader ("Chat
// with the twin"), not cached, so the name comes back with the persona.
func TestWidgetWithoutPersona(t *testing.T) {
	broken := twintest.PersonaFunc(func(context.Context) (twin.Persona, error) { return twin.Persona{}, errors.New("s3 down") })
	e := newEnv(t, withPersona(broken))
	resp := e.get(t, "/widget.js")
	js, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 || resp.Header.Get("Cache-Control") != "no-cache" || !bytes.Contains(js, []byte(`var name = "" || "the twin";`)) {
		t.Fatalf("GET /widget.js without a persona: %d %v", resp.StatusCode, resp.Header)
	}
}

// TestOnlyTheEmbedPageMayBeFramed: the embed page names exactly the allowed origins in
// frame-ancestors (none by default); every other page stays unframeable.
func TestOnlyTheEmbedPageMayBeFramed(t *testing.T) {
	site := fstest.MapFS{
		"index.html":       {Data: []byte("<p>chat</p>")},
		"embed/index.html": {Data: []byte("<p>embed</p>")},
	}
	for name, tc := range map[string]struct {
		origins []string
		want    string
	}{
		"none":   {nil, "frame-ancestors 'none'"},
		"any":    {[]string{"*"}, "frame-ancestors *"},
		"listed": {[]string{"https://blog.example", "http://127.0.0.1:4000"}, "frame-ancestors https://blog.example http://127.0.0.1:4000"},
	} {
		e := newEnv(t, func(d *Deps) { d.Options.Frontend = site; d.Options.EmbedAllowedOrigins = tc.origins })
		for _, p := range []string{"/embed/", "/embed", "/embed/index.html"} {
			rec := httptest.NewRecorder()
			e.handler.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, p, nil))
			if rec.Code >= 400 || rec.Header().Get("Content-Security-Policy") != tc.want || rec.Header().Get("X-Frame-Options") != "" {
				t.Errorf("%s: GET %s: %d %v", name, p, rec.Code, rec.Header())
			}
		}
		for _, p := range []string{"/", "/embedded/", "/api/persona"} {
			rec := httptest.NewRecorder()
			e.handler.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, p, nil))
			if rec.Header().Get("X-Frame-Options") != "DENY" || strings.Contains(rec.Header().Get("Content-Security-Policy"), "frame-ancestors *") {
				t.Errorf("%s: GET %s may be framed: %v", name, p, rec.Header())
			}
		}
	}
}
