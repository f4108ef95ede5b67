package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"slices"
	"testing"
	"time"

	"github.com/digitaltwin/twin/app/memory/memstore"
	"github.com/digitaltwin/twin/app/memory/storetest"
	"github.com/digitaltwin/twin/app/persona"
	"github.com/digitaltwin/twin/app/telemetry"
	"github.com/digitaltwin/twin/app/twin"
	"github.com/digitaltwin/twin/app/twintest"
	"github.com/digitaltwin/twin/app/twintest/served"
	"github.com/digitaltwin/twin/app/wire"
)

// slowStore and slowPersona stand for S3: each read takes delay.
type slowStore struct {
	wire.Store
	delay time.Duration
}

func (s slowStore) Get(ctx context.Context, id string) (twin.Session, error) {
	time.Sleep(s.delay)
	return s.Store.Get(ctx, id)
}

type slowPersona struct {
	twin.PersonaSource
	delay time.Duration
}

func (p slowPersona) Persona(ctx context.Context) (twin.Persona, error) {
	time.Sleep(p.delay)
	return p.PersonaSource.Persona(ctx)
}

// BenchmarkFunctionURLBeforeFirstToken measures what the server adds before the model is asked,
// on a warm function-URL instance wired as the bootstrap wires it (app/wire, production
// settings): from the event reaching the front to the provider's Stream
// being called (decode, checks, persona and history loads, the question's save started, the
// prompt built). The store and the persona answer from memory (s3=0s) so S3's latency is left
// out; s3=5ms gives each read a 5 ms delay, as an S3 request has, to show that the two reads
// overlap (about one delay is added, not two). It reports the p50 and p99 per turn. The session
// holds 10 messages (a returning visitor) and info logs and the metrics record are written.
func BenchmarkFunctionURLBeforeFirstToken(b *testing.B) {
	text, err := os.ReadFile("../../../me.txt")
	if err != nil {
		b.Fatal(err)
	}
	for _, delay := range []time.Duration{0, 5 * time.Millisecond} {
		b.Run(fmt.Sprintf("s3=%v", delay), func(b *testing.B) {
			ctx := context.Background()
			store := memstore.New()
			const id = "77777777-7777-4777-8777-777777777777"
			var history []twin.Message
			for i := range 5 {
				history = append(history, storetest.Turn(i)...)
			}
			if _, err := store.Append(ctx, twin.Session{ID: id}, history, 1<<20); err != nil {
				b.Fatal(err)
			}
			asked := make(chan time.Time, 1)
			provider := &twintest.Provider{StreamFunc: func(_ context.Context, _ twin.GenerateRequest, emit func(string) error) (twin.Usage, error) {
				asked <- time.Now()
				return twin.Usage{InputTokens: 900, OutputTokens: 12}, emit("I live in Gothenburg, by the sea, and I like it there a lot.")
			}}
			app := served.BuildWith(b, map[string]string{
				"ENVIRONMENT": "production", "DATA_DIR": b.TempDir(), "RATE_LIMIT_PER_MINUTE": "1000000",
			}, served.With{
				Logger: telemetry.NewLogger(io.Discard, slog.LevelInfo, true), Metrics: io.Discard,
				Overrides: wire.Overrides{
					Store: slowStore{store, delay}, Persona: slowPersona{persona.NewStaticSource(text), delay}, Provider: provider,
				},
			})
			h := FunctionURL(app.Handler)
			ev := functionURLEvent("POST", "/api/chat/stream", `{"message":"Where do you live?","session_id":"`+id+`"}`)
			lat := make([]time.Duration, 0, b.N)
			for b.Loop() {
				start := time.Now()
				resp, err := h(ctx, ev)
				if err != nil {
					b.Fatal(err)
				}
				if _, err := io.Copy(io.Discard, resp); err != nil {
					b.Fatal(err)
				}
				lat = append(lat, (<-asked).Sub(start))
				b.StopTimer()
				// Keep the history at 10 messages so every turn sees the same session.
				if err := store.Delete(ctx, id); err != nil {
					b.Fatal(err)
				}
				if _, err := store.Append(ctx, twin.Session{ID: id}, history, 1<<20); err != nil {
					b.Fatal(err)
				}
				b.StartTimer()
			}
			slices.Sort(lat)
			b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50-ms")
			b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds())/1000, "p99-ms")
		})
	}
}
