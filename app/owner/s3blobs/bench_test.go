package s3blobs_test

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/digitaltwin/twin/app/owner"
	"github.com/digitaltwin/twin/app/twin"
	"github.com/digitaltwin/twin/app/twintest/fakeaws"
)

// benchRecords is the deployment size the owner summary must stay fast at.
const benchRecords = 10_000

// seed stores benchRecords owner records (40 % leads, 40 % questions, 20 % ratings) and 100
// conversations in the fake bucket, as a deployment that has been running for a while.
func seed(b *testing.B, srv *fakeaws.S3) *owner.Service {
	b.Helper()
	svc, store := instance(b, srv, 0)
	ctx := context.Background()
	for i := range 100 {
		if _, err := store.Append(ctx, twin.Session{ID: sessionID(i)}, []twin.Message{
			{Role: twin.RoleUser, Content: fmt.Sprintf("What do you think about topic %d?", i%7)},
			{Role: twin.RoleAssistant, Content: "I think it is fine.", ID: "msg-1"},
		}, 10); err != nil {
			b.Fatal(err)
		}
	}
	at := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	keys := make(chan int)
	var wg sync.WaitGroup
	for range 16 {
		wg.Go(func() {
			for i := range keys {
				sid, ts := sessionID(i%5000), at.Add(time.Duration(i)*time.Minute)
				var key string
				var rec any
				switch {
				case i%5 < 2:
					key, rec = fmt.Sprintf("leads/%s/%08d.json", sid, i), owner.Lead{SessionID: sid, Email: fmt.Sprintf("v%d@example.com", i), Timestamp: ts}
				case i%5 < 4:
					key, rec = fmt.Sprintf("questions/%s/%08d.json", sid, i), owner.Question{ID: fmt.Sprintf("%08d", i), SessionID: sid, Question: fmt.Sprintf("question %d?", i%300), Timestamp: ts}
				default:
					key, rec = fmt.Sprintf("feedback/%s/m%d.json", sid, i), owner.Feedback{SessionID: sid, MessageID: fmt.Sprintf("m%d", i), Rating: owner.RatingDown, Timestamp: ts}
				}
				data, _ := json.Marshal(rec)
				if err := svc.Blobs.Put(ctx, key, data); err != nil {
					b.Error(err)
				}
			}
		})
	}
	for i := range benchRecords {
		keys <- i
	}
	close(keys)
	wg.Wait()
	return svc
}

// BenchmarkOwnerSummary10k is the owner summary at 10,000 records on the S3 fake: one GET of
// the running totals (plus the 100 most recent conversations for "what visitors ask most").
func BenchmarkOwnerSummary10k(b *testing.B) {
	srv := fakeaws.NewS3(b, bucket)
	svc := seed(b, srv)
	if _, err := svc.Summary(context.Background()); err != nil { // builds and stores the index once
		b.Fatal(err)
	}
	srv.ResetCounts()
	for b.Loop() {
		sum, err := svc.Summary(context.Background())
		if err != nil || sum.Leads != 4000 || sum.UnansweredQuestions != 4000 || sum.ThumbsDown != 2000 {
			b.Fatalf("summary: %d leads, %d questions, %d down, %v", sum.Leads, sum.UnansweredQuestions, sum.ThumbsDown, err)
		}
	}
	b.ReportMetric(float64(srv.Count("GET"))/float64(b.N), "GETs/op")
}

// BenchmarkOwnerSummary10kNoIndex is the same summary without the running totals: one GET per
// record, as the summary used to work (and as a lost index is rebuilt, once).
func BenchmarkOwnerSummary10kNoIndex(b *testing.B) {
	srv := fakeaws.NewS3(b, bucket)
	svc := seed(b, srv)
	svc.Blobs = noIndex{svc.Blobs}
	srv.ResetCounts()
	for b.Loop() {
		if _, err := svc.Summary(context.Background()); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(srv.Count("GET"))/float64(b.N), "GETs/op")
}

// noIndex never finds or keeps the running totals, so every summary rebuilds them.
type noIndex struct{ owner.Blobs }

func (n noIndex) Get(ctx context.Context, key string) ([]byte, string, error) {
	if key == "owner/index.json" {
		return nil, "", fmt.Errorf("%s: %w", key, owner.ErrNoBlob)
	}
	return n.Blobs.Get(ctx, key)
}

func (noIndex) PutIf(context.Context, string, []byte, string) error { return nil }
