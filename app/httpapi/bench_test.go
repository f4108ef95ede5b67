package httpapi

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// BenchmarkTurn measures the backend's overhead of one chat turn through the whole handler
// (decode, persona, file store read + atomic write, prompt, offline responder, JSON or SSE out),
// in process. It reports p50/p99 per turn alongside the mean. Sessions rotate every 20 turns so
// history stays at a typical length.
func BenchmarkTurn(b *testing.B) {
	for _, stream := range []bool{false, true} {
		b.Run(fmt.Sprintf("stream=%v", stream), func(b *testing.B) {
			e := newEnv(b)
			h := e.srv.Config.Handler
			durations := make([]time.Duration, 0, b.N)
			i := 0
			for b.Loop() {
				id := fmt.Sprintf("44444444-4444-4444-8444-%012d", i/20)
				req := httptest.NewRequest(http.MethodPost, "/api/chat", strings.NewReader(chatBody("What do you think about AI coding tools?", id, stream)))
				rec := httptest.NewRecorder()
				start := time.Now()
				h.ServeHTTP(rec, req)
				durations = append(durations, time.Since(start))
				if rec.Code != http.StatusOK {
					b.Fatalf("status %d: %s", rec.Code, rec.Body)
				}
				i++
			}
			reportPercentiles(b, durations)
		})
	}
}

func reportPercentiles(b *testing.B, d []time.Duration) {
	if len(d) == 0 {
		return
	}
	slices.Sort(d)
	p := func(q float64) float64 { return float64(d[int(q*float64(len(d)-1))].Microseconds()) / 1000 }
	b.ReportMetric(p(0.50), "p50-ms")
	b.ReportMetric(p(0.99), "p99-ms")
}

// BenchmarkTurnParallel runs turns on all cores at once, each goroutine on its own sessions;
// turns/s is the throughput of the whole process.
func BenchmarkTurnParallel(b *testing.B) {
	e := newEnv(b)
	h := e.srv.Config.Handler
	var seq atomic.Int64
	start := time.Now()
	b.RunParallel(func(pb *testing.PB) {
		g := seq.Add(1)
		i := 0
		for pb.Next() {
			id := fmt.Sprintf("66666666-6666-4666-8666-%06d%06d", g, i/20)
			req := httptest.NewRequest(http.MethodPost, "/api/chat", strings.NewReader(chatBody("Where do you live?", id, false)))
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			if rec.Code != http.StatusOK {
				b.Errorf("status %d", rec.Code)
				return
			}
			i++
		}
	})
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "turns/s")
}
