// Package storetest is the contract every twin.Store must pass: file, in-memory and S3 stores
// run the same tests through Run.
package storetest

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/digitaltwin/twin/app/twin"
	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"pgregory.net/rapid"
)

// NewStore returns a fresh, empty store for one test.
type NewStore func(t *testing.T) twin.Store

// Run runs the whole contract against stores made by newStore.
func Run(t *testing.T, newStore NewStore) {
	t.Run("GetUnknown", func(t *testing.T) { testGetUnknown(t, newStore(t)) })
	t.Run("AppendThenGet", func(t *testing.T) { testAppendThenGet(t, newStore(t)) })
	t.Run("StaleBaseReapplies", func(t *testing.T) { testStaleBase(t, newStore(t)) })
	t.Run("Limit", func(t *testing.T) { testLimit(t, newStore(t)) })
	t.Run("Isolation", func(t *testing.T) { testIsolation(t, newStore(t)) })
	t.Run("ConcurrentAppends", func(t *testing.T) { testConcurrent(t, newStore(t), 20) })
	t.Run("RoundTripProperty", func(t *testing.T) { testRoundTripProperty(t, newStore) })
	t.Run("ReplyFollowsItsQuestion", func(t *testing.T) { testReplyPlacement(t, newStore(t)) })
	t.Run("Delete", func(t *testing.T) { testDelete(t, newStore(t)) })
}

// testReplyPlacement stores two questions, then their replies in the other order: each reply is
// placed right after its question (and the replies already following it), ids and statuses kept.
func testReplyPlacement(t *testing.T, s twin.Store) {
	ctx := context.Background()
	sid := id(7)
	q := func(n int) twin.Message {
		return twin.Message{ID: fmt.Sprintf("msg-q%d", n), Role: twin.RoleUser, Content: fmt.Sprintf("question %d", n), Timestamp: ts0.Add(time.Duration(n) * time.Second), Status: twin.StatusComplete}
	}
	a := func(n int, status twin.Status) twin.Message {
		return twin.Message{ID: fmt.Sprintf("msg-a%d-%s", n, status), Role: twin.RoleAssistant, Content: fmt.Sprintf("answer %d", n),
			Timestamp: ts0.Add(time.Duration(n)*time.Second + time.Millisecond), Status: status, ReplyTo: fmt.Sprintf("msg-q%d", n)}
	}
	steps := [][]twin.Message{{q(1)}, {q(2)}, {a(2, twin.StatusComplete)}, {a(1, twin.StatusFailed)}, {a(1, twin.StatusStopped)}, {a(3, twin.StatusInterrupted)}}
	base := twin.Session{ID: sid}
	for _, msgs := range steps {
		if _, err := s.Append(ctx, base, msgs, 100); err != nil {
			t.Fatalf("Append(%v): %v", msgs, err)
		}
	}
	unplaced := func(m twin.Message) twin.Message { m.ReplyTo = ""; return m }
	want := []twin.Message{q(1), unplaced(a(1, twin.StatusFailed)), unplaced(a(1, twin.StatusStopped)), q(2), unplaced(a(2, twin.StatusComplete)), unplaced(a(3, twin.StatusInterrupted))}
	if diff := cmp.Diff(mustGet(t, s, sid).Messages, want); diff != "" {
		t.Fatalf("stored messages (-got +want):\n%s", diff)
	}
}

var ts0 = time.Date(2026, 11, 27, 10, 0, 0, 123456789, time.UTC)

// Turn returns a user message and a reply, n-th of a session.
func Turn(n int) []twin.Message {
	at := ts0.Add(time.Duration(n) * time.Second)
	return []twin.Message{
		{Role: twin.RoleUser, Content: fmt.Sprintf("question %d", n), Timestamp: at},
		{Role: twin.RoleAssistant, Content: fmt.Sprintf("answer %d", n), Timestamp: at.Add(time.Millisecond)},
	}
}

func id(n int) string { return fmt.Sprintf("00000000-0000-4000-8000-%012d", n) }

func mustGet(t *testing.T, s twin.Store, sid string) twin.Session {
	t.Helper()
	got, err := s.Get(context.Background(), sid)
	if err != nil {
		t.Fatalf("Get(%s): %v", sid, err)
	}
	return got
}

func testGetUnknown(t *testing.T, s twin.Store) {
	_, err := s.Get(context.Background(), id(1))
	if got, want := twin.ErrorCode(err), twin.CodeSessionNotFound; got != want {
		t.Fatalf("Get(unknown) code = %s (%v), want %s", got, err, want)
	}
}

func testAppendThenGet(t *testing.T, s twin.Store) {
	ctx := context.Background()
	sid := id(2)
	odd := twin.Message{Role: twin.RoleUser, Content: "émoji 🙂, quotes \"x\", <b>html</b>, newline\nand tab\t, \u2028", Timestamp: ts0}
	stored, err := s.Append(ctx, twin.Session{ID: sid}, []twin.Message{odd}, 10)
	if err != nil {
		t.Fatalf("Append(new): %v", err)
	}
	if stored.ID != sid || stored.Version == "" || stored.CreatedAt.IsZero() || stored.UpdatedAt.IsZero() {
		t.Fatalf("Append(new) = %+v: want id, version and timestamps set", stored)
	}
	stored, err = s.Append(ctx, stored, Turn(1), 10)
	if err != nil {
		t.Fatalf("Append(existing): %v", err)
	}
	got := mustGet(t, s, sid)
	want := append([]twin.Message{odd}, Turn(1)...)
	if diff := cmp.Diff(got.Messages, want, cmpopts.EquateEmpty()); diff != "" {
		t.Fatalf("stored messages (-got +want):\n%s", diff)
	}
	if !got.CreatedAt.Equal(stored.CreatedAt) || got.Version != stored.Version {
		t.Fatalf("Get = created %v version %q, Append returned created %v version %q", got.CreatedAt, got.Version, stored.CreatedAt, stored.Version)
	}
}

