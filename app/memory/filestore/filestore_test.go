package filestore

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/digitaltwin/twin/app/memory/storetest"
	"github.com/digitaltwin/twin/app/twin"
)

func TestContract(t *testing.T) {
	storetest.Run(t, func(t *testing.T) twin.Store {
		s, err := New(t.TempDir())
		if err != nil {
			t.Fatal(err)
		}
		return s
	})
}

func TestRejectsPathLikeIDs(t *testing.T) {
	root := t.TempDir()
	dir := filepath.Join(root, "sessions")
	s, err := New(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{"../x", "a/b", "%2e%2e", "..", "", "00000000-0000-4000-8000-00000000000A", "00000000-0000-4000-8000-000000000001/../../x"} {
		if _, err := s.Append(context.Background(), twin.Session{ID: id}, storetest.Turn(1), 10); twin.ErrorCode(err) != twin.CodeInvalidSessionID {
			t.Errorf("Append(%q) = %v, want invalid_session_id", id, err)
		}
		if _, err := s.Get(context.Background(), id); twin.ErrorCode(err) != twin.CodeInvalidSessionID {
			t.Errorf("Get(%q) = %v, want invalid_session_id", id, err)
		}
	}
	entries, _ := os.ReadDir(root)
	if len(entries) != 1 {
		t.Fatalf("files outside the memory dir: %v", entries)
	}
}

func TestCorruptFileIsNeverOverwritten(t *testing.T) {
	dir := t.TempDir()
	s, err := New(dir)
	if err != nil {
		t.Fatal(err)
	}
	id := "00000000-0000-4000-8000-000000000009"
	path := filepath.Join(dir, id+".json")
	if err := os.WriteFile(path, []byte(`{"session_id": "trunc`), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Append(context.Background(), twin.Session{ID: id}, storetest.Turn(1), 10); err == nil {
		t.Fatal("Append on a corrupt file succeeded; want an error")
	}
	if data, _ := os.ReadFile(path); string(data) != `{"session_id": "trunc` {
		t.Fatalf("corrupt file was rewritten: %q", data)
	}
}

func TestRecentSessions(t *testing.T) {
	s, err := New(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	ids := []string{"00000000-0000-4000-8000-000000000001", "00000000-0000-4000-8000-000000000002"}
	for _, id := range ids {
		if _, err := s.Append(context.Background(), twin.Session{ID: id}, storetest.Turn(1), 10); err != nil {
			t.Fatal(err)
		}
	}
	old := time.Now().Add(-time.Hour)
	if err := os.Chtimes(filepath.Join(s.dir, ids[0]+".json"), old, old); err != nil {
		t.Fatal(err)
	}
	got, err := s.RecentSessions(context.Background(), 5)
	if err != nil || len(got) != 2 || got[0] != ids[1] || got[1] != ids[0] {
		t.Fatalf("RecentSessions() = %v, %v; want newest first", got, err)
	}
	if got, _ := s.RecentSessions(context.Background(), 1); len(got) != 1 || got[0] != ids[1] {
		t.Fatalf("RecentSessions(1) = %v", got)
	}
}

// oneTurn returns a store in a new folder holding one session with one turn, and that session
// as Append returned it.
func oneTurn(t *testing.T) (s *Store, dir, id string, base twin.Session) {
	t.Helper()
	dir = t.TempDir()
	s, err := New(dir)
	if err != nil {
		t.Fatal(err)
	}
	id = "00000000-0000-4000-8000-000000000011"
	if base, err = s.Append(context.Background(), twin.Session{ID: id}, storetest.Turn(1), 10); err != nil {
		t.Fatal(err)
	}
	return s, dir, id, base
}

// Append on the session as the store last wrote it does not read the file again: here the file
// is replaced behind the store's back by bytes of the same size and time that do not decode,
// which only a read would notice.
func TestAppendOnCurrentBaseSkipsTheRead(t *testing.T) {
	s, dir, id, base := oneTurn(t)
	ctx := context.Background()
	path := filepath.Join(dir, id+".json")
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, make([]byte, fi.Size()), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Chtimes(path, fi.ModTime(), fi.ModTime()); err != nil {
		t.Fatal(err)
	}
	next, err := s.Append(ctx, base, storetest.Turn(2), 10)
	if err != nil {
		t.Fatalf("Append on the current base read the file: %v", err)
	}
	if got, err := s.Get(ctx, id); err != nil || len(got.Messages) != 4 || got.Version != next.Version {
		t.Fatalf("Get = %d messages, version %q, %v; want 4, %q", len(got.Messages), got.Version, err, next.Version)
	}
}

// A change made outside the store (another size or time) makes Append read the file again, so
// what was written there is kept.
func TestAppendNoticesAChangeOutsideTheStore(t *testing.T) {
	s, dir, id, base := oneTurn(t)
	ctx := context.Background()
	other, err := New(dir) // another process on the same folder
	if err != nil {
		t.Fatal(err)
	}
	if _, err := other.Append(ctx, twin.Session{ID: id}, storetest.Turn(2), 10); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Append(ctx, base, storetest.Turn(3), 10); err != nil {
		t.Fatal(err)
	}
	if got, err := s.Get(ctx, id); err != nil || len(got.Messages) != 6 {
		t.Fatalf("Get = %d messages, %v; want all 6 (the other writer's turn kept)", len(got.Messages), err)
	}
}

// A base read before the session was deleted does not bring the deleted messages back.
func TestAppendAfterDeleteStartsOver(t *testing.T) {
	s, _, id, base := oneTurn(t)
	ctx := context.Background()
	if err := s.Delete(ctx, id); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Append(ctx, base, storetest.Turn(2), 10); err != nil {
		t.Fatal(err)
	}
	if got, err := s.Get(ctx, id); err != nil || len(got.Messages) != 2 {
		t.Fatalf("Get = %d messages, %v; want only the 2 written after the delete", len(got.Messages), err)
	}
}
