package s3blobs_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"testing"

	"github.com/digitaltwin/twin/app/memory/s3store"
	"github.com/digitaltwin/twin/app/owner"
	"github.com/digitaltwin/twin/app/owner/s3blobs"
	"github.com/digitaltwin/twin/app/twin"
	"github.com/digitaltwin/twin/app/twintest/fakeaws"
)

const bucket = "memory"

// instance is one Lambda execution environment's owner service: its own S3 client and state,
// the shared bucket.
func instance(t testing.TB, srv *fakeaws.S3, perClient int) (*owner.Service, *s3store.Store) {
	t.Helper()
	client := srv.Client(t)
	store := s3store.New(client, bucket, "sessions/")
	return &owner.Service{
		Blobs: s3blobs.New(client, bucket), Sessions: store, Recent: store,
		Logger: slog.New(slog.DiscardHandler), PerClientPerDay: perClient,
	}, store
}

func sessionID(n int) string { return fmt.Sprintf("00000000-0000-4000-8000-%012d", n) }

// TestSummaryOnS3: "what visitors ask most" works on the S3 store (no file-store-only lister),
// counts questions and not statements, and the summary's requests do not grow with records.
func TestSummaryOnS3(t *testing.T) {
	srv := fakeaws.NewS3(t, bucket)
	svc, store := instance(t, srv, 0)
	ctx := context.Background()
	for i, msgs := range [][]string{
		{"Where do you live?", "Please pass on my email: bob@example.com"},
		{"where do you live", "Thanks, that's all."},
		{"What do you build?"},
	} {
		var turn []twin.Message
		for _, m := range msgs {
			turn = append(turn, twin.Message{Role: twin.RoleUser, Content: m}, twin.Message{Role: twin.RoleAssistant, Content: "ok"})
		}
		if _, err := store.Append(ctx, twin.Session{ID: sessionID(i)}, turn, 100); err != nil {
			t.Fatal(err)
		}
	}
	record := func(n int) {
		for i := range n {
			if _, err := svc.RecordQuestion(ctx, owner.Question{SessionID: sessionID(i % 3), Question: fmt.Sprintf("question %d?", i)}); err != nil {
				t.Fatal(err)
			}
		}
	}
	summaryGETs := func() int {
		srv.ResetCounts()
		sum, err := svc.Summary(ctx)
		if err != nil {
			t.Fatal(err)
		}
		want := []owner.Count{{Text: "where do you live", Count: 2}, {Text: "what do you build", Count: 1}}
		if fmt.Sprint(sum.TopQuestions) != fmt.Sprint(want) {
			t.Fatalf("top questions %+v, want %+v", sum.TopQuestions, want)
		}
		return srv.Count("GET")
	}
	record(10)
	before := summaryGETs()
	record(30)
	if after := summaryGETs(); after != before {
		t.Fatalf("the summary made %d GETs with 10 records and %d with 40: it reads records one by one", before, after)
	}
}

// TestTotalsHoldAcrossInstances: two instances recording at once never lose each other's counts
// (the running totals are written with If-Match / If-None-Match and retried on 412).
func TestTotalsHoldAcrossInstances(t *testing.T) {
	srv := fakeaws.NewS3(t, bucket)
	a, store := instance(t, srv, 0)
	b, _ := instance(t, srv, 0)
	ctx := context.Background()
	const n = 24
	for i := range n {
		if _, err := store.Append(ctx, twin.Session{ID: sessionID(i)}, []twin.Message{
			{Role: twin.RoleUser, Content: "hi"}, {Role: twin.RoleAssistant, Content: "hello", ID: "msg-1"},
		}, 10); err != nil {
			t.Fatal(err)
		}
	}
	var wg sync.WaitGroup
	for i := range n {
		svc := []*owner.Service{a, b}[i%2]
		wg.Go(func() {
			if _, err := svc.RecordQuestion(ctx, owner.Question{SessionID: sessionID(i), Question: "Do you have pets?"}); err != nil {
				t.Error(err)
			}
			rating := []owner.Rating{owner.RatingUp, owner.RatingDown}[i%2]
			if _, err := svc.RecordFeedback(ctx, owner.Feedback{SessionID: sessionID(i), MessageID: "msg-1", Rating: rating}); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	sum, err := a.Summary(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if sum.UnansweredQuestions != n || len(sum.Unanswered) != n || sum.TopUnanswered[0].Count != n ||
		sum.ThumbsUp != n/2 || sum.ThumbsDown != n/2 || len(sum.RecentFeedback) != n {
		t.Fatalf("totals after %d questions and ratings from two instances: %d questions (%d open, top %+v), up %d, down %d, %d recent",
			n, sum.UnansweredQuestions, len(sum.Unanswered), sum.TopUnanswered, sum.ThumbsUp, sum.ThumbsDown, len(sum.RecentFeedback))
	}
}

// TestPerClientCapAcrossInstances: one client address gets its daily allowance of records across
// new conversations and instances, and no more; another address is unaffected.
func TestPerClientCapAcrossInstances(t *testing.T) {
	srv := fakeaws.NewS3(t, bucket)
	const perDay = 5
	a, _ := instance(t, srv, perDay)
	b, _ := instance(t, srv, perDay)
	flood := owner.WithClient(context.Background(), "203.0.113.7")
	stored, capped := 0, 0
	for i := range 3 * perDay {
		svc := []*owner.Service{a, b}[i%2]
		_, err := svc.RecordLead(flood, owner.Lead{SessionID: sessionID(i), Email: fmt.Sprintf("v%d@example.com", i)})
		switch {
		case err == nil:
			stored++
		case errors.Is(err, owner.ErrCapReached) && twin.ErrorCode(err) == twin.CodeRateLimited:
			capped++
		default:
			t.Fatal(err)
		}
	}
	if stored != perDay || capped != 2*perDay {
		t.Fatalf("stored %d, capped %d; want %d stored", stored, capped, perDay)
	}
	other := owner.WithClient(context.Background(), "198.51.100.1")
	if _, err := b.RecordLead(other, owner.Lead{SessionID: sessionID(99), Email: "ada@example.com"}); err != nil {
		t.Fatalf("another address: %v", err)
	}
	sum, err := a.Summary(context.Background())
	if err != nil || sum.Leads != perDay+1 {
		t.Fatalf("summary: %d leads, %v; want %d", sum.Leads, err, perDay+1)
	}
}
