package faults

import (
	"context"
	"errors"
	"math/rand/v2"
	"sync"

	"github.com/digitaltwin/twin/app/twin"
)

// ErrInjected is the cause of every injected provider failure.
var ErrInjected = errors.New("injected fault: model connection reset")

// Provider (made by NewProvider) wraps a twin.Provider and fails a share of its calls: before the first delta (the
// model is unavailable) or after a few deltas (the stream breaks).
type Provider struct {
	Next       twin.Provider
	FailBefore float64 // share of calls that fail before any delta
	FailDuring float64 // share of calls that fail after 1..3 deltas

	mu     sync.Mutex
	rng    *rand.Rand
	calls  int
	before int
	during int
}

var _ twin.Provider = (*Provider)(nil)

// NewProvider wraps next with the given failure shares and seed.
func NewProvider(next twin.Provider, failBefore, failDuring float64, seed uint64) *Provider {
	return &Provider{Next: next, FailBefore: failBefore, FailDuring: failDuring, rng: rand.New(rand.NewPCG(seed, seed^0x11f))}
}

// Name is the wrapped provider's.
func (p *Provider) Name() string { return p.Next.Name() }

// Model is the wrapped provider's.
func (p *Provider) Model() string { return p.Next.Model() }

// draw returns after how many deltas this call fails: -1 never, 0 before the first.
func (p *Provider) draw() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.calls++
	x := p.rng.Float64()
	switch {
	case x < p.FailBefore:
		p.before++
		return 0
	case x < p.FailBefore+p.FailDuring:
		p.during++
		return 1 + p.rng.IntN(3)
	}
	return -1
}

// Stream calls the wrapped provider, failing as drawn.
func (p *Provider) Stream(ctx context.Context, req twin.GenerateRequest, emit func(string) error) (twin.Usage, error) {
	failAt := p.draw()
	if failAt == 0 {
		return twin.Usage{}, ErrInjected
	}
	if failAt < 0 {
		return p.Next.Stream(ctx, req, emit)
	}
	n := 0
	usage, err := p.Next.Stream(ctx, req, func(d string) error {
		if n == failAt {
			return ErrInjected
		}
		n++
		return emit(d)
	})
	if err == nil && n >= failAt {
		// The reply was shorter than the break point: break at its end instead.
		err = ErrInjected
	}
	return usage, err
}

// Counts returns the calls and the failures injected before and during the stream.
func (p *Provider) Counts() (calls, before, during int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.calls, p.before, p.during
}
