// Command load is the twin's load and fault tool (`make load`, `make load-s3`). It starts the
// twin in-process on a loopback port (file, memory or S3-fake store; optional S3 and model
// faults) or targets a running one on loopback, runs N concurrent sessions × M turns (some
// sessions hit by several workers at once, streaming and JSON), then reads every session's
// history back and verifies that every turn that got a 200 is stored exactly once, in order,
// with the reply the client saw. It reports p50/p99, turns/s and errors by code, and exits
// non-zero when anything was lost, duplicated or answered with an unexpected 5xx.
//
// With -abuse it instead runs the abuse cases (rate limit, new-session flood, body cap, message
// limit, slow-loris headers and body) against an in-process server with production limits.
//
// Every run is bounded in requests and time (-timeout) and refuses any non-loopback target.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/signal"
	"runtime"
	"strings"
	"time"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "load:", err)
		os.Exit(1)
	}
}

// options are the command line.
type options struct {
	target       string
	sessions     int
	turns        int
	concurrency  int
	sharedEvery  int
	sharedLanes  int
	streamShare  float64
	store        string
	persona      string
	s3FaultRate  float64
	s3FaultModes string
	llmBefore    float64
	llmDuring    float64
	rateLimit    int
	tokenDelay   time.Duration
	timeout      time.Duration
	seed         uint64
	abuse        bool
	expect429    bool
	verbose      bool
}

// Hard bounds: the tool never sends more than this, whatever the flags say.
const (
	maxTurns   = 20_000
	maxTimeout = 10 * time.Minute
)

func parse(args []string, stderr io.Writer) (options, error) {
	var o options
	fs := flag.NewFlagSet("load", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&o.target, "target", "", "base URL of a running twin on loopback (default: start one in-process)")
	fs.IntVar(&o.sessions, "sessions", 200, "sessions")
	fs.IntVar(&o.turns, "turns", 10, "turns per session")
	fs.IntVar(&o.concurrency, "concurrency", 32, "workers (each runs one session lane at a time)")
	fs.IntVar(&o.sharedEvery, "shared-every", 10, "every n-th session is hit by several workers at once (0: none)")
	fs.IntVar(&o.sharedLanes, "shared-lanes", 3, "workers hitting each shared session at once")
	fs.Float64Var(&o.streamShare, "stream-share", 0.5, "share of turns that stream (the rest are JSON)")
	fs.StringVar(&o.store, "store", "file", "in-process store: file, memory or s3 (gofakes3 behind the fault injector)")
	fs.StringVar(&o.persona, "persona", "me.txt", "persona file of the in-process twin")
	fs.Float64Var(&o.s3FaultRate, "s3-fault-rate", 0, "share of S3 requests faulted (-store s3)")
	fs.StringVar(&o.s3FaultModes, "s3-fault-modes", "slowdown,internal_error,latency,drop_before", "comma list of S3 faults: slowdown, internal_error, latency, drop_before, drop_after")
	fs.Float64Var(&o.llmBefore, "llm-fail-before", 0, "share of model calls failing before the first token")
	fs.Float64Var(&o.llmDuring, "llm-fail-during", 0, "share of model calls failing mid-stream")
	fs.IntVar(&o.rateLimit, "rate-limit", 1_000_000, "in-process RATE_LIMIT_PER_MINUTE (all load comes from 127.0.0.1)")
	fs.DurationVar(&o.tokenDelay, "token-delay", 0, "offline responder delay per token")
	fs.DurationVar(&o.timeout, "timeout", 90*time.Second, "stop after this long, whatever is left")
	fs.Uint64Var(&o.seed, "seed", 1, "seed of the fault injectors")
	fs.BoolVar(&o.abuse, "abuse", false, "run the abuse cases instead of the load")
	fs.BoolVar(&o.expect429, "expect-429", false, "429s are expected (a low -rate-limit): each must carry Retry-After and store nothing")
	fs.BoolVar(&o.verbose, "v", false, "print every problem found")
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	switch {
	case o.sessions < 1 || o.turns < 1 || o.concurrency < 1 || o.sharedLanes < 1:
		return o, errors.New("-sessions, -turns, -concurrency and -shared-lanes must be at least 1")
	case o.sessions*o.turns > maxTurns:
		return o, fmt.Errorf("-sessions × -turns is %d; the tool sends at most %d turns", o.sessions*o.turns, maxTurns)
	case o.timeout <= 0 || o.timeout > maxTimeout:
		return o, fmt.Errorf("-timeout must be in (0, %v]", maxTimeout)
	case o.store != "file" && o.store != "memory" && o.store != "s3":
		return o, fmt.Errorf("-store %q: want file, memory or s3", o.store)
	}
	if o.target != "" {
		if err := loopbackOnly(o.target); err != nil {
			return o, err
		}
	}
	return o, nil
}

