package filestore

import (
	"context"
	"fmt"
	"testing"

	"github.com/digitaltwin/twin/app/memory/storetest"
	"github.com/digitaltwin/twin/app/twin"
)

// BenchmarkAppend measures appending one turn to a session that already holds n messages: the
// cost must grow with the file (one read, one write), not faster.
func BenchmarkAppend(b *testing.B) {
	for _, n := range []int{10, 400} {
		b.Run(fmt.Sprintf("history=%d", n), func(b *testing.B) {
			s, err := New(b.TempDir())
			if err != nil {
				b.Fatal(err)
			}
			ctx := context.Background()
			id := "55555555-5555-4555-8555-555555555555"
			var msgs []twin.Message
			for i := range n / 2 {
				msgs = append(msgs, storetest.Turn(i)...)
			}
			seed, err := s.Append(ctx, twin.Session{ID: id}, msgs, 1<<20)
			if err != nil {
				b.Fatal(err)
			}
			b.ResetTimer()
			for b.Loop() {
				b.StopTimer()
				// Restore the session to n messages so every append sees the same history.
				if err := writeAtomic(s.dir+"/"+id+".json", seed); err != nil {
					b.Fatal(err)
				}
				b.StartTimer()
				if _, err := s.Append(ctx, seed, storetest.Turn(n), 1<<20); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
