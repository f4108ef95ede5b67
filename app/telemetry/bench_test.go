package telemetry_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"go.opentelemetry.io/contrib/propagators/aws/xray"
	"go.opentelemetry.io/otel"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"
	"go.opentelemetry.io/otel/trace/noop"

	"github.com/digitaltwin/twin/app/telemetry"
)

// BenchmarkTurnTracing measures one non-streaming chat turn through the real handler (offline
// responder, in-memory store) with tracing off (no provider: SetupTracing's default) and on
// (SetupTracing with OTEL_TRACES_EXPORTER=otlp exporting in batches to a local OTLP/HTTP
// receiver, which decodes every request). It reports the per-turn p50 and p99 besides the mean.
//
// store=memory is the CPU-only worst case (no I/O at all, so tracing's fixed cost is the
// largest share); store=file is the local default store on disk.
func BenchmarkTurnTracing(b *testing.B) {
	for _, store := range []string{"memory", "file"} {
		for _, mode := range []string{"off", "otlp"} {
			b.Run("store="+store+"/tracing="+mode, func(b *testing.B) { benchTurn(b, store, mode) })
		}
	}
}

func benchTurn(b *testing.B, store, mode string) {
	{
		{
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
					rc.mu.Lock()
					defer rc.mu.Unlock()
					if rc.exports == 0 {
						b.Error("nothing was exported")
					}
				})
			}
			otel.SetTracerProvider(switcher)
			otel.SetTextMapPropagator(telemetry.Propagator())
			f := faults{}
			if store == "file" {
				f.fileStore = b.TempDir()
			}
			s := buildStack(b, f, nil)
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
		}
	}
}

// BenchmarkTurnTracingPaired rotates turns between three tracing set-ups on the same twin, so all
// three see the same machine noise (the 2-core machine is shared): off (nothing installed, the
// default), sdk (spans recorded and batched, exported to a no-op exporter: the in-request cost)
// and otlp (SetupTracing exporting over OTLP/HTTP to a local receiver that decodes every request).
// It reports each side's p50 and the p50 overhead of sdk and otlp over off, in percent. The
// exporter's background work runs concurrently and is charged to all sides alike.
func BenchmarkTurnTracingPaired(b *testing.B) {
	for _, store := range []string{"memory", "file"} {
		b.Run("store="+store, func(b *testing.B) {
			rc := newReceiver(b)
			rc.discard = true
			shutdown, err := telemetry.SetupTracing(context.Background(), env(map[string]string{
				"OTEL_TRACES_EXPORTER": "otlp", "OTEL_EXPORTER_OTLP_ENDPOINT": rc.URL,
			}), "bench")
			if err != nil {
				b.Fatal(err)
			}
			sdk := sdktrace.NewTracerProvider(sdktrace.WithBatcher(tracetest.NewNoopExporter()),
				sdktrace.WithIDGenerator(xray.NewIDGenerator()))
			sides := []trace.TracerProvider{noop.NewTracerProvider(), sdk, otel.GetTracerProvider()}
			otel.SetTracerProvider(switcher)
			otel.SetTextMapPropagator(telemetry.Propagator())
			defer func() {
				_ = shutdown(context.Background())
				_ = sdk.Shutdown(context.Background())
				switcher.set(testTP)
			}()
			f := faults{}
			if store == "file" {
				f.fileStore = b.TempDir()
			}
			s := buildStack(b, f, nil)
			body := `{"message":"Where do you live and what do you do on weekends?"}`
			lat := make([][]time.Duration, len(sides))
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				side := i % len(sides)
				switcher.set(sides[side])
				start := time.Now()
				req := httptest.NewRequest("POST", "/api/chat", strings.NewReader(body))
				req.Header.Set("Content-Type", "application/json")
				rec := httptest.NewRecorder()
				s.handler.ServeHTTP(rec, req)
				lat[side] = append(lat[side], time.Since(start))
				if rec.Code != http.StatusOK {
					b.Fatalf("status %d: %s", rec.Code, rec.Body)
				}
			}
			b.StopTimer()
			if len(lat[len(sides)-1]) == 0 {
				return
			}
			p50 := func(d []time.Duration) float64 {
				slices.Sort(d)
				return float64(d[len(d)/2].Nanoseconds()) / 1000
			}
			off, rec, exp := p50(lat[0]), p50(lat[1]), p50(lat[2])
			b.ReportMetric(off, "p50-off-µs")
			b.ReportMetric(rec, "p50-sdk-µs")
			b.ReportMetric(exp, "p50-otlp-µs")
			b.ReportMetric(100*(rec-off)/off, "sdk-overhead-%")
			b.ReportMetric(100*(exp-off)/off, "otlp-overhead-%")
		})
	}
}
