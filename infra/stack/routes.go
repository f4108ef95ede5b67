package stack

import (
	"regexp"
	"slices"
	"strings"

	"github.com/digitaltwin/twin/app/httpapi"
)

// The AWS edge is derived from the app's own route table (httpapi.Routes), so a route the app
// serves is reachable through CloudFront with its method, and no list here can drift from it
// (docs/decisions/0012-one-route-table.md).

// apiRoutes are the routes the HTTP API serves: every buffered route of the app. Stream routes
// are not among them: HTTP APIs cannot stream, CloudFront sends those paths to the function URL.
func apiRoutes() []httpapi.Route {
	var out []httpapi.Route
	for _, r := range httpapi.Routes {
		if !r.Stream {
			out = append(out, r)
		}
	}
	return out
}

// apiMethods are the methods the API's routes use, plus OPTIONS for preflights (CORS).
func apiMethods() []string {
	ms := []string{"OPTIONS"}
	for _, r := range httpapi.Routes {
		if !slices.Contains(ms, r.Method) {
			ms = append(ms, r.Method)
		}
	}
	slices.Sort(ms)
	return ms
}

// edgeBehaviour is one CloudFront cache behaviour the route table asks for: a path pattern and
// the origin that serves it.
type edgeBehaviour struct {
	Pattern string
	Origin  string
}

// routeBehaviours are the API's CloudFront behaviours, in the order CloudFront must try them:
// each stream route's path to the function URL, each buffered route outside /api/ to the HTTP
// API, then /api/* to the HTTP API (where $default lets the app answer its own 404 and 405).
func routeBehaviours() []edgeBehaviour {
	var stream, other []edgeBehaviour
	for _, r := range httpapi.Routes {
		b := edgeBehaviour{Pattern: pathPattern(r.Path), Origin: apiOriginID}
		switch {
		case r.Stream:
			b.Origin = urlOID
			stream = appendNew(stream, b)
		case !strings.HasPrefix(r.Path, "/api/"):
			other = appendNew(other, b)
		}
	}
	return append(append(stream, other...), edgeBehaviour{Pattern: "/api/*", Origin: apiOriginID})
}

func appendNew(bs []edgeBehaviour, b edgeBehaviour) []edgeBehaviour {
	if slices.Contains(bs, b) {
		return bs
	}
	return append(bs, b)
}

var wildcard = regexp.MustCompile(`\{[^}]*\}`)

// pathPattern turns a route path into a CloudFront path pattern: each {name} wildcard becomes *.
func pathPattern(path string) string { return wildcard.ReplaceAllString(path, "*") }

// routeKey is the HTTP API route key of r: the ServeMux pattern, with a trailing {name...}
// (the rest of the path) written as API Gateway's greedy {name+}.
func routeKey(r httpapi.Route) string {
	k := r.Pattern()
	if strings.HasSuffix(k, "...}") {
		k = strings.TrimSuffix(k, "...}") + "+}"
	}
	return k
}

// slug turns "GET /api/chat/history/{session_id}" into "get-api-chat-history-session-id".
func slug(s string) string {
	var b strings.Builder
	dash := false
	for _, r := range strings.ToLower(s) {
		if (r >= 'a' && r <= 'z') || (r >= '0' && r <= '9') {
			b.WriteRune(r)
			dash = false
		} else if !dash && b.Len() > 0 {
			b.WriteByte('-')
			dash = true
		}
	}
	return strings.TrimSuffix(b.String(), "-")
}
