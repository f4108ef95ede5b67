package httpapi

import (
	"compress/gzip"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"
)

func TestStaticServesTheExport(t *testing.T) {
	dir := t.TempDir()
	page := "<!doctype html><title>twin</title>" + strings.Repeat("<p>hello</p>", 200)
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(os.MkdirAll(filepath.Join(dir, "_next/static/chunks"), 0o755))
	must(os.WriteFile(filepath.Join(dir, "index.html"), []byte(page), 0o644))
	must(os.WriteFile(filepath.Join(dir, "404.html"), []byte("<p>not here</p>"), 0o644))
	must(os.WriteFile(filepath.Join(dir, "_next/static/chunks/app.js"), []byte(strings.Repeat("console.log(1);", 100)), 0o644))
	must(os.WriteFile(filepath.Join(dir, "icon.png"), []byte("\x89PNG\r\n\x1a\n"), 0o644))
	h := handleStatic(os.DirFS(dir))

	get := func(path, encoding string) *httptest.ResponseRecorder {
		req := httptest.NewRequest(http.MethodGet, path, nil)
		if encoding != "" {
			req.Header.Set("Accept-Encoding", encoding)
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		return rec
	}
	rec := get("/", "gzip, br")
	if rec.Code != 200 || rec.Header().Get("Content-Encoding") != "gzip" || rec.Header().Get("Cache-Control") != "no-cache" {
		t.Fatalf("GET / (gzip): %d %v", rec.Code, rec.Header())
	}
	zr, err := gzip.NewReader(rec.Body)
	must(err)
	body, _ := io.ReadAll(zr)
	if string(body) != page {
		t.Fatal("gzip body does not decompress to the page")
	}
	for _, enc := range []string{"", "gzip;q=0", "br, gzip;q=0.0", "identity", "*;q=0"} {
		if rec := get("/", enc); rec.Header().Get("Content-Encoding") != "" || rec.Body.String() != page {
			t.Fatalf("GET / with Accept-Encoding %q was compressed: %v", enc, rec.Header())
		}
	}
	if rec := get("/", "deflate;q=1, gzip;q=0.5"); rec.Header().Get("Content-Encoding") != "gzip" {
		t.Fatalf("GET / with gzip;q=0.5: %v", rec.Header())
	}
	if rec := get("/_next/static/chunks/app.js", "gzip"); rec.Header().Get("Cache-Control") != "public, max-age=31536000, immutable" || rec.Header().Get("Content-Encoding") != "gzip" {
		t.Fatalf("static chunk: %v", rec.Header())
	}
	if rec := get("/icon.png", "gzip"); rec.Header().Get("Content-Encoding") != "" {
		t.Fatalf("a PNG was gzipped: %v", rec.Header())
	}
	if rec := get("/nope", "gzip"); rec.Code != 404 || !strings.Contains(rec.Body.String(), "not here") {
		t.Fatalf("unknown path: %d %q", rec.Code, rec.Body.String())
	}
}

// TestStaticServesOnlyThePublishedExport reproduces the review's probes: a .env and a .git folder
// beside the export were served, and a folder without index.html was listed.
func TestStaticServesOnlyThePublishedExport(t *testing.T) {
	for _, with404 := range []bool{true, false} {
		dir := t.TempDir()
		files := map[string]string{
			"index.html":        "<p>home</p>",
			".env":              "OPENAI_API_KEY=sk-live",
			".git/config":       "[remote]",
			"assets/.secret":    "hidden",
			"assets/logo.svg":   "<svg/>",
			"drafts/notes.txt":  "a folder without index.html",
			"about/index.html":  "<p>about</p>",
			".well/index.html":  "<p>hidden folder</p>",
			"_next/static/a.js": "1",
		}
		if with404 {
			files["404.html"] = "<p>not here</p>"
		}
		for name, body := range files {
			p := filepath.Join(dir, filepath.FromSlash(name))
			if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		h := handleStatic(os.DirFS(dir))
		for path, want := range map[string]int{
			"/":                  200,
			"/about/":            200,
			"/assets/logo.svg":   200,
			"/_next/static/a.js": 200,
			"/.env":              404,
			"/%2eenv":            404,
			"/.git/config":       404,
			"/.git/":             404,
			"/assets/.secret":    404,
			"/.well/":            404,
			"/drafts/":           404,
			"/drafts":            404,
			"/assets/":           404,
			"/drafts/../.env":    404,
		} {
			req := httptest.NewRequest(http.MethodGet, "http://twin.test/", nil)
			req.URL.Path = path
			if strings.Contains(path, "%") {
				req = httptest.NewRequest(http.MethodGet, path, nil)
			}
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			body := rec.Body.String()
			if rec.Code != want {
				t.Errorf("404.html=%v GET %s: %d, want %d (%q)", with404, path, rec.Code, want, body)
			}
			for _, leak := range []string{"sk-live", "[remote]", "hidden", "notes.txt", "logo.svg", "folder"} {
				if want == 404 && strings.Contains(body, leak) {
					t.Errorf("404.html=%v GET %s leaked %q: %q", with404, path, leak, body)
				}
			}
		}
	}
}

// TestStaticServesAnEmbeddedExport: the same handler serves a tree that is not a folder on disk
// (the copy built into the binary), and no tree at all gives the hint page.
func TestStaticServesAnEmbeddedExport(t *testing.T) {
	site := fstest.MapFS{
		"index.html":       {Data: []byte("<!doctype html><title>embedded</title>")},
		"owner/index.html": {Data: []byte("<p>owner</p>")},
		"empty/.keep":      {Data: nil},
	}
	for path, want := range map[string]int{"/": 200, "/owner/": 200, "/empty/": 404, "/empty/.keep": 404} {
		rec := httptest.NewRecorder()
		handleStatic(site).ServeHTTP(rec, httptest.NewRequest(http.MethodGet, path, nil))
		if rec.Code != want {
			t.Errorf("GET %s = %d, want %d", path, rec.Code, want)
		}
	}
	rec := httptest.NewRecorder()
	handleStatic(nil).ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/", nil))
	if !strings.Contains(rec.Body.String(), "make run") {
		t.Errorf("no export: %q, want the hint page", rec.Body.String())
	}
}
