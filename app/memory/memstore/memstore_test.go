package memstore

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/digitaltwin/twin/app/memory/storetest"
	"github.com/digitaltwin/twin/app/twin"
)

func TestContract(t *testing.T) {
	storetest.Run(t, func(*testing.T) twin.Store { return New() })
}

// RecentSessions lists every session once, newest write first, and honours the limit.
func TestRecentSessions(t *testing.T) {
	ctx := context.Background()
	s := New()
	ids := []string{"00000000-0000-4000-8000-000000000001", "00000000-0000-4000-8000-000000000002", "00000000-0000-4000-8000-000000000003"}
	for _, id := range append(ids, ids[0]) { // the first is written again: the newest
		if _, err := s.Append(ctx, twin.Session{ID: id}, storetest.Turn(1), 10); err != nil {
			t.Fatal(err)
		}
	}
	got, err := s.RecentSessions(ctx, 5)
	if err != nil || len(got) != len(ids) {
		t.Fatalf("RecentSessions(5) = %v, %v; want the %d sessions", got, err, len(ids))
	}
	if !slices.Equal(slices.Sorted(slices.Values(got)), ids) {
		t.Errorf("RecentSessions(5) = %v; want each of %v once", got, ids)
	}
	var prev time.Time
	for i, id := range got {
		sess, err := s.Get(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		if i > 0 && sess.UpdatedAt.After(prev) {
			t.Errorf("RecentSessions(5) = %v: %s was written after the one before it", got, id)
		}
		prev = sess.UpdatedAt
	}
	if got, err := s.RecentSessions(ctx, 1); err != nil || len(got) != 1 {
		t.Errorf("RecentSessions(1) = %v, %v; want one id", got, err)
	}
}
