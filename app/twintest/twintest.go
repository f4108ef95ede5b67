// Package twintest is the twin's test kit: function-field fakes of the domain's interfaces
// (twin.Provider, twin.Store, twin.PersonaSource) and a goroutine-safe log buffer. It imports
// only the domain, so any package's tests can use it. Fakes that speak AWS wire protocols are in
// twintest/fakeaws; the whole twin served from an environment is twintest/served.
package twintest

import (
	"context"
	"errors"
	"time"

	"github.com/digitaltwin/twin/app/twin"
	"slices"
	"sync"
)

var (
	_ twin.Provider      = (*Provider)(nil)
	_ twin.Store         = (*Store)(nil)
	_ twin.PersonaSource = PersonaFunc(nil)
)

// Provider is a twin.Provider whose Stream is a function field. Name and Model default to
// "fake" and "fake-1".
type Provider struct {
	NameValue, ModelValue string
	StreamFunc            func(ctx context.Context, req twin.GenerateRequest, emit func(string) error) (twin.Usage, error)
}

// Name is the provider's name ("fake" when unset).
func (p *Provider) Name() string { return or(p.NameValue, "fake") }

// Model is the model id ("fake-1" when unset).
func (p *Provider) Model() string { return or(p.ModelValue, "fake-1") }

// Stream calls StreamFunc.
func (p *Provider) Stream(ctx context.Context, req twin.GenerateRequest, emit func(string) error) (twin.Usage, error) {
	return p.StreamFunc(ctx, req, emit)
}

func or(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// ErrModelDown is the failure of Failing's provider.
var ErrModelDown = errors.New("twintest: injected model failure: unexpected EOF")

// Reply returns a provider that streams deltas, in order.
func Reply(deltas ...string) *Provider {
	return &Provider{NameValue: "reply", StreamFunc: func(_ context.Context, _ twin.GenerateRequest, emit func(string) error) (twin.Usage, error) {
		for _, d := range deltas {
			if err := emit(d); err != nil {
				return twin.Usage{}, err
			}
		}
		return twin.Usage{InputTokens: 1, OutputTokens: len(deltas)}, nil
	}}
}

// Failing returns a provider that streams afterTokens deltas "partial " and then fails with
// ErrModelDown (before its first token when afterTokens is 0).
func Failing(afterTokens int) *Provider {
	return &Provider{NameValue: "failing", StreamFunc: func(_ context.Context, _ twin.GenerateRequest, emit func(string) error) (twin.Usage, error) {
		for range afterTokens {
			if err := emit("partial "); err != nil {
				return twin.Usage{}, err
			}
		}
		return twin.Usage{}, ErrModelDown
	}}
}

// Slow returns a provider that streams "word " every step until its context ends or emit
// fails, then closes stopped.
func Slow(step time.Duration, stopped chan<- struct{}) *Provider {
	return &Provider{NameValue: "slow", StreamFunc: func(ctx context.Context, _ twin.GenerateRequest, emit func(string) error) (twin.Usage, error) {
		defer close(stopped)
		for {
			if err := emit("word "); err != nil {
				return twin.Usage{}, err
			}
			select {
			case <-ctx.Done():
				return twin.Usage{}, ctx.Err()
			case <-time.After(step):
			}
		}
	}}
}

// Store is a twin.Store (and the owner view's session lister, so app/wire takes it) whose
// methods are function fields; a nil field fails with an internal error, so a test states every
// call it expects.
type Store struct {
	GetFunc    func(ctx context.Context, id string) (twin.Session, error)
	AppendFunc func(ctx context.Context, base twin.Session, msgs []twin.Message, limit int) (twin.Session, error)
	DeleteFunc func(ctx context.Context, id string) error
	// RecentSessionsFunc lists sessions for the owner view (owner.SessionLister).
	RecentSessionsFunc func(ctx context.Context, limit int) ([]string, error)
}

// ErrUnexpected answers a call to a fake method the test did not set.
var ErrUnexpected = errors.New("twintest: unexpected call")

// Get calls GetFunc.
func (s *Store) Get(ctx context.Context, id string) (twin.Session, error) {
	if s.GetFunc == nil {
		return twin.Session{}, ErrUnexpected
	}
	return s.GetFunc(ctx, id)
}

// Append calls AppendFunc.
func (s *Store) Append(ctx context.Context, base twin.Session, msgs []twin.Message, limit int) (twin.Session, error) {
	if s.AppendFunc == nil {
		return twin.Session{}, ErrUnexpected
	}
	return s.AppendFunc(ctx, base, msgs, limit)
}

// Delete calls DeleteFunc.
func (s *Store) Delete(ctx context.Context, id string) error {
	if s.DeleteFunc == nil {
		return ErrUnexpected
	}
	return s.DeleteFunc(ctx, id)
}

// RecentSessions calls RecentSessionsFunc.
func (s *Store) RecentSessions(ctx context.Context, limit int) ([]string, error) {
	if s.RecentSessionsFunc == nil {
		return nil, ErrUnexpected
	}
	return s.RecentSessionsFunc(ctx, limit)
}

// PersonaFunc is a twin.PersonaSource as a function.
type PersonaFunc func(ctx context.Context) (twin.Persona, error)

// Persona calls f.
func (f PersonaFunc) Persona(ctx context.Context) (twin.Persona, error) { return f(ctx) }

// StaticPersona is a source that always returns p.
func StaticPersona(p twin.Persona) PersonaFunc {
	return func(context.Context) (twin.Persona, error) { return p, nil }
}

// Tools is a fake twin.ToolFunc (pass its Call): it records every call and answers with Result,
// or with Err when it is set.
type Tools struct {
	Result string
	Err    error

	mu    sync.Mutex
	calls []twin.ToolCall
}

// Call records c and answers.
func (r *Tools) Call(_ context.Context, c twin.ToolCall) (string, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.calls = append(r.calls, c)
	return r.Result, r.Err
}

// Calls returns the calls so far, in order.
func (r *Tools) Calls() []twin.ToolCall {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.calls)
}
