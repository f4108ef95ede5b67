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
