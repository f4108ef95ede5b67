package chat

import (
	"context"
	"fmt"
	"os"
	"slices"
	"testing"
	"time"

	"github.com/digitaltwin/twin/app/llm/offline"
	"github.com/digitaltwin/twin/app/persona"
	"github.com/digitaltwin/twin/app/prompt"
	"github.com/digitaltwin/twin/app/twin"
)

// firstDelta wraps a provider and notes when its first delta came and how many deltas came
// before the first text was released to the visitor.
type firstDelta struct {
	twin.Provider
	at     time.Time
	deltas int
	chars  int // characters received before the first release
	window int // deltas a fixed 60-character hold-back (the previous guard) would have needed
}

func (f *firstDelta) Stream(ctx context.Context, req twin.GenerateRequest, emit func(string) error) (twin.Usage, error) {
	return f.Provider.Stream(ctx, req, func(d string) error {
		if f.deltas == 0 {
			f.at = time.Now()
		}
		f.deltas++
		if f.chars += len(d); f.window == 0 && f.chars > 60 {
			f.window = f.deltas
		}
		return emit(d)
	})
}

// BenchmarkFirstReleasedDelta is Send → first released delta of a streamed turn, with the
// output guard, against Send → the model's first delta (what the visitor would get without a
// guard: nothing else stands between them). The real offline responder answers the shipped
// persona at full speed (no token pacing), so the times are the server's own cost; the
// "tokens-held" metric is how many model tokens pass before the first release, which a real
// model's pacing (50–100 tokens/s) turns into time. "fixed-window-tokens" is what the previous
// guard, which held back a fixed 60 characters, needed for the same replies.
func BenchmarkFirstReleasedDelta(b *testing.B) {
	me, err := os.ReadFile("../../me.txt")
	if err != nil {
		b.Fatal(err)
	}
	questions := []string{"Where do you live?", "What do you work on?", "Tell me about your career",
		"What do you think about remote work?", "Do you have a pet?", "What is your blood type?"}
	for _, q := range questions {
		b.Run(fmt.Sprintf("q=%.20s", q), func(b *testing.B) {
			probe := &firstDelta{Provider: offline.New(0)}
			s, _ := newService(probe, prompt.DefaultBudget)
			s.Persona = persona.NewStaticSource(me)
			var guarded, unguarded []time.Duration
			var held, window int
			i := 0
			for b.Loop() {
				*probe = firstDelta{Provider: probe.Provider}
				var first time.Time
				req := Request{SessionID: fmt.Sprintf("66666666-6666-4666-8666-%012d", i), Message: q, Streamed: true}
				start := time.Now()
				if _, err := s.Turn(context.Background(), req, func(string) error {
					if first.IsZero() {
						first, held = time.Now(), probe.deltas
					}
					return nil
				}); err != nil {
					b.Fatal(err)
				}
				guarded = append(guarded, first.Sub(start))
				unguarded = append(unguarded, probe.at.Sub(start))
				window = cmpOr(probe.window, probe.deltas)
				i++
			}
			b.ReportMetric(float64(median(guarded).Microseconds()), "µs-first-release")
			b.ReportMetric(float64(median(unguarded).Microseconds()), "µs-model-first-token")
			b.ReportMetric(float64(held), "tokens-held")
			b.ReportMetric(float64(window), "fixed-window-tokens")
		})
	}
}

func median(d []time.Duration) time.Duration {
	slices.Sort(d)
	return d[len(d)/2]
}

func cmpOr(a, b int) int {
	if a != 0 {
		return a
	}
	return b
}
