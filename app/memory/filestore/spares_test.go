package filestore

import (
	"context"
	"encoding/json"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"

	"github.com/digitaltwin/twin/app/memory/storetest"
	"github.com/digitaltwin/twin/app/twin"
)

const sid = "00000000-0000-4000-8000-0000000000aa"

// inodes returns the inode of every file in dir.
func inodes(t *testing.T, dir string) map[uint64]string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	out := map[uint64]string{}
	for _, e := range entries {
		fi, err := e.Info()
		if err != nil {
			t.Fatal(err)
		}
		st, ok := fi.Sys().(*syscall.Stat_t)
		if !ok {
			t.Skip("no inode numbers on this system")
		}
		out[st.Ino] = e.Name()
	}
	return out
}

// appendTurns appends n turns to one session, each on the session the last one returned, as a
// chat turn does.
func appendTurns(t *testing.T, s *Store, id string, n int) twin.Session {
	t.Helper()
	var sess twin.Session
	sess.ID = id
	for i := range n {
		var err error
		if sess, err = s.Append(context.Background(), sess, storetest.Turn(i), 1000); err != nil {
			t.Fatal(err)
		}
	}
	return sess
}

// A write swaps a spare with the session's file: after the session's first two writes, no write
// makes or frees an inode (each costs a scan of recently freed inodes on some ext4 file systems,
// docs/decisions/0032). The old store made one and freed one per write.
func TestWritesReuseInodes(t *testing.T) {
	dir := t.TempDir()
	s, err := New(dir)
	if err != nil {
		t.Fatal(err)
	}
	appendTurns(t, s, sid, 2)
	before := inodes(t, dir)
	sess := appendTurns(t, s, sid, 20)
	after := inodes(t, dir)
	if len(after) != 2 {
		t.Fatalf("files after 22 writes: %v, want the session and one spare", after)
	}
	for ino, name := range after {
		if _, ok := before[ino]; !ok {
			t.Errorf("%s is a new inode: a write made a file", name)
		}
	}
	got, err := s.Get(context.Background(), sid)
	if err != nil || len(got.Messages) != len(sess.Messages) || len(got.Messages) != 44 {
		t.Fatalf("Get = %d messages, %v; want 44", len(got.Messages), err)
	}
}

// Deleting a conversation removes the spares holding its earlier versions: no file in the folder
// keeps its words.
func TestDeleteLeavesNoEarlierVersion(t *testing.T) {
	dir := t.TempDir()
	s, err := New(dir)
	if err != nil {
		t.Fatal(err)
	}
	other := "00000000-0000-4000-8000-0000000000bb"
	appendTurns(t, s, sid, 3)
	appendTurns(t, s, other, 3)
	if err := s.Delete(context.Background(), sid); err != nil {
		t.Fatal(err)
	}
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		data, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(string(data), sid) {
			t.Errorf("%s still holds a version of the deleted conversation", e.Name())
		}
	}
	if got, err := s.Get(context.Background(), other); err != nil || len(got.Messages) != 6 {
		t.Fatalf("the other conversation: %d messages, %v", len(got.Messages), err)
	}
}

// Spares and temporary files a previous process left (they may hold versions of conversations
// deleted since) are removed when the store opens; sessions stay.
func TestOpenRemovesLeftSpares(t *testing.T) {
	dir := t.TempDir()
	for _, name := range []string{".spare-123", ".tmp-456.json"} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(`{"session_id":"`+sid+`"}`), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	s, err := New(dir)
	if err != nil {
		t.Fatal(err)
	}
	appendTurns(t, s, sid, 1)
	s2, err := New(dir)
	if err != nil {
		t.Fatal(err)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 || entries[0].Name() != sid+".json" {
		t.Fatalf("after opening: %v, want only the session", entries)
	}
	if got, err := s2.Get(context.Background(), sid); err != nil || len(got.Messages) != 2 {
		t.Fatalf("Get = %d messages, %v", len(got.Messages), err)
	}
}

// A first write never replaces a file another process made meanwhile: it reports fs.ErrExist
// (Append then reads that file and builds on it) and leaves the file alone.
func TestFirstWriteNeverReplaces(t *testing.T) {
	dir := t.TempDir()
	s, err := New(dir)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, sid+".json")
	theirs := `{"session_id":"` + sid + `","messages":[]}`
	if err := os.WriteFile(path, []byte(theirs), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err = s.spares.write(path, twin.Session{ID: sid}, false)
	if !errors.Is(err, fs.ErrExist) {
		t.Fatalf("write over a file made meanwhile = %v, want fs.ErrExist", err)
	}
	if data, _ := os.ReadFile(path); string(data) != theirs {
		t.Fatalf("the other process's file was replaced: %s", data)
	}
}

// Readers never see half a file: a reader running beside 300 writes of one session decodes
// every version it opens, and the history it sees only grows.
func TestReadersSeeWholeVersions(t *testing.T) {
	s, err := New(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	appendTurns(t, s, sid, 1)
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		defer close(done)
		appendTurns(t, s, sid, 150)
	})
	seen, reads := 0, 0
	for running := true; running; reads++ {
		select {
		case <-done:
			running = false
		default:
		}
		got, err := s.Get(context.Background(), sid)
		if err != nil {
			t.Fatalf("read %d: %v", reads, err)
		}
		if len(got.Messages) < seen {
			t.Fatalf("read %d: %d messages after %d", reads, len(got.Messages), seen)
		}
		seen = len(got.Messages)
	}
	wg.Wait()
	if seen != 302 {
		t.Fatalf("last read saw %d messages, want 302", seen)
	}
}

// Where renameat2's flags are missing (another OS, a file system without them), a write is a
// plain rename of a new file over the old one, as before, and every message is kept.
func TestWithoutRename2(t *testing.T) {
	oldSwap, oldLink := swap, link
	t.Cleanup(func() { swap, link = oldSwap, oldLink })
	swap = func(_, _ string) error { return errNoRename2 }
	link = swap
	dir := t.TempDir()
	s, err := New(dir)
	if err != nil {
		t.Fatal(err)
	}
	appendTurns(t, s, sid, 5)
	data, err := os.ReadFile(filepath.Join(dir, sid+".json"))
	if err != nil {
		t.Fatal(err)
	}
	var sess twin.Session
	if err := json.Unmarshal(data, &sess); err != nil || len(sess.Messages) != 10 {
		t.Fatalf("stored %d messages, %v; want 10", len(sess.Messages), err)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 1 {
		t.Fatalf("files left: %v", entries)
	}
}

// A spare that held a longer conversation is cut to the new version's length: a short session
// written into the spare a long one left decodes whole.
func TestSpareIsCutToTheNewVersion(t *testing.T) {
	s, err := New(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	appendTurns(t, s, "00000000-0000-4000-8000-0000000000cc", 30) // leaves a long spare
	appendTurns(t, s, sid, 1)                                     // its first write takes it
	got, err := s.Get(context.Background(), sid)
	if err != nil || len(got.Messages) != 2 {
		t.Fatalf("Get = %d messages, %v; want 2", len(got.Messages), err)
	}
}
