// Package filestore keeps conversations as one JSON file per session in a directory
// ({dir}/{session_id}.json; docs/decisions/0002). A write fills the session's shadow file and
// swaps it with the session's file in one atomic rename, under a per-session lock, so a reader
// never sees half a file and concurrent turns never lose each other's messages
// (docs/decisions/0032).
//
// A session's Version names what was read or written: the session's write count in this process
// and the file's size and modification time. Append starts from its base without reading the
// file again when the base's Version is still the file's (one stat instead of a read and a
// decode: docs/decisions/0031-file-store-hot-path.md); any other base is re-read.
package filestore

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/digitaltwin/twin/app/memory"
	"github.com/digitaltwin/twin/app/twin"
)

// Store is the local file store.
type Store struct {
	dir   string
	now   func() time.Time
	locks sync.Map // session id → *session
	grace time.Duration
}

// session serializes a session's writes and counts them.
type session struct {
	mu sync.Mutex
	// writes counts the session's writes and deletes in this process; it moves after the file
	// has changed, so a Version that still carries the current count names the current file.
	writes atomic.Uint64
	// swapped is when the session's shadow last took its file's place (under mu): the shadow is
	// not refilled until the grace period has passed since.
	swapped time.Time
}

func (s *Store) session(id string) *session {
	e, _ := s.locks.LoadOrStore(id, new(session))
	return e.(*session)
}

// writes is the session's write count, without adding an entry for a session never written.
func (s *Store) writes(id string) uint64 {
	if e, ok := s.locks.Load(id); ok {
		return e.(*session).writes.Load()
	}
	return 0
}

// version names a stored file: the session's write count when it was read or written, and the
// file's size and modification time (which also catch a change made outside this process).
func version(writes uint64, fi fs.FileInfo) string {
	return strconv.FormatUint(writes, 36) + "-" + strconv.FormatInt(fi.Size(), 36) + "-" + strconv.FormatInt(fi.ModTime().UnixNano(), 36)
}

var _ twin.Store = (*Store)(nil)

// New returns a store in dir, creating it if needed.
func New(dir string) (*Store, error) {
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return nil, fmt.Errorf("create memory dir %q: %w", dir, err)
	}
	if err := tidy(dir); err != nil {
		return nil, err
	}
	return &Store{dir: dir, now: time.Now, grace: shadowGrace}, nil
}

// path returns the session's file. Ids are validated first, so no id can leave dir.
func (s *Store) path(id string) (string, error) {
	if !twin.ValidSessionID(id) {
		return "", twin.Errorf(twin.CodeInvalidSessionID, "session_id must be a lowercase UUID")
	}
	return filepath.Join(s.dir, id+".json"), nil
}

// Get reads a session.
func (s *Store) Get(_ context.Context, id string) (twin.Session, error) {
	path, err := s.path(id)
	if err != nil {
		return twin.Session{}, err
	}
	// A write of this session in this process waits for the read; the shadow grace covers a
	// writer that starts after the read began.
	if e, ok := s.locks.Load(id); ok {
		e.(*session).mu.Lock()
		defer e.(*session).mu.Unlock()
	}
	writes := s.writes(id)
	sess, fi, err := read(path)
	if err != nil {
		return twin.Session{}, err
	}
	sess.Version = version(writes, fi)
	return sess, nil
}

// RecentSessions returns the ids of the limit most recently written sessions, newest first.
func (s *Store) RecentSessions(_ context.Context, limit int) ([]string, error) {
	entries, err := os.ReadDir(s.dir)
	if err != nil {
		return nil, fmt.Errorf("list sessions in %q: %w", s.dir, err)
	}
	var all []memory.Listed
	for _, e := range entries {
		id, ok := strings.CutSuffix(e.Name(), ".json")
		if !ok || !twin.ValidSessionID(id) {
			continue
		}
		if info, err := e.Info(); err == nil {
			all = append(all, memory.Listed{ID: id, Modified: info.ModTime()})
		}
	}
	return memory.Newest(all, limit), nil
}

