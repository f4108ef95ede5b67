package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/digitaltwin/twin/app/config"
	"github.com/digitaltwin/twin/app/faults"
	"github.com/digitaltwin/twin/app/httpapi"
	"github.com/digitaltwin/twin/app/llm/offline"
	"github.com/digitaltwin/twin/app/memory/memstore"
	"github.com/digitaltwin/twin/app/memory/s3store"
	"github.com/digitaltwin/twin/app/twintest/fakeaws"
	"github.com/digitaltwin/twin/app/wire"
)

// localTwin is the twin served in-process on a loopback port, with the store and injectors the
// options chose.
type localTwin struct {
	URL      string
	app      *wire.App
	srv      *httpapi.Server
	dir      string
	s3       *fakeaws.S3
	s3faults *faults.S3
	provider *faults.Provider
	logs     *levelCounter
}

// twinOptions are the server-side settings of an in-process twin.
type twinOptions struct {
	store          string
	persona        string
	rateLimit      int
	maxNewSessions int
	maxInFlight    int
	tokenDelay     time.Duration
	s3             faults.S3Config
	llmBefore      float64
	llmDuring      float64
	seed           uint64
	timeouts       httpapi.Timeouts
}

func startTwin(ctx context.Context, o options) (*localTwin, error) {
	var modes []faults.Mode
	for _, m := range strings.Split(o.s3FaultModes, ",") {
		if m = strings.TrimSpace(m); m != "" {
			modes = append(modes, faults.Mode(m))
		}
	}
	return newLocalTwin(ctx, twinOptions{
		store: o.store, persona: o.persona, rateLimit: o.rateLimit, maxNewSessions: o.sessions * 2,
		maxInFlight: o.concurrency * 2, // above the workers: the run never sheds
		tokenDelay:  o.tokenDelay, llmBefore: o.llmBefore, llmDuring: o.llmDuring, seed: o.seed,
		s3:       faults.S3Config{Rate: o.s3FaultRate, Modes: modes, Latency: 100 * time.Millisecond, Seed: o.seed},
		timeouts: httpapi.DefaultTimeouts,
	})
}

// newLocalTwin wires the twin as the binaries do (app/config, app/wire: local environment, files
// under a temporary DATA_DIR, the persona file) with the store, provider and HTTP limits the
// options choose in place of the configured ones, and serves it on a loopback port.
func newLocalTwin(ctx context.Context, o twinOptions) (_ *localTwin, err error) {
	t := &localTwin{logs: &levelCounter{}}
	defer func() {
		if err != nil {
			t.Close()
		}
	}()
	logger := slog.New(t.logs)
	if _, err := os.Stat(o.persona); err != nil {
		return nil, fmt.Errorf("-persona: %w (run from the repository root)", err)
	}
	dir, err := os.MkdirTemp("", "twin-load-*")
	if err != nil {
		return nil, err
	}
	t.dir = dir
	env := map[string]string{"DATA_DIR": dir, "PERSONA_FILE": o.persona, "RATE_LIMIT_PER_MINUTE": strconv.Itoa(o.rateLimit)}
	cfg, err := config.Load(func(k string) string { return env[k] })
	if err != nil {
		return nil, err
	}
	ov := wire.Overrides{MaxNewSessions: o.maxNewSessions, MaxInFlightTurns: o.maxInFlight}
	switch o.store {
	case "memory":
		ov.Store = memstore.New()
	case "s3":
		if ov.Store, err = t.faultyS3(ctx, o.s3); err != nil {
			return nil, err
		}
	} // file: the configured store, DATA_DIR/sessions
	ov.Provider = offline.New(o.tokenDelay)
	if o.llmBefore > 0 || o.llmDuring > 0 {
		t.provider = faults.NewProvider(ov.Provider, o.llmBefore, o.llmDuring, o.seed)
		ov.Provider = t.provider
	}
	if t.app, err = wire.NewWith(ctx, cfg, logger, io.Discard, ov); err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	t.URL = "http://" + ln.Addr().String()
	t.srv = httpapi.NewHTTPServer(t.app.Handler, logger, o.timeouts)
	go func() { _ = t.srv.Serve(ln) }()
	return t, nil
}

// faultyS3 starts the S3 fake behind the fault injector and returns a store on it.
func (t *localTwin) faultyS3(ctx context.Context, c faults.S3Config) (wire.Store, error) {
	for _, m := range c.Modes {
		if !validMode(m) {
			return nil, fmt.Errorf("-s3-fault-modes: unknown fault %q", m)
		}
	}
	fake, err := fakeaws.StartS3(func(h http.Handler) http.Handler {
		t.s3faults = faults.NewS3(h, c)
		return t.s3faults
	}, "twin-memory")
	if err != nil {
		return nil, err
	}
	t.s3 = fake
	// Production retry budget (4 attempts), backoffs scaled down 10× to keep runs short.
	cfg, err := fakeaws.LoadConfig(ctx, 10*time.Millisecond, 200*time.Millisecond)
	if err != nil {
		return nil, err
	}
	return s3store.New(fakeaws.Client(cfg, fake.URL), "twin-memory", "sessions/"), nil
}

func validMode(m faults.Mode) bool {
	for _, k := range faults.AllModes {
		if m == k {
			return true
		}
	}
	return false
}

// Close stops the server and removes its files.
func (t *localTwin) Close() {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if t.srv != nil {
		_ = t.srv.Shutdown(ctx)
	}
	if t.app != nil {
		t.app.Close()
	}
	if t.s3 != nil {
		t.s3.Close()
	}
	if t.dir != "" {
		_ = os.RemoveAll(t.dir)
	}
}

// levelCounter is a slog.Handler that counts records by level and keeps the first few error
// messages: the load run's logs are evidence, not output.
type levelCounter struct {
	mu     sync.Mutex
	counts map[slog.Level]int
	errors []string
}

func (c *levelCounter) Enabled(_ context.Context, l slog.Level) bool { return l >= slog.LevelWarn }

func (c *levelCounter) Handle(_ context.Context, r slog.Record) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.counts == nil {
		c.counts = map[slog.Level]int{}
	}
	c.counts[r.Level]++
	if r.Level >= slog.LevelError && len(c.errors) < 5 {
		msg := r.Message
		r.Attrs(func(a slog.Attr) bool {
			if a.Key == "error" {
				msg += ": " + a.Value.String()
			}
			return true
		})
		c.errors = append(c.errors, msg)
	}
	return nil
}

func (c *levelCounter) WithAttrs([]slog.Attr) slog.Handler { return c }
func (c *levelCounter) WithGroup(string) slog.Handler      { return c }

func (c *levelCounter) summary() (warns, errs int, first []string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.counts[slog.LevelWarn], c.counts[slog.LevelError], append([]string(nil), c.errors...)
}
