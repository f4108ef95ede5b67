package s3store_test

import (
	"context"
	"fmt"
	"net/http"
	"testing"

	"github.com/digitaltwin/twin/app/memory/s3store"
	"github.com/digitaltwin/twin/app/twin"
	"github.com/digitaltwin/twin/app/twintest/fakeaws"
)

// BenchmarkTurn is one chat turn's storage work on S3 (the core's Get, the Append of the
// visitor's message when the turn starts, then the Append of the reply on top of it) through the
// real SDK client against gofakes3, on a session already holding history messages. It reports
// the requests per turn counted at the fake.
func BenchmarkTurn(b *testing.B) {
	for _, history := range []int{10, 400} {
		b.Run(fmt.Sprintf("history=%d", history), func(b *testing.B) {
			srv := fakeaws.NewS3(b, bucket)
			st := s3store.New(srv.Client(b), bucket, prefix)
			ctx := context.Background()
			var msgs []twin.Message
			for i := range history / 2 {
				msgs = append(msgs, turn(i)...)
			}
			if _, err := st.Append(ctx, twin.Session{ID: sid}, msgs, 1<<20); err != nil {
				b.Fatal(err)
			}
			srv.ResetCounts()
			b.ResetTimer()
			for i := range b.N {
				base, err := st.Get(ctx, sid)
				if err != nil {
					b.Fatal(err)
				}
				base.Messages = base.Messages[:history] // keep the session size constant
				msgs := turn(i)
				asked, err := st.Append(ctx, base, msgs[:1], 1<<20)
				if err != nil {
					b.Fatal(err)
				}
				if _, err := st.Append(ctx, asked, msgs[1:], 1<<20); err != nil {
					b.Fatal(err)
				}
			}
			b.StopTimer()
			b.ReportMetric(float64(srv.Count(http.MethodGet))/float64(b.N), "GET/turn")
			b.ReportMetric(float64(srv.Count(http.MethodPut))/float64(b.N), "PUT/turn")
		})
	}
}
