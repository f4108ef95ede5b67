package httpapi

import (
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/digitaltwin/twin/app/telemetry"
	"github.com/digitaltwin/twin/app/twin"
)

// instrument gives every request its correlation id (echoed in X-Correlation-Id), its method and
// path for error lines, a server span, panic recovery and a debug access line.
func instrument(logger *slog.Logger, next http.Handler) http.Handler {
	traced := telemetry.TraceHTTP(next)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		id := telemetry.CorrelationIDFrom(r.Header.Get("X-Correlation-Id"))
		w.Header().Set("X-Correlation-Id", id)
		ctx := telemetry.WithCorrelationID(r.Context(), id)
		ctx = telemetry.WithRequest(ctx, r.Method, r.URL.Path)
		r = r.WithContext(ctx)
		defer func() {
			if v := recover(); v != nil {
				if v == http.ErrAbortHandler {
					panic(v)
				}
				writeError(w, r, logger, twin.Wrap(twin.CodeInternal, fmt.Errorf("panic: %v", v), "internal error"))
			}
		}()
		traced.ServeHTTP(w, r)
		logger.DebugContext(ctx, "request", "duration_ms", float64(time.Since(start).Microseconds())/1000)
	})
}

// securityHeaders sets headers that cost nothing and close common holes.
func securityHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "strict-origin-when-cross-origin")
		h.Set("X-Frame-Options", "DENY")
		next.ServeHTTP(w, r)
	})
}

// cors allows exactly the configured origins on /api/ (never credentials); "*" only locally,
// which config enforces. The owner's endpoints are never shared cross-origin, whatever the list.
func cors(origins []string, next http.Handler) http.Handler {
	wildcard := slices.Contains(origins, "*")
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		origin := r.Header.Get("Origin")
		if origin == "" || !strings.HasPrefix(r.URL.Path, "/api/") || isOwnerPath(r.URL.Path) {
			next.ServeHTTP(w, r)
			return
		}
		h := w.Header()
		h.Add("Vary", "Origin")
		allowed := wildcard || slices.Contains(origins, origin)
		if allowed {
			h.Set("Access-Control-Allow-Origin", origin)
			h.Set("Access-Control-Expose-Headers", "X-Correlation-Id, X-Session-Id, Retry-After, x-vercel-ai-ui-message-stream")
		}
		if r.Method == http.MethodOptions && r.Header.Get("Access-Control-Request-Method") != "" {
			if allowed {
				h.Set("Access-Control-Allow-Methods", "GET, POST, DELETE, OPTIONS")
				h.Set("Access-Control-Allow-Headers", "Content-Type, Accept, X-Correlation-Id")
				h.Set("Access-Control-Max-Age", "600")
			}
			w.WriteHeader(http.StatusNoContent)
			return
		}
		next.ServeHTTP(w, r)
	})
}
