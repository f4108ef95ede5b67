// Package filestore keeps conversations as one JSON file per session in a directory
// ({dir}/{session_id}.json; docs/decisions/0002). Writes go to a temporary file renamed over the
// old one under a per-session lock, so a reader never sees half a file and concurrent turns never
// lose each other's messages.
package filestore

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/digitaltwin/twin/app/memory"
	"github.com/digitaltwin/twin/app/twin"
)

// Store is the local file store.
type Store struct {
	dir   string
	now   func() time.Time
	locks sync.Map // session id → *sync.Mutex
}

var _ twin.Store = (*Store)(nil)

// New returns a store in dir, creating it if needed.
func New(dir string) (*Store, error) {
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return nil, fmt.Errorf("create memory dir %q: %w", dir, err)
	}
	return &Store{dir: dir, now: time.Now}, nil
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
	return read(path)
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

func read(path string) (twin.Session, error) {
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return twin.Session{}, twin.Errorf(twin.CodeSessionNotFound, "no conversation with this session_id")
	}
	if err != nil {
		return twin.Session{}, fmt.Errorf("read session %q: %w", path, err)
	}
	var sess twin.Session
	if err := json.Unmarshal(data, &sess); err != nil {
		// A corrupt file is an error, never an empty session: the next write must not clobber it.
		return twin.Session{}, fmt.Errorf("decode session %q: %w", path, err)
	}
	sess.Version = strconv.FormatInt(sess.UpdatedAt.UnixNano(), 36) + "-" + strconv.Itoa(len(sess.Messages))
	return sess, nil
}

// Append adds msgs under the session's lock. The stored file is always re-read first, so base
// only supplies the id: a stale base can never drop messages.
func (s *Store) Append(_ context.Context, base twin.Session, msgs []twin.Message, limit int) (twin.Session, error) {
	path, err := s.path(base.ID)
	if err != nil {
		return twin.Session{}, err
	}
	mu, _ := s.locks.LoadOrStore(base.ID, new(sync.Mutex))
	mu.(*sync.Mutex).Lock()
	defer mu.(*sync.Mutex).Unlock()

	current, err := read(path)
	if err != nil && twin.ErrorCode(err) != twin.CodeSessionNotFound {
		return twin.Session{}, err
	}
	next, err := memory.Apply(base.ID, current, msgs, limit, s.now())
	if err != nil {
		return twin.Session{}, err
	}
	if err := writeAtomic(path, next); err != nil {
		return twin.Session{}, err
	}
	next.Version = strconv.FormatInt(next.UpdatedAt.UnixNano(), 36) + "-" + strconv.Itoa(len(next.Messages))
	return next, nil
}

// Delete removes the session's file under the session's lock, so it never races an Append.
func (s *Store) Delete(_ context.Context, id string) error {
	path, err := s.path(id)
	if err != nil {
		return err
	}
	mu, _ := s.locks.LoadOrStore(id, new(sync.Mutex))
	mu.(*sync.Mutex).Lock()
	defer mu.(*sync.Mutex).Unlock()
	err = os.Remove(path)
	if errors.Is(err, fs.ErrNotExist) {
		return twin.Errorf(twin.CodeSessionNotFound, "no conversation with this session_id")
	}
	if err != nil {
		return fmt.Errorf("delete session %q: %w", path, err)
	}
	return nil
}

func writeAtomic(path string, sess twin.Session) error {
	data, err := json.Marshal(sess)
	if err != nil {
		return fmt.Errorf("encode session: %w", err)
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".tmp-*.json")
	if err != nil {
		return fmt.Errorf("write session: %w", err)
	}
	defer os.Remove(tmp.Name()) // no-op after a successful rename
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return fmt.Errorf("write session %q: %w", tmp.Name(), err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("close session %q: %w", tmp.Name(), err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("rename session into %q: %w", path, err)
	}
	return nil
}