// settle waits up to 3 s for the goroutine count to come back to baseline, and returns it.
func settle(baseline int) int {
	n := runtime.NumGoroutine()
	for deadline := time.Now().Add(3 * time.Second); n > baseline && time.Now().Before(deadline); n = runtime.NumGoroutine() {
		time.Sleep(50 * time.Millisecond)
	}
	return n
}

// loopbackOnly refuses any target that is not on this machine's loopback: load and fault
// traffic never leaves it.
func loopbackOnly(target string) error {
	u, err := url.Parse(target)
	if err != nil || u.Scheme != "http" && u.Scheme != "https" || u.Host == "" {
		return fmt.Errorf("-target %q: want http://127.0.0.1:PORT", target)
	}
	host := u.Hostname()
	if host == "localhost" {
		return nil
	}
	ip := net.ParseIP(host)
	if ip == nil || !ip.IsLoopback() {
		return fmt.Errorf("-target %q: only loopback addresses (127.0.0.0/8, [::1], localhost) may be loaded", target)
	}
	return nil
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	o, err := parse(args, stderr)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, o.timeout)
	defer cancel()
	if o.abuse {
		return runAbuse(ctx, o, stdout)
	}
	base := strings.TrimSuffix(o.target, "/")
	var tw *localTwin
	if base == "" {
		tw, err = startTwin(ctx, o)
		if err != nil {
			return err
		}
		defer tw.Close()
		base = tw.URL
	}
	fmt.Fprintf(stdout, "load: %d sessions × %d turns, %d workers, every %d-th session shared by %d workers, %.0f%% streamed, against %s\n",
		o.sessions, o.turns, o.concurrency, o.sharedEvery, o.sharedLanes, 100*o.streamShare, describe(o, base))
	before := runtime.NumGoroutine()
	res := runLoad(ctx, o, base)
	v := verify(context.WithoutCancel(ctx), base, res)
	rep := report(o, res, v, tw)
	rep.print(stdout, o.verbose)
	if tw != nil {
		// In-process only: what the run left behind once its connections are closed.
		http.DefaultClient.CloseIdleConnections()
		if tw.s3 != nil {
			tw.s3.CloseClientConnections() // the S3 client's idle keep-alives are not a leak
		}
		after := settle(before)
		var m runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&m)
		fmt.Fprintf(stdout, "process: goroutines %d before the load, %d after it; heap in use after GC %.1f MiB\n",
			before, after, float64(m.HeapInuse)/(1<<20))
		if after > before+10 {
			return fmt.Errorf("FAILED: %d goroutines left behind", after-before)
		}
	}
	if alive := healthy(context.WithoutCancel(ctx), base); !alive {
		return errors.New("the server is not healthy after the run")
	}
	if problems := rep.failures(); len(problems) > 0 {
		return fmt.Errorf("FAILED: %s", strings.Join(problems, "; "))
	}
	fmt.Fprintln(stdout, "PASS: every 200 stored exactly once, in order; no unexpected 5xx; server healthy")
	return nil
}

func describe(o options, base string) string {
	if o.target != "" {
		return base
	}
	s := fmt.Sprintf("in-process twin on %s (%s store", base, o.store)
	if o.store == "s3" {
		s += fmt.Sprintf(", %.0f%% S3 faults: %s", 100*o.s3FaultRate, o.s3FaultModes)
	}
	if o.llmBefore > 0 || o.llmDuring > 0 {
		s += fmt.Sprintf(", model fails %.0f%% before / %.0f%% during the stream", 100*o.llmBefore, 100*o.llmDuring)
	}
	return s + ")"
}
