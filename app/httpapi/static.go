package httpapi

import (
	"io/fs"
	"net/http"
	"path"
	"strings"

	"github.com/klauspost/compress/gzhttp"
)

// handleStatic serves the exported frontend in site (a folder on disk or the copy embedded in
// the binary): pages revalidated on every load (a deploy
// shows at once), hashed assets under /_next/static cached for a year, 404.html for unknown paths.
// Only what the export published is served: no dotfiles (a stray .env or .git in the folder) and
// no directory listings (a folder without index.html is unknown). Without a built frontend, /
// explains how to build it.
func handleStatic(site fs.FS) http.Handler {
	if !HasIndex(site) {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.URL.Path != "/" {
				http.NotFound(w, r)
				return
			}
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			_, _ = w.Write([]byte(noFrontendPage))
		})
	}
	// gzhttp compresses text responses for clients that accept gzip (q-values honoured, ranges
	// left alone): CloudFront compresses in AWS, and locally this keeps the page's transfer size
	// the same as in production.
	files := gzhttp.GzipHandler(http.FileServerFS(site))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			w.Header().Set("Allow", "GET, HEAD")
			http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
			return
		}
		clean := path.Clean("/" + r.URL.Path)
		if strings.HasPrefix(clean, "/_next/static/") {
			w.Header().Set("Cache-Control", "public, max-age=31536000, immutable")
		} else {
			w.Header().Set("Cache-Control", "no-cache")
		}
		if !published(site, clean) {
			notFound(site, w, r)
			return
		}
		files.ServeHTTP(w, r)
	})
}

// notFound answers with the export's 404 page, or a plain 404 when it has none.
func notFound(site fs.FS, w http.ResponseWriter, r *http.Request) {
	page, err := fs.ReadFile(site, "404.html")
	if err != nil {
		http.NotFound(w, r)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(http.StatusNotFound)
	_, _ = w.Write(page)
}

// published reports whether the cleaned URL path names a file, or a directory with an
// index.html, and no segment of it is hidden (starts with a dot).
func published(site fs.FS, clean string) bool {
	for _, seg := range strings.Split(clean, "/") {
		if strings.HasPrefix(seg, ".") {
			return false
		}
	}
	name := strings.TrimPrefix(clean, "/")
	if name == "" {
		name = "."
	}
	st, err := fs.Stat(site, name)
	if err != nil {
		return false
	}
	if st.IsDir() {
		st, err = fs.Stat(site, path.Join(name, "index.html"))
		return err == nil && !st.IsDir()
	}
	return true
}

// HasIndex reports whether site is an exported page: a non-nil tree with an index.html file.
func HasIndex(site fs.FS) bool {
	if site == nil {
		return false
	}
	st, err := fs.Stat(site, "index.html")
	return err == nil && !st.IsDir()
}

const noFrontendPage = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Digital Twin</title></head>
<body style="font-family: system-ui; max-width: 40rem; margin: 4rem auto; line-height: 1.5">
<h1>Digital Twin: the API is running</h1>
<p>The chat page has not been built. Run <code>make run</code> (it builds the frontend into
<code>frontend/out</code>), or point <code>FRONTEND_DIR</code> at an exported build.</p>
<p>The API works already: <a href="/api/health">/api/health</a>, <a href="/api/persona">/api/persona</a>.</p>
</body></html>
`
