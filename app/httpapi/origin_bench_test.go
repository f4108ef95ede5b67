package httpapi

import (
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"
)

// BenchmarkOriginCheck is what the origin check adds to every request on AWS: two SHA-256
// digests and constant-time compares (docs/benchmarks.md).
func BenchmarkOriginCheck(b *testing.B) {
	next := http.HandlerFunc(func(http.ResponseWriter, *http.Request) {})
	h := originOnly([]string{testOrigin, testOriginPrev}, slog.New(slog.DiscardHandler), next)
	r := httptest.NewRequest(http.MethodGet, "/api/health", nil)
	r.Header.Set(OriginHeader, testOrigin)
	w := httptest.NewRecorder()
	b.ReportAllocs()
	for b.Loop() {
		r.Header.Set(OriginHeader, testOrigin)
		h.ServeHTTP(w, r)
	}
}
