package storetest

import (
	"context"
	"testing"

	"github.com/digitaltwin/twin/app/twin"
	"github.com/google/go-cmp/cmp"
)

// testDelete: a deleted session is gone (Get and a second Delete say not found), its neighbours
// are untouched, and a later turn with the same id starts from nothing.
func testDelete(t *testing.T, s twin.Store) {
	ctx := context.Background()
	sid, other := id(8), id(9)
	for _, bad := range []string{"", "../8", "00000000-0000-4000-8000-00000000000Z", id(8) + ".json"} {
		if got, want := twin.ErrorCode(s.Delete(ctx, bad)), twin.CodeInvalidSessionID; got != want {
			t.Errorf("Delete(%q) code = %s, want %s", bad, got, want)
		}
	}
	if got, want := twin.ErrorCode(s.Delete(ctx, sid)), twin.CodeSessionNotFound; got != want {
		t.Fatalf("Delete(unknown) code = %s, want %s", got, want)
	}
	stored, err := s.Append(ctx, twin.Session{ID: sid}, Turn(1), 10)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Append(ctx, stored, Turn(2), 10); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Append(ctx, twin.Session{ID: other}, Turn(3), 10); err != nil {
		t.Fatal(err)
	}

	if err := s.Delete(ctx, sid); err != nil {
		t.Fatalf("Delete: %v", err)
	}
	if _, err := s.Get(ctx, sid); twin.ErrorCode(err) != twin.CodeSessionNotFound {
		t.Fatalf("Get after Delete = %v, want %s", err, twin.CodeSessionNotFound)
	}
	if got, want := twin.ErrorCode(s.Delete(ctx, sid)), twin.CodeSessionNotFound; got != want {
		t.Fatalf("second Delete code = %s, want %s", got, want)
	}
	if diff := cmp.Diff(mustGet(t, s, other).Messages, Turn(3)); diff != "" {
		t.Fatalf("the other session (-got +want):\n%s", diff)
	}

	// A writer still holding the deleted copy re-reads and starts afresh: nothing deleted returns.
	if _, err := s.Append(ctx, stored, Turn(4), 10); err != nil {
		t.Fatalf("Append after Delete: %v", err)
	}
	if diff := cmp.Diff(mustGet(t, s, sid).Messages, Turn(4)); diff != "" {
		t.Fatalf("session after Delete and a new turn (-got +want):\n%s", diff)
	}
}
