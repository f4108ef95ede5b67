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
	h := handleStatic(dir)

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
	if rec := get("/", ""); rec.Header().Get("Content-Encoding") != "" || rec.Body.String() != page {
		t.Fatalf("GET / without gzip: %v", rec.Header())
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