// read reads and decodes a session file, with the file's stat taken from the same open file.
func read(path string) (twin.Session, fs.FileInfo, error) {
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return twin.Session{}, nil, twin.Errorf(twin.CodeSessionNotFound, "no conversation with this session_id")
	}
	if err != nil {
		return twin.Session{}, nil, fmt.Errorf("read session %q: %w", path, err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return twin.Session{}, nil, fmt.Errorf("read session %q: %w", path, err)
	}
	data := make([]byte, fi.Size())
	if _, err := io.ReadFull(f, data); err != nil {
		return twin.Session{}, nil, fmt.Errorf("read session %q: %w", path, err)
	}
	var sess twin.Session
	if err := json.Unmarshal(data, &sess); err != nil {
		// A corrupt file is an error, never an empty session: the next write must not clobber it.
		return twin.Session{}, nil, fmt.Errorf("decode session %q: %w", path, err)
	}
	if id := strings.TrimSuffix(filepath.Base(path), ".json"); sess.ID != "" && sess.ID != id {
		return twin.Session{}, nil, fmt.Errorf("session file %q holds session %q", path, sess.ID)
	}
	return sess, fi, nil
}

// Append adds msgs under the session's lock, on top of base when base is what the file holds
// now (its Version is the file's), else on top of the file read again: a stale base never
// drops messages.
func (s *Store) Append(_ context.Context, base twin.Session, msgs []twin.Message, limit int) (twin.Session, error) {
	path, err := s.path(base.ID)
	if err != nil {
		return twin.Session{}, err
	}
	e := s.session(base.ID)
	e.mu.Lock()
	defer e.mu.Unlock()

	current, exists := base, true
	switch {
	case base.Version == "" && len(base.Messages) == 0:
		// A session not read from here (a new one): written as a new file, which fails if one
		// is there; then that file is read and built on.
		exists = false
	case !s.current(path, e, base.Version):
		if current, exists, err = readAny(path); err != nil {
			return twin.Session{}, err
		}
	}
	for {
		next, err := memory.Apply(base.ID, current, msgs, limit, s.now())
		if err != nil {
			return twin.Session{}, err
		}
		fi, err := s.write(e, path, next, exists)
		if errors.Is(err, fs.ErrExist) {
			// Another process made the file since it was found missing: build on it instead.
			if current, exists, err = readAny(path); err != nil {
				return twin.Session{}, err
			}
			continue
		}
		if err != nil {
			return twin.Session{}, err
		}
		next.Version = version(e.writes.Add(1), fi)
		return next, nil
	}
}

// readAny reads the session at path; a missing file is the empty session, not an error.
func readAny(path string) (sess twin.Session, exists bool, err error) {
	sess, _, err = read(path)
	if twin.ErrorCode(err) == twin.CodeSessionNotFound {
		return twin.Session{}, false, nil
	}
	return sess, err == nil, err
}

// current reports whether v names the file at path as it is now. Called under e.mu.
func (s *Store) current(path string, e *session, v string) bool {
	if v == "" {
		return false
	}
	fi, err := os.Stat(path)
	return err == nil && version(e.writes.Load(), fi) == v
}

// Delete removes the session's file under the session's lock, so it never races an Append.
func (s *Store) Delete(_ context.Context, id string) error {
	path, err := s.path(id)
	if err != nil {
		return err
	}
	e := s.session(id)
	e.mu.Lock()
	defer e.mu.Unlock()
	err = os.Remove(path)
	if err == nil {
		e.writes.Add(1)
	}
	if serr := os.Remove(shadowPath(path)); serr != nil && !errors.Is(serr, fs.ErrNotExist) && err == nil {
		return fmt.Errorf("delete the earlier version of session %q: %w", id, serr)
	}
	if errors.Is(err, fs.ErrNotExist) {
		return twin.Errorf(twin.CodeSessionNotFound, "no conversation with this session_id")
	}
	if err != nil {
		return fmt.Errorf("delete session %q: %w", path, err)
	}
	return nil
}
