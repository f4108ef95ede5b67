package httpapi

import "time"

// DefaultMaxInFlight is the default cap on chat turns answered at once by one process. A turn
// waits on the model for seconds, so this is a cap on concurrent model calls: far above what one
// Lambda instance (one request at a time) or a laptop sees, low enough that a burst cannot run
// up an unbounded bill or exhaust memory.
const DefaultMaxInFlight = 256

// shedRetryAfter is the hint sent with a shed turn: turns take seconds, so capacity frees fast.
const shedRetryAfter = 2 * time.Second

// shedder admits at most n turns at once and sheds the rest at once (no queue: a queued visitor
// would wait for a timeout instead of a clear answer).
type shedder struct{ slots chan struct{} }

func newShedder(n int) *shedder {
	switch {
	case n < 0:
		return &shedder{}
	case n == 0:
		n = DefaultMaxInFlight
	}
	return &shedder{slots: make(chan struct{}, n)}
}

func (s *shedder) acquire() bool {
	if s.slots == nil {
		return true
	}
	select {
	case s.slots <- struct{}{}:
		return true
	default:
		return false
	}
}

func (s *shedder) release() {
	if s.slots != nil {
		<-s.slots
	}
}
