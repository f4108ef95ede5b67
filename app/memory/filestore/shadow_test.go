package filestore

import (
	"context"
	"encoding/json"
	"errors"
	"io"
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

func newStore(t *testing.T) (*Store, string) {
	t.Helper()
	dir := t.TempDir()
	s, err := New(dir)
	if err != nil {
		t.Fatal(err)
	}
	return s, dir
}

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
	sess := twin.Session{ID: id}
	for i := range n {
		var err error
		if sess, err = s.Append(context.Background(), sess, storetest.Turn(i), 1000); err != nil {
			t.Fatal(err)
		}
	}
	return sess
}

func names(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range entries {
		out = append(out, e.Name())
	}
	return out
}

// Past the grace period a write swaps the session's file with its shadow: after the first two
// writes (the file, then its shadow), no write makes or frees an inode (each costs a scan of
// recently freed inodes on ext4 without a journal, docs/decisions/0032). The old store made one
// and freed one per write.
func TestWritesReuseInodes(t *testing.T) {
	s, dir := newStore(t)
	s.grace = 0
	appendTurns(t, s, sid, 2)
	before := inodes(t, dir)
	appendTurns(t, s, sid, 20) // on a new base each time: read, then written
	after := inodes(t, dir)
	if len(after) != 2 {
		t.Fatalf("files after 22 writes: %v, want the session and its shadow", after)
	}
	for ino, name := range after {
		if _, ok := before[ino]; !ok {
			t.Errorf("%s is a new inode: a write made a file", name)
		}
	}
	if got, err := s.Get(context.Background(), sid); err != nil || len(got.Messages) != 44 {
		t.Fatalf("Get = %d messages, %v; want 44", len(got.Messages), err)
	}
}

