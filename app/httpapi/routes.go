package httpapi

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
)

// Route is one endpoint of the API, as data. The mux registers exactly these routes, and the AWS
// edge is derived from the same table (infra/stack: the HTTP API's routes and CloudFront's
// behaviours; docs/decisions/0012-one-route-table.md), so a route added here is reachable on
// AWS with its method, and one missing here is served nowhere.
type Route struct {
	Method string // GET, POST, DELETE, ...
	// Path is the ServeMux path; {name} wildcards match one segment, as in API Gateway route keys.
	Path string
	// Stream routes are served on AWS by the streaming function URL (RESPONSE_STREAM), to which
	// CloudFront sends their paths; every other route goes through the buffered HTTP API.
	Stream bool
	// Model routes may call the model, so the HTTP API gives them the long (chat) timeout;
	// the others answer quickly and get the short one.
	Model bool
}

// Pattern is the route's ServeMux pattern and HTTP API route key ("GET /api/persona").
func (r Route) Pattern() string { return r.Method + " " + r.Path }

// Routes is every route the twin serves. Outside them, /api/ answers JSON 404/405 and the rest
// is the static UI.
var Routes = []Route{
	{Method: http.MethodPost, Path: "/api/chat", Model: true},
	{Method: http.MethodPost, Path: "/api/chat/stream", Stream: true, Model: true},
	{Method: http.MethodGet, Path: "/api/chat/history/{session_id}"},
	{Method: http.MethodDelete, Path: "/api/chat/history/{session_id}"},
	{Method: http.MethodGet, Path: "/api/persona"},
	{Method: http.MethodGet, Path: "/api/health"},
	{Method: http.MethodPost, Path: "/api/feedback"},
	{Method: http.MethodGet, Path: "/api/owner/summary"},
	{Method: http.MethodPost, Path: "/api/owner/questions/{id}/dismiss"},
	{Method: http.MethodGet, Path: "/widget.js"},
}

// allowedMethods returns the methods Routes serves at path, in table order: none means no such
// endpoint, some means a request with another method gets 405 naming them.
func allowedMethods(path string) []string {
	var out []string
	for _, rt := range Routes {
		if matchPath(rt.Path, path) && !slices.Contains(out, rt.Method) {
			out = append(out, rt.Method)
		}
	}
	return out
}

// matchPath reports whether path matches a route's path, a {name} wildcard matching one
// non-empty segment.
func matchPath(pattern, path string) bool {
	want, got := strings.Split(pattern, "/"), strings.Split(path, "/")
	if len(want) != len(got) {
		return false
	}
	for i, w := range want {
		if strings.HasPrefix(w, "{") && strings.HasSuffix(w, "}") {
			if got[i] == "" {
				return false
			}
		} else if w != got[i] {
			return false
		}
	}
	return true
}

// addRoutes registers every route of Routes with its handler. A route without a handler, or a
// handler without a route, panics here: every server built from a drifted table fails at once.
func addRoutes(mux *http.ServeMux, d Deps, sessions *sessionLimiter, shed *shedder) {
	maxBody := bodyLimit(d.Options.MaxMessageChars)
	handlers := map[string]http.Handler{
		"POST /api/chat":                         handleChat(d, sessions, shed, maxBody, false),
		"POST /api/chat/stream":                  handleChat(d, sessions, shed, maxBody, true),
		"GET /api/chat/history/{session_id}":     handleHistory(d),
		"DELETE /api/chat/history/{session_id}":  handleDeleteHistory(d),
		"GET /api/persona":                       handlePersona(d),
		"GET /api/health":                        handleHealth(d.Options.Version),
		"POST /api/feedback":                     handleFeedback(d),
		"GET /api/owner/summary":                 ownerOnly(d, ownerSummary(d)),
		"POST /api/owner/questions/{id}/dismiss": ownerOnly(d, dismissQuestion(d)),
		"GET /widget.js":                         handleWidget(d),
	}
	registered := map[string]bool{}
	for _, rt := range Routes {
		h, ok := handlers[rt.Pattern()]
		if !ok {
			panic(fmt.Sprintf("httpapi: route %q has no handler", rt.Pattern()))
		}
		mux.Handle(rt.Pattern(), h)
		delete(handlers, rt.Pattern())
		if !strings.HasPrefix(rt.Path, "/api/") && !registered[rt.Path] {
			// Outside /api/ the static site would take other methods: answer 405 here instead.
			registered[rt.Path] = true
			mux.Handle(rt.Path, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Allow", strings.Join(allowedMethods(r.URL.Path), ", "))
				http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
			}))
		}
	}
	for p := range handlers {
		panic(fmt.Sprintf("httpapi: handler %q is not in Routes", p))
	}
	mux.Handle("/api/", handleAPINotFound(d))
	mux.Handle("/", embedFraming(d.Options.EmbedAllowedOrigins, handleStatic(d.Options.Frontend)))
}
