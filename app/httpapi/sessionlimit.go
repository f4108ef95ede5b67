package httpapi

import (
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// sessionWindow is how long a client's session ids are remembered, and the period over which
// its new-session budget refills.
const sessionWindow = 10 * time.Minute

// newSessionBudget is how many new sessions a client may start per sessionWindow when
// Options.MaxNewSessions is 0: half its per-minute request budget, and at least 5. With the
// default 60 requests a minute that is 30 new conversations per 10 minutes: far more than a
// person starts, far fewer than a bot minting ids to fill the store.
func newSessionBudget(o Options) int {
	if o.MaxNewSessions > 0 {
		return o.MaxNewSessions
	}
	return max(5, o.RateLimitPerMinute/2)
}

// sessionLimiter caps the distinct session ids one client may use: an id the client used within
// the window is free; a new one (null or unknown to this client) takes a token from a bucket of
// budget tokens that refills over sessionWindow. Rejected ids are never remembered, so memory is
// bounded by the tokens granted in a window, per client of the last window.
type sessionLimiter struct {
	budget int
	now    func() time.Time

	mu        sync.Mutex
	clients   map[string]*sessionClient
	lastSweep time.Time
}

type sessionClient struct {
	limiter  *rate.Limiter
	ids      map[string]time.Time // session id → last use
	lastSeen time.Time
}

func newSessionLimiter(budget int) *sessionLimiter {
	return &sessionLimiter{budget: budget, now: time.Now, clients: map[string]*sessionClient{}}
}

// allow reports whether client key may use session id now ("" for a new session), and if not,
// how long until it may start one.
func (l *sessionLimiter) allow(key, id string) (bool, time.Duration) {
	now := l.now()
	l.mu.Lock()
	defer l.mu.Unlock()
	l.sweep(now)
	c, ok := l.clients[key]
	if !ok {
		c = &sessionClient{
			limiter: rate.NewLimiter(rate.Every(sessionWindow/time.Duration(l.budget)), l.budget),
			ids:     map[string]time.Time{},
		}
		l.clients[key] = c
	}
	c.lastSeen = now
	if _, known := c.ids[id]; known && id != "" {
		c.ids[id] = now
		return true, 0
	}
	res := c.limiter.ReserveN(now, 1)
	if delay := res.DelayFrom(now); delay > 0 {
		res.CancelAt(now)
		return false, delay
	}
	if id != "" {
		c.ids[id] = now
	}
	return true, 0
}

// remember records a session id the server minted for a null session_id, so the client's
// following turns in it are free.
func (l *sessionLimiter) remember(key, id string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if c, ok := l.clients[key]; ok {
		c.ids[id] = l.now()
	}
}

func (l *sessionLimiter) sweep(now time.Time) {
	if now.Sub(l.lastSweep) < time.Minute {
		return
	}
	l.lastSweep = now
	for k, c := range l.clients {
		if now.Sub(c.lastSeen) > sessionWindow {
			delete(l.clients, k)
			continue
		}
		for id, at := range c.ids {
			if now.Sub(at) > sessionWindow {
				delete(c.ids, id)
			}
		}
	}
}
