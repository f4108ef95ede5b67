// Package httpapi is the twin's HTTP API (README.md, "The API"; docs/architecture.md): the chat
// endpoints (JSON and the AI SDK UI message stream over SSE), history, persona and health, one
// error body and code table, and the middleware every response goes through (correlation id,
// tracing, CORS, rate limit, security headers). The same handler serves the local server and both
// Lambda fronts.
package httpapi

import (
	"io/fs"
	"log/slog"
	"net/http"

	"github.com/digitaltwin/twin/app/chat"
	"github.com/digitaltwin/twin/app/owner"
	"github.com/digitaltwin/twin/app/twin"
)

// Options are the HTTP-level settings.
type Options struct {
	Environment        string
	Version            string
	MaxMessageChars    int
	CORSAllowedOrigins []string
	// EmbedAllowedOrigins may frame the embed page (the widget's chat): its frame-ancestors.
	EmbedAllowedOrigins []string
	RateLimitPerMinute  int
	// MaxNewSessions is how many distinct new session ids one client may start per 10 minutes;
	// 0 means RateLimitPerMinute/2, at least 5.
	MaxNewSessions int
	// MaxInFlightTurns caps the chat turns being answered at once, across all clients; over it a
	// turn is shed with 503 llm_unavailable + Retry-After before any work (0: DefaultMaxInFlight,
	// < 0: no cap). It bounds the model calls, memory and goroutines a burst can cost.
	MaxInFlightTurns int
	Frontend         fs.FS // the exported UI (a folder or the embedded copy); nil: a hint page at /
	// OriginSecrets are the origin secret's accepted values (on AWS); when set, requests without
	// one of them in OriginHeader are refused, and only requests with one are trusted for
	// CloudFront-Viewer-Address. Empty locally.
	OriginSecrets []string
}

// Deps are what the handlers need.
type Deps struct {
	Chat    *chat.Service
	Store   twin.Store // history reads
	Persona twin.PersonaSource
	Logger  *slog.Logger
	Options Options

	// Owner serves feedback and the owner summary; nil turns those endpoints off.
	Owner       *owner.Service
	OwnerAccess owner.Access
}

// NewServer returns the twin's http.Handler.
func NewServer(d Deps) http.Handler {
	mux := http.NewServeMux()
	addRoutes(mux, d, newSessionLimiter(newSessionBudget(d.Options)), newShedder(d.Options.MaxInFlightTurns))
	limiter := newRateLimiter(d.Options.RateLimitPerMinute)
	var h http.Handler = mux
	h = rateLimit(limiter, d.Logger, h)
	h = cors(d.Options.CORSAllowedOrigins, h)
	h = originOnly(d.Options.OriginSecrets, d.Logger, h)
	h = securityHeaders(h)
	h = instrument(d.Logger, h)
	return h
}