func testStaleBase(t *testing.T, s twin.Store) {
	ctx := context.Background()
	sid := id(3)
	// Two writers both believe the session is new; neither may lose the other's turn.
	if _, err := s.Append(ctx, twin.Session{ID: sid}, Turn(1), 10); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Append(ctx, twin.Session{ID: sid}, Turn(2), 10); err != nil {
		t.Fatalf("Append with stale (empty) base: %v", err)
	}
	first := mustGet(t, s, sid)
	// A writer holding an old version must also re-read and re-apply.
	if _, err := s.Append(ctx, first, Turn(3), 10); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Append(ctx, first, Turn(4), 10); err != nil {
		t.Fatalf("Append with stale version: %v", err)
	}
	var want []twin.Message
	for n := 1; n <= 4; n++ {
		want = append(want, Turn(n)...)
	}
	if diff := cmp.Diff(mustGet(t, s, sid).Messages, want); diff != "" {
		t.Fatalf("stored messages (-got +want):\n%s", diff)
	}
}

func testLimit(t *testing.T, s twin.Store) {
	ctx := context.Background()
	sid := id(4)
	stored, err := s.Append(ctx, twin.Session{ID: sid}, Turn(1), 4)
	if err != nil {
		t.Fatal(err)
	}
	if stored, err = s.Append(ctx, stored, Turn(2), 4); err != nil {
		t.Fatalf("Append up to the limit: %v", err)
	}
	_, err = s.Append(ctx, stored, Turn(3), 4)
	if got, want := twin.ErrorCode(err), twin.CodeSessionFull; got != want {
		t.Fatalf("Append over the limit code = %s (%v), want %s", got, err, want)
	}
	if got := len(mustGet(t, s, sid).Messages); got != 4 {
		t.Fatalf("after refused append: %d messages stored, want 4", got)
	}
}

func testIsolation(t *testing.T, s twin.Store) {
	ctx := context.Background()
	if _, err := s.Append(ctx, twin.Session{ID: id(5)}, Turn(1), 10); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Append(ctx, twin.Session{ID: id(6)}, Turn(2), 10); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(mustGet(t, s, id(5)).Messages, Turn(1)); diff != "" {
		t.Fatalf("session 5 (-got +want):\n%s", diff)
	}
}

// testConcurrent runs n turns at once on one session: all 2n messages arrive, each turn's pair
// adjacent and in order.
func testConcurrent(t *testing.T, s twin.Store, n int) {
	ctx := context.Background()
	sid := id(7)
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i := range n {
		wg.Go(func() {
			base, err := s.Get(ctx, sid)
			if err != nil && twin.ErrorCode(err) != twin.CodeSessionNotFound {
				errs <- err
				return
			}
			base.ID = sid
			if _, err := s.Append(ctx, base, Turn(i), 1000); err != nil {
				errs <- err
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Errorf("concurrent Append: %v", err)
	}
	got := mustGet(t, s, sid).Messages
	if len(got) != 2*n {
		t.Fatalf("stored %d messages after %d concurrent turns, want %d", len(got), n, 2*n)
	}
	seen := map[string]bool{}
	for i := 0; i < len(got); i += 2 {
		q, a := got[i].Content, got[i+1].Content
		var k int
		if _, err := fmt.Sscanf(q, "question %d", &k); err != nil || a != fmt.Sprintf("answer %d", k) || seen[q] {
			t.Fatalf("messages %d,%d = %q,%q: want one turn's question and answer, each turn once", i, i+1, q, a)
		}
		seen[q] = true
	}
}

// testRoundTripProperty: whatever sequence of appends, the stored messages are exactly their
// concatenation, content and order unchanged.
func testRoundTripProperty(t *testing.T, newStore NewStore) {
	s := newStore(t)
	n := 0
	rapid.Check(t, func(rt *rapid.T) {
		n++
		sid := id(1000 + n)
		var want []twin.Message
		batches := rapid.IntRange(1, 5).Draw(rt, "batches")
		base := twin.Session{ID: sid}
		for b := range batches {
			size := rapid.IntRange(1, 3).Draw(rt, "size")
			var msgs []twin.Message
			for i := range size {
				content := rapid.StringN(1, 200, -1).Draw(rt, "content")
				role := rapid.SampledFrom([]twin.Role{twin.RoleUser, twin.RoleAssistant}).Draw(rt, "role")
				msgs = append(msgs, twin.Message{Role: role, Content: content, Timestamp: ts0.Add(time.Duration(b*10+i) * time.Millisecond)})
			}
			stored, err := s.Append(context.Background(), base, msgs, 1000)
			if err != nil {
				rt.Fatalf("Append: %v", err)
			}
			base = stored
			want = append(want, msgs...)
		}
		got, err := s.Get(context.Background(), sid)
		if err != nil {
			rt.Fatalf("Get: %v", err)
		}
		if diff := cmp.Diff(got.Messages, want); diff != "" {
			rt.Fatalf("stored (-got +want):\n%s", diff)
		}
	})
}