// Within the grace period the shadow is not refilled: a reader in another process that opened
// the file before two quick writes still reads the whole version it opened.
func TestAnOpenOldVersionIsNotRefilled(t *testing.T) {
	s, dir := newStore(t)
	appendTurns(t, s, sid, 1)
	want, err := os.ReadFile(filepath.Join(dir, sid+".json"))
	if err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(filepath.Join(dir, sid+".json"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sess, _ := s.Get(context.Background(), sid)
	for i := range 3 {
		if sess, err = s.Append(context.Background(), sess, storetest.Turn(i+1), 1000); err != nil {
			t.Fatal(err)
		}
	}
	if got, _ := io.ReadAll(f); string(got) != string(want) {
		t.Fatalf("the version a reader held changed under it:\n%s\nwant\n%s", got, want)
	}
}

// Deleting a conversation removes its shadow too: no file in the folder keeps its words.
func TestDeleteLeavesNoEarlierVersion(t *testing.T) {
	s, dir := newStore(t)
	s.grace = 0
	other := "00000000-0000-4000-8000-0000000000bb"
	appendTurns(t, s, sid, 3)
	appendTurns(t, s, other, 3)
	if err := s.Delete(context.Background(), sid); err != nil {
		t.Fatal(err)
	}
	for _, name := range names(t, dir) {
		data, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(string(data), sid) {
			t.Errorf("%s still holds a version of the deleted conversation", name)
		}
	}
	if got, err := s.Get(context.Background(), other); err != nil || len(got.Messages) != 6 {
		t.Fatalf("the other conversation: %d messages, %v", len(got.Messages), err)
	}
}

// Temporary files and shadows of sessions that are gone (left by an earlier process) are removed
// when the store opens; sessions and their shadows stay.
func TestOpenRemovesWhatWasLeft(t *testing.T) {
	dir := t.TempDir()
	gone := "00000000-0000-4000-8000-0000000000dd"
	for _, name := range []string{".tmp-456", "." + gone + ".prev"} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(`{"session_id":"`+gone+`"}`), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	s, err := New(dir)
	if err != nil {
		t.Fatal(err)
	}
	s.grace = 0
	appendTurns(t, s, sid, 2)
	if _, err := New(dir); err != nil {
		t.Fatal(err)
	}
	if got := names(t, dir); len(got) != 2 || got[0] != "."+sid+".prev" || got[1] != sid+".json" {
		t.Fatalf("after opening: %v, want the session and its shadow", got)
	}
}

// A first write never replaces a file another process made meanwhile: it reports fs.ErrExist
// (Append then reads that file and builds on it) and leaves the file alone.
func TestFirstWriteNeverReplaces(t *testing.T) {
	s, dir := newStore(t)
	path := filepath.Join(dir, sid+".json")
	theirs := `{"session_id":"` + sid + `","messages":[]}`
	if err := os.WriteFile(path, []byte(theirs), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := s.write(s.session(sid), path, twin.Session{ID: sid}, false); !errors.Is(err, fs.ErrExist) {
		t.Fatalf("write over a file made meanwhile = %v, want fs.ErrExist", err)
	}
	if data, _ := os.ReadFile(path); string(data) != theirs {
		t.Fatalf("the other process's file was replaced: %s", data)
	}
	if got := names(t, dir); len(got) != 1 {
		t.Fatalf("files left: %v", got)
	}
}

// Readers never see half a file: a reader running beside 150 writes of one session, swapping
// with no grace, decodes every version it opens, and the history it sees only grows.
func TestReadersSeeWholeVersions(t *testing.T) {
	s, _ := newStore(t)
	s.grace = 0
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

// A shadow longer than the new version (written by hand, or left by another process) is cut to
// it: the file decodes whole.
func TestShadowIsCutToTheNewVersion(t *testing.T) {
	s, dir := newStore(t)
	s.grace = 0
	appendTurns(t, s, sid, 1)
	if err := os.WriteFile(filepath.Join(dir, "."+sid+".prev"), []byte(strings.Repeat("x", 10000)), 0o600); err != nil {
		t.Fatal(err)
	}
	sess, _ := s.Get(context.Background(), sid)
	if _, err := s.Append(context.Background(), sess, storetest.Turn(1), 1000); err != nil {
		t.Fatal(err)
	}
	if got, err := s.Get(context.Background(), sid); err != nil || len(got.Messages) != 4 {
		t.Fatalf("Get = %d messages, %v; want 4", len(got.Messages), err)
	}
}

// A file under one session's name that holds another session is an error, never served.
func TestFileOfAnotherSessionIsRefused(t *testing.T) {
	s, dir := newStore(t)
	other := `{"session_id":"00000000-0000-4000-8000-0000000000bb","messages":[]}`
	if err := os.WriteFile(filepath.Join(dir, sid+".json"), []byte(other), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Get(context.Background(), sid); err == nil || twin.ErrorCode(err) == twin.CodeSessionNotFound {
		t.Fatalf("Get = %v, want an error naming the other session", err)
	}
}

// A new session's file is made without a name and linked into place: no temporary name, no
// rename.
func TestFirstWriteLinksAnUnnamedFile(t *testing.T) {
	renames := 0
	oldLink := link
	t.Cleanup(func() { link = oldLink })
	link = func(a, b string) error { renames++; return oldLink(a, b) }
	probe := t.TempDir()
	if _, err := create(probe, filepath.Join(probe, "probe"), nil); errors.Is(err, errNoTmpfile) {
		t.Skip("no unnamed files here")
	}
	s, dir := newStore(t)
	appendTurns(t, s, sid, 1)
	if renames != 0 {
		t.Errorf("the first write renamed %d files into place, want none", renames)
	}
	if got := names(t, dir); len(got) != 1 || got[0] != sid+".json" {
		t.Fatalf("files: %v", got)
	}
}

// Where unnamed files cannot be made, a new session's file is a temporary file renamed into
// place, which still never replaces a file made meanwhile.
func TestWithoutUnnamedFiles(t *testing.T) {
	oldCreate := create
	t.Cleanup(func() { create = oldCreate })
	create = func(string, string, []byte) (fs.FileInfo, error) { return nil, errNoTmpfile }
	TestFirstWriteNeverReplaces(t)
	s, dir := newStore(t)
	if got := appendTurns(t, s, sid, 3); len(got.Messages) != 6 {
		t.Fatalf("stored %d messages, want 6", len(got.Messages))
	}
	if got := names(t, dir); len(got) != 2 {
		t.Fatalf("files left: %v, want the session and its shadow", got)
	}
}

// Where renameat2's flags are missing (another OS, a file system without them), a write is a
// plain rename over the old file, and every message is kept.
func TestWithoutRename2(t *testing.T) {
	oldSwap, oldLink := swap, link
	t.Cleanup(func() { swap, link = oldSwap, oldLink })
	swap = func(_, _ string) error { return errNoRename2 }
	link = swap
	for _, grace := range []bool{false, true} {
		s, dir := newStore(t)
		if !grace {
			s.grace = 0
		}
		appendTurns(t, s, sid, 5)
		data, err := os.ReadFile(filepath.Join(dir, sid+".json"))
		if err != nil {
			t.Fatal(err)
		}
		var sess twin.Session
		if err := json.Unmarshal(data, &sess); err != nil || len(sess.Messages) != 10 {
			t.Fatalf("grace %v: stored %d messages, %v; want 10", grace, len(sess.Messages), err)
		}
		if got := names(t, dir); len(got) != 1 {
			t.Fatalf("grace %v: files left: %v", grace, got)
		}
	}
}

// A turn's two writes (the question, then the reply right after) free no inode even within the
// grace period: the reply's write makes the session's shadow, which nobody can be reading, and
// the question's version moves into it.
func TestATurnsTwoWritesFreeNoInode(t *testing.T) {
	s, dir := newStore(t)
	turn := storetest.Turn(0)
	asked, err := s.Append(context.Background(), twin.Session{ID: sid}, turn[:1], 10)
	if err != nil {
		t.Fatal(err)
	}
	first := inodes(t, dir)
	if _, err := s.Append(context.Background(), asked, turn[1:], 10); err != nil {
		t.Fatal(err)
	}
	after := inodes(t, dir)
	for ino := range first {
		if after[ino] != "."+sid+".prev" {
			t.Fatalf("the question's file (inode %d) is %q after the reply, want the shadow: %v", ino, after[ino], after)
		}
	}
	if len(after) != 2 {
		t.Fatalf("files: %v, want the session and its shadow", after)
	}
}
