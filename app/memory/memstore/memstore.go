// Package memstore is an in-memory twin.Store for tests and benchmarks. It honours versions like
// the S3 store: an Append whose base is stale is re-applied on the current copy.
package memstore

import (
	"context"
	"strconv"
	"sync"
	"time"

	"github.com/digitaltwin/twin/app/memory"
	"github.com/digitaltwin/twin/app/twin"
)

// Store keeps sessions in a map.
type Store struct {
	mu       sync.Mutex
	sessions map[string]twin.Session
	writes   int
}

var _ twin.Store = (*Store)(nil)

// New returns an empty store.
func New() *Store { return &Store{sessions: map[string]twin.Session{}} }

// Get returns a copy of the session.
func (s *Store) Get(_ context.Context, id string) (twin.Session, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	sess, ok := s.sessions[id]
	if !ok {
		return twin.Session{}, twin.Errorf(twin.CodeSessionNotFound, "no conversation with this session_id")
	}
	sess.Messages = append([]twin.Message(nil), sess.Messages...)
	return sess, nil
}

// Append applies msgs to the current copy.
func (s *Store) Append(_ context.Context, base twin.Session, msgs []twin.Message, limit int) (twin.Session, error) {
	if !twin.ValidSessionID(base.ID) {
		return twin.Session{}, twin.Errorf(twin.CodeInvalidSessionID, "session_id must be a lowercase UUID")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	next, err := memory.Apply(base.ID, s.sessions[base.ID], msgs, limit, time.Now())
	if err != nil {
		return twin.Session{}, err
	}
	s.writes++
	next.Version = strconv.Itoa(s.writes)
	s.sessions[base.ID] = next
	next.Messages = append([]twin.Message(nil), next.Messages...)
	return next, nil
}

// RecentSessions returns the ids of the limit most recently written sessions, newest first.
func (s *Store) RecentSessions(_ context.Context, limit int) ([]string, error) {
	s.mu.Lock()
	all := make([]memory.Listed, 0, len(s.sessions))
	for id, sess := range s.sessions {
		all = append(all, memory.Listed{ID: id, Modified: sess.UpdatedAt})
	}
	s.mu.Unlock()
	return memory.Newest(all, limit), nil
}

// Delete removes the session.
func (s *Store) Delete(_ context.Context, id string) error {
	if !twin.ValidSessionID(id) {
		return twin.Errorf(twin.CodeInvalidSessionID, "session_id must be a lowercase UUID")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.sessions[id]; !ok {
		return twin.Errorf(twin.CodeSessionNotFound, "no conversation with this session_id")
	}
	delete(s.sessions, id)
	return nil
}
