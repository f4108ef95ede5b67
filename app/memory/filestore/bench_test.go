package filestore

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/digitaltwin/twin/app/memory/storetest"
	"github.com/digitaltwin/twin/app/twin"
)

// BenchmarkAppend measures appending one turn to a session that already holds n messages: the
// cost must grow with the file (one write), not faster. base=current appends on the session Get
// returned, as a turn does (no second read); base=stale on an old version of it, which is read
// again first.
func BenchmarkAppend(b *testing.B) {
	for _, n := range []int{10, 400} {
		for _, stale := range []bool{false, true} {
			b.Run(fmt.Sprintf("history=%d/base=%s", n, map[bool]string{false: "current", true: "stale"}[stale]), func(b *testing.B) {
				benchAppend(b, n, stale)
			})
		}
	}
}

func benchAppend(b *testing.B, n int, stale bool) {
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
	for b.Loop() {
		b.StopTimer()
		// Restore the session to n messages so every append sees the same history.
		if err := s.Delete(ctx, id); err != nil {
			b.Fatal(err)
		}
		base, err := s.Append(ctx, twin.Session{ID: id}, seed.Messages, 1<<20)
		if err != nil {
			b.Fatal(err)
		}
		if stale {
			base.Version = "stale"
		}
		b.StartTimer()
		if _, err := s.Append(ctx, base, storetest.Turn(n), 1<<20); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkTurnWrites is the floor a turn's storage puts under the local server: the two writes
// of a new session's turn (the question, then the reply on top of it), from many goroutines into
// one folder, with nothing else running. It reports turns/s.
func BenchmarkTurnWrites(b *testing.B) {
	s, err := New(b.TempDir())
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	turn := storetest.Turn(0)
	var seq atomic.Int64
	b.SetParallelism(8)
	start := time.Now()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			id := fmt.Sprintf("66666666-6666-4666-8666-%012d", seq.Add(1))
			asked, err := s.Append(ctx, twin.Session{ID: id}, turn[:1], 10)
			if err == nil {
				_, err = s.Append(ctx, asked, turn[1:], 10)
			}
			if err != nil {
				b.Fatal(err)
			}
		}
	})
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "turns/s")
}
