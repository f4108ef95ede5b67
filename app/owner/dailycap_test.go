package owner

import (
	"context"
	"log/slog"
	"strings"
	"testing"
	"time"
)

// TestDailyCapHoldsAcrossInstancesWithOneDigest: two instances share one daily budget through
// the blob store; past it, events are counted, and the next day exactly one of them sends one
// digest of what was held.
func TestDailyCapHoldsAcrossInstancesWithOneDigest(t *testing.T) {
	dir := t.TempDir()
	pub := &fakePublisher{}
	clock := time.Date(2026, 12, 4, 9, 0, 0, 0, time.UTC)
	newInstance := func() *Notifier {
		n := NewNotifier(pub, time.Hour, time.Second, slog.New(slog.DiscardHandler), nil, NewDailyCap(NewDirBlobs(dir), 2))
		n.now = func() time.Time { return clock }
		return n
	}
	a, b := newInstance(), newInstance()
	ctx := context.Background()
	for i := range 5 {
		n := []*Notifier{a, b}[i%2]
		n.Add(question("flood"))
		n.Add(Event{Kind: EventLead, Fields: []Field{{"email", "v@example.com"}}})
		n.Flush(ctx)
	}
	if pub.count() != 2 {
		t.Fatalf("%d notifications on the day, want the cap of 2", pub.count())
	}
	clock = clock.Add(24 * time.Hour)
	a.FlushDue(ctx)
	b.FlushDue(ctx)
	if pub.count() != 3 {
		t.Fatalf("%d notifications after the day, want the 2 and one digest", pub.count())
	}
	if s, body := pub.subjects[2], pub.bodies[2]; s != "Your digital twin: daily digest" ||
		!strings.Contains(body, "2026-12-04: the daily limit of 2 notifications was reached; 3 new contact requests, 3 unanswered questions were recorded after it.") {
		t.Fatalf("digest %q:\n%s", s, body)
	}
	// The new day has its own budget.
	b.Add(question("a new day"))
	b.Flush(ctx)
	if pub.count() != 4 {
		t.Fatalf("%d notifications, want the new day's first to go out", pub.count())
	}
}
