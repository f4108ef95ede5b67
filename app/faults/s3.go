// Package faults injects the failures a twin meets in production, for load runs and tests on
// loopback: an S3 front (an http.Handler wrapping any S3 server, such as twintest/fakeaws's)
// that answers 503 SlowDown or 500, adds latency, or drops connections before or after the
// request took effect, and a provider wrapper that fails before or during the stream. Every
// injector is seeded, so a run can be repeated, and counts what it injected. (A Secrets Manager
// outage is twintest/fakeaws.SecretsManager.Down.)
package faults

import (
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"sort"
	"strings"
	"sync"
	"time"
)

// Mode is one kind of injected S3 failure.
type Mode string

// The S3 fault modes.
const (
	SlowDown      Mode = "slowdown"       // 503 SlowDown, nothing applied (S3 throttling)
	InternalError Mode = "internal_error" // 500 InternalError, nothing applied
	Latency       Mode = "latency"        // served after a delay of up to S3Config.Latency
	DropBefore    Mode = "drop_before"    // connection closed before the request reaches S3
	DropAfter     Mode = "drop_after"     // request applied, then the connection closed: the client cannot know
)

// AllModes are every S3 fault mode.
var AllModes = []Mode{SlowDown, InternalError, Latency, DropBefore, DropAfter}

// S3Config says what to inject.
type S3Config struct {
	Rate    float64       // share of requests faulted, 0..1
	Modes   []Mode        // drawn uniformly for a faulted request; AllModes when empty
	Latency time.Duration // the most a Latency fault adds; 200ms when 0
	Seed    uint64
}

// S3 is an http.Handler that forwards to an S3 server and injects faults on the way.
type S3 struct {
	next http.Handler
	cfg  S3Config

	mu       sync.Mutex
	rng      *rand.Rand
	requests int
	injected map[Mode]int
}

// NewS3 wraps next.
func NewS3(next http.Handler, cfg S3Config) *S3 {
	if len(cfg.Modes) == 0 {
		cfg.Modes = AllModes
	}
	if cfg.Latency <= 0 {
		cfg.Latency = 200 * time.Millisecond
	}
	return &S3{next: next, cfg: cfg, rng: rand.New(rand.NewPCG(cfg.Seed, cfg.Seed^0x5eed)), injected: map[Mode]int{}}
}

// draw picks the fault for one request ("" for none) and a latency for Latency faults.
func (s *S3) draw() (Mode, time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.requests++
	if s.rng.Float64() >= s.cfg.Rate {
		return "", 0
	}
	m := s.cfg.Modes[s.rng.IntN(len(s.cfg.Modes))]
	s.injected[m]++
	return m, time.Duration(s.rng.Int64N(int64(s.cfg.Latency) + 1))
}

// ServeHTTP forwards r, or fails it.
func (s *S3) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	mode, delay := s.draw()
	switch mode {
	case "":
		s.next.ServeHTTP(w, r)
	case SlowDown:
		s3Error(w, http.StatusServiceUnavailable, "SlowDown", "Please reduce your request rate.")
	case InternalError:
		s3Error(w, http.StatusInternalServerError, "InternalError", "We encountered an internal error. Please try again.")
	case Latency:
		select {
		case <-time.After(delay):
		case <-r.Context().Done():
			return
		}
		s.next.ServeHTTP(w, r)
	case DropBefore:
		drop(w)
	case DropAfter:
		// Let the request take effect, throw the answer away, and cut the connection: the
		// client sees a transport error for a write that happened.
		s.next.ServeHTTP(httptest.NewRecorder(), r)
		drop(w)
	}
}

// Requests is how many requests came in; Injected how many of each fault were injected.
func (s *S3) Requests() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.requests
}

// Injected returns the count of each injected fault.
func (s *S3) Injected() map[Mode]int {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make(map[Mode]int, len(s.injected))
	for k, v := range s.injected {
		out[k] = v
	}
	return out
}

// Summary is a one-line account of what was injected.
func (s *S3) Summary() string {
	inj := s.Injected()
	var parts []string
	total := 0
	for m, n := range inj {
		parts = append(parts, fmt.Sprintf("%s=%d", m, n))
		total += n
	}
	sort.Strings(parts)
	return fmt.Sprintf("%d of %d S3 requests faulted (%s)", total, s.Requests(), strings.Join(parts, " "))
}

func s3Error(w http.ResponseWriter, status int, code, msg string) {
	w.Header().Set("Content-Type", "application/xml")
	w.WriteHeader(status)
	fmt.Fprintf(w, `<?xml version="1.0" encoding="UTF-8"?><Error><Code>%s</Code><Message>%s</Message><RequestId>fault</RequestId></Error>`, code, msg)
}

// drop closes the client's connection without an answer.
func drop(w http.ResponseWriter) {
	conn, _, err := http.NewResponseController(w).Hijack()
	if err != nil {
		panic(http.ErrAbortHandler) // the server closes the connection for us
	}
	_ = conn.Close()
}
