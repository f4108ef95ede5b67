package main

import (
	"bufio"
	"context"
	"net/http"
	"slices"
	"testing"
	"time"
)

// BenchmarkFunctionURLChunk measures the function URL front's cost per streamed chunk: the
// handler writes and flushes one SSE event of a typical size, the runtime side reads it out of
// the streaming response. It reports the p50 and p99 latency from Write to the reader seeing the
// chunk, which is what the proxy adds to every token.
func BenchmarkFunctionURLChunk(b *testing.B) {
	frame := []byte(`data: {"type":"text-delta","id":"text-1","delta":" compilers"}` + "\n\n")
	sent := make(chan time.Time, 1)
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/event-stream")
		rc := http.NewResponseController(w)
		for range b.N {
			sent <- time.Now()
			_, _ = w.Write(frame)
			if err := rc.Flush(); err != nil {
				b.Error(err)
				return
			}
		}
	})
	resp, err := FunctionURL(h)(context.Background(), functionURLEvent("POST", "/api/chat/stream", `{}`))
	if err != nil {
		b.Fatal(err)
	}
	br := bufio.NewReaderSize(resp, 64<<10)
	if _, err := br.ReadSlice(0); err != nil { // prelude up to the 8 NUL bytes
		b.Fatal(err)
	}
	if _, err := br.Discard(7); err != nil {
		b.Fatal(err)
	}
	lat := make([]time.Duration, 0, b.N)
	buf := make([]byte, len(frame))
	b.SetBytes(int64(len(frame)))
	b.ResetTimer()
	for range b.N {
		t0 := <-sent
		if _, err := readFull(br, buf); err != nil {
			b.Fatal(err)
		}
		lat = append(lat, time.Since(t0))
	}
	b.StopTimer()
	slices.Sort(lat)
	b.ReportMetric(float64(lat[len(lat)/2].Nanoseconds()), "p50-ns/chunk")
	b.ReportMetric(float64(lat[len(lat)*99/100].Nanoseconds()), "p99-ns/chunk")
}

func readFull(r *bufio.Reader, buf []byte) (int, error) {
	n := 0
	for n < len(buf) {
		m, err := r.Read(buf[n:])
		n += m
		if err != nil {
			return n, err
		}
	}
	return n, nil
}
