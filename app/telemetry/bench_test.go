package telemetry_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/trace/noop"

	"github.com/digitaltwin/twin/app/telemetry"
)

// BenchmarkTurnTracing measures one non-streaming chat turn through the real handler (offline
// responder, in-memory store) with tracing off (no provider: SetupTracing's default) and on
// (SetupTracing with OTEL_TRACES_EXPORTER=otlp exporting in batches to a local OTLP/HTTP
// receiver, which decodes every request). It reports the per-turn p50 and p99 besides the mean.
func BenchmarkTurnTracing(b *testing.B) {
	for _, mode := range []string{"off", "otlp"} {
		b.Run("tracing="+mode, func(b *testing.B) {
			switch mode {
			case "off":
				switcher.set(noop.NewTracerProvider())
			case "otlp":
				rc := newReceiver(b)
				rc.discard = true
				shutdown, err := telemetry.SetupTracing(context.Background(), env(map[string]string{
					"OTEL_TRACES_EXPORTER": "otlp", "OTEL_EXPORTER_OTLP_ENDPOINT": rc.URL,
				}), "bench")
				if err != nil {
					b.Fatal(err)
				}
				switcher.set(otel.GetTracerProvider())
				b.Cleanup(func() {
					_ = shutdown(context.Background())
					if rc.exports == 0 {
						b.Error("nothing was exported")
					}
				})
			}
			otel.SetTracerProvider(switcher)
			otel.SetTextMapPropagator(telemetry.Propagator())
			s := buildStack(b, faults{}, nil)
			body := `{"message":"Where do you live and what do you do on weekends?"}`
			lat := make([]time.Duration, 0, b.N)
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				start := time.Now()
				req := httptest.NewRequest("POST", "/api/chat", strings.NewReader(body))
				req.Header.Set("Content-Type", "application/json")
				rec := httptest.NewRecorder()
				s.handler.ServeHTTP(rec, req)
				lat = append(lat, time.Since(start))
				if rec.Code != http.StatusOK {
					b.Fatalf("status %d: %s", rec.Code, rec.Body)
				}
			}
			b.StopTimer()
			slices.Sort(lat)
			b.ReportMetric(float64(lat[len(lat)/2].Microseconds()), "p50-µs")
			b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds()), "p99-µs")
			switcher.set(testTP)
		})
	}
}
