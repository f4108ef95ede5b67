package httpapi

import (
	"bytes"
	_ "embed"
	"encoding/json"
	"net/http"
	"path"
	"strings"

	"github.com/klauspost/compress/gzhttp"
)

// widgetJS is the embeddable widget's loader (docs/decisions/0033-embeddable-widget.md): a
// launcher and a dialog around an iframe of EmbedPath. It is tested in the frontend's Vitest
// suite (frontend/widget/) and in Chromium (frontend/e2e/widget.e2e.ts).
//
//go:embed widget.js
var widgetJS []byte

// EmbedPath is the compact chat page the widget frames: the only page other sites may frame.
const EmbedPath = "/embed/"

// widgetName is the placeholder in widgetJS that the persona's name replaces.
var widgetName = []byte(`"__TWIN_NAME__"`)

// handleWidget serves the loader with the persona's name filled in, so the launcher says "Chat
// with <name>" without a request from the host page (which CORS would refuse). When the persona
// cannot be read the loader still works ("Chat with the twin") and is not cached, so the name
// comes back with the persona. Browsers may keep it 5 minutes: the launcher still shows (and
// says the chat is unavailable) when the twin is down for a moment.
func handleWidget(d Deps) http.Handler {
	return gzhttp.GzipHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		name, cache := "", "public, max-age=300"
		if p, err := d.Persona.Persona(r.Context()); err != nil {
			d.Logger.WarnContext(r.Context(), "widget without the persona's name", "err", err)
			cache = "no-cache"
		} else {
			name = p.Name
		}
		quoted, _ := json.Marshal(name) // a JSON string is a JS string literal; <, > and & come escaped
		w.Header().Set("Content-Type", "text/javascript; charset=utf-8")
		w.Header().Set("Cache-Control", cache)
		// Any site may load the script; what it frames is guarded by frame-ancestors.
		w.Header().Set("Cross-Origin-Resource-Policy", "cross-origin")
		_, _ = w.Write(bytes.Replace(widgetJS, widgetName, quoted, 1))
	}))
}

// FrameAncestors is the Content-Security-Policy directive that lets exactly origins frame the
// embed page: "*" any origin (local only), none 'none'. The local server and the CloudFront
// headers policy of the embed page both send it.
func FrameAncestors(origins []string) string {
	if len(origins) == 0 {
		return "frame-ancestors 'none'"
	}
	return "frame-ancestors " + strings.Join(origins, " ")
}

// embedFraming lets the allowed origins frame the embed page, and only it: every other page keeps
// X-Frame-Options: DENY.
func embedFraming(origins []string, next http.Handler) http.Handler {
	policy := FrameAncestors(origins)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if clean := path.Clean("/"+r.URL.Path) + "/"; strings.HasPrefix(clean, EmbedPath) {
			w.Header().Del("X-Frame-Options")
			w.Header().Set("Content-Security-Policy", policy)
		}
		next.ServeHTTP(w, r)
	})
}
