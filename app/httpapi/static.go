package httpapi

import (
	"compress/gzip"
	"net/http"
	"os"
	"path"
	"path/filepath"
	"strings"
)

// handleStatic serves the exported frontend from dir: pages revalidated on every load (a deploy
// shows at once), hashed assets under /_next/static cached for a year, 404.html for unknown paths.
// Only what the export published is served: no dotfiles (a stray .env or .git in the folder) and
// no directory listings (a folder without index.html is unknown). Without a built frontend, /
// explains how to build it.
func handleStatic(dir string) http.Handler {
	if st, err := os.Stat(filepath.Join(dir, "index.html")); dir == "" || err != nil || st.IsDir() {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.URL.Path != "/" {
				http.NotFound(w, r)
				return
			}
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			_, _ = w.Write([]byte(noFrontendPage))
		})
	}
	files := http.FileServer(http.Dir(dir))
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
		if !published(dir, clean) {
			notFound(dir, w, r)
			return
		}
		serveCompressed(files, w, r)
	})
}

// serveCompressed gzips text responses for clients that accept it (CloudFront compresses in
// AWS; locally this keeps the page's transfer size the same as in production).
func serveCompressed(files http.Handler, w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet || !strings.Contains(r.Header.Get("Accept-Encoding"), "gzip") {
		files.ServeHTTP(w, r)
		return
	}
	r.Header.Del("Range") // byte ranges of the uncompressed file would not match a gzip body
	gw := &gzipWriter{ResponseWriter: w}
	defer gw.close()
	files.ServeHTTP(gw, r)
}

// gzipWriter compresses a 200 response whose Content-Type is text-like.
type gzipWriter struct {
	http.ResponseWriter
	gz      *gzip.Writer
	decided bool
}

func (g *gzipWriter) WriteHeader(code int) {
	if !g.decided {
		g.decided = true
		h := g.Header()
		h.Add("Vary", "Accept-Encoding")
		if code == http.StatusOK && compressible(h.Get("Content-Type")) && h.Get("Content-Encoding") == "" {
			h.Del("Content-Length")
			h.Set("Content-Encoding", "gzip")
			g.gz = gzip.NewWriter(g.ResponseWriter)
		}
	}
	g.ResponseWriter.WriteHeader(code)
}

func (g *gzipWriter) Write(p []byte) (int, error) {
	if !g.decided {
		g.WriteHeader(http.StatusOK)
	}
	if g.gz != nil {
		return g.gz.Write(p)
	}
	return g.ResponseWriter.Write(p)
}

func (g *gzipWriter) close() {
	if g.gz != nil {
		_ = g.gz.Close()
	}
}

func compressible(contentType string) bool {
	for _, t := range []string{"text/", "javascript", "json", "svg", "xml"} {
		if strings.Contains(contentType, t) {
			return true
		}
	}
	return false
}

// notFound answers with the export's 404 page, or a plain 404 when it has none.
func notFound(dir string, w http.ResponseWriter, r *http.Request) {
	page, err := os.ReadFile(filepath.Join(dir, "404.html"))
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
func published(dir, clean string) bool {
	for _, seg := range strings.Split(clean, "/") {
		if strings.HasPrefix(seg, ".") {
			return false
		}
	}
	p := filepath.Join(dir, filepath.FromSlash(clean))
	st, err := os.Stat(p)
	if err != nil {
		return false
	}
	if st.IsDir() {
		_, err = os.Stat(filepath.Join(p, "index.html"))
		return err == nil
	}
	return true
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
