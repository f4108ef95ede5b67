package main

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/digitaltwin/twin/app/httpapi"
)

// runAbuse runs each abuse case against an in-process twin with production limits and prints
// what the server answered. It fails when a limit does not hold.
func runAbuse(ctx context.Context, o options, w io.Writer) error {
	var failures []string
	check := func(ok bool, format string, args ...any) {
		line := fmt.Sprintf(format, args...)
		mark := "ok  "
		if !ok {
			mark = "FAIL"
			failures = append(failures, line)
		}
		fmt.Fprintf(w, "%s %s\n", mark, line)
	}
	prod := twinOptions{store: "file", persona: o.persona, rateLimit: 60, timeouts: httpapi.DefaultTimeouts}

	// Slow-loris runs in the background: it takes as long as the server's timeouts.
	loris := make(chan lorisResult, 1)
	go func() { loris <- slowLoris(ctx, o) }()

	// 1. Per-client rate limit under a burst from many workers.
	tw, err := newLocalTwin(ctx, prod)
	if err != nil {
		return err
	}
	codes, noRetry, took := burst(ctx, tw.URL, 300, 20, func(i int) string {
		return `{"message":"burst ` + fmt.Sprint(i) + `","session_id":"88888888-8888-4888-8888-000000000001"}`
	})
	tw.Close()
	allowed := 60 + int(took.Seconds()) + 1 // the burst plus one a second refilled
	check(codes[200] <= allowed && codes[429] == 300-codes[200] && noRetry == 0,
		"rate limit (60/min): 300 chat requests from 20 workers in %.1fs → %d × 200, %d × 429 rate_limited, all with Retry-After: %v",
		took.Seconds(), codes[200], codes[429], noRetry == 0)

	// 2. One client minting thousands of session ids (request limit lifted so that only the
	// new-session cap, at its production value for 60/min, is in play).
	flood := prod
	flood.rateLimit, flood.maxNewSessions = 1_000_000, 30
	tw, err = newLocalTwin(ctx, flood)
	if err != nil {
		return err
	}
	codes, noRetry, took = burst(ctx, tw.URL, 2000, 20, func(i int) string {
		return fmt.Sprintf(`{"message":"hi","session_id":"99999999-9999-4999-8999-%012d"}`, i)
	})
	stored := countFiles(tw.dir + "/sessions")
	tw.Close()
	check(codes[200] == 30 && codes[429] == 1970 && noRetry == 0 && stored == 30,
		"new-session flood: 2000 distinct session ids from one client in %.1fs → %d × 200, %d × 429 rate_limited (Retry-After on all: %v); %d sessions stored",
		took.Seconds(), codes[200], codes[429], noRetry == 0, stored)

	// 3. Body cap and the message limit.
	tw, err = newLocalTwin(ctx, flood)
	if err != nil {
		return err
	}
	status := func(body string) int {
		resp, err := http.Post(tw.URL+"/api/chat", "application/json", strings.NewReader(body))
		if err != nil {
			return 0
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		return resp.StatusCode
	}
	big := status(`{"message":"` + strings.Repeat("a", 8<<20) + `"}`)
	check(big == 413, "8 MiB body → %d message_too_long (read stops at the cap of 4000×12+4096 bytes)", big)
	nested := status(`{"message":` + strings.Repeat("[", 20000) + strings.Repeat("]", 20000) + `}`)
	check(nested == 400, "JSON nested 20,000 deep → %d invalid_request", nested)
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, tw.URL+"/api/chat", strings.NewReader(`{"message":"hi"}`))
	req.Header.Set("X-Padding", strings.Repeat("p", 1<<20))
	headers := 0
	if resp, err := http.DefaultClient.Do(req); err == nil {
		resp.Body.Close()
		headers = resp.StatusCode
	}
	check(headers == 431, "1 MiB of request headers → %d (MaxHeaderBytes 64 KiB)", headers)
	exact, over := status(`{"message":"`+strings.Repeat("é", 4000)+`"}`), status(`{"message":"`+strings.Repeat("é", 4001)+`"}`)
	check(exact == 200 && over == 413, "message of exactly 4000 characters → %d; 4001 → %d", exact, over)
	tw.Close()

	// 4. A crowd of valid, slow turns from many workers at once: over the in-flight cap they
	// are shed at once with 503 + Retry-After instead of piling up model calls.
	crowd := flood
	crowd.maxNewSessions, crowd.tokenDelay = 1_000_000, 20*time.Millisecond
	tw, err = newLocalTwin(ctx, crowd)
	if err != nil {
		return err
	}
	codes, noRetry, took = burst(ctx, tw.URL, 400, 400, func(i int) string {
		return fmt.Sprintf(`{"message":"Tell me about your work","session_id":"aaaaaaaa-aaaa-4aaa-8aaa-%012d"}`, i)
	})
	tw.Close()
	check(codes[200] >= httpapi.DefaultMaxInFlight && codes[200]+codes[503] == 400 && noRetry == 0,
		"400 slow turns at once (cap %d in flight) in %.1fs → %d × 200, %d × 503 llm_unavailable shed at once with Retry-After: %v",
		httpapi.DefaultMaxInFlight, took.Seconds(), codes[200], codes[503], noRetry == 0)

	fmt.Fprintf(w, "…  slow-loris: waiting for the server's timeouts (%v headers, %v whole request)\n", httpapi.DefaultTimeouts.ReadHeader, httpapi.DefaultTimeouts.Read)
	l := <-loris
	if l.err != nil {
		return l.err
	}
	check(l.headerOpen == 0 && l.headerCut <= l.readHeader+2*time.Second,
		"slow-loris headers: %d connections sending a header byte a second → all closed by the server, the last after %.1fs (ReadHeaderTimeout %v)",
		l.headers, l.headerCut.Seconds(), l.readHeader)
	check(l.bodyOpen == 0 && l.bodyCut <= l.readWhole+2*time.Second && l.bodyAnswers["200 OK"] == 0,
		"slow-loris body: %d connections sending a body byte a second → all cut, the last after %.1fs (ReadTimeout %v); answers %v",
		l.bodies, l.bodyCut.Seconds(), l.readWhole, l.bodyAnswers)
	check(l.visitorStatus == 200, "during the slow-loris a normal visitor's chat turn → %d in %s", l.visitorStatus, ms(l.visitorTook))
	if len(failures) > 0 {
		return fmt.Errorf("FAILED: %s", strings.Join(failures, "; "))
	}
	fmt.Fprintln(w, "PASS: every limit held")
	return nil
}

// burst sends n chat bodies from workers goroutines as fast as it can, and counts statuses and
// 429/503 answers without Retry-After.
func burst(ctx context.Context, base string, n, workers int, body func(int) string) (map[int]int, int, time.Duration) {
	codes := map[int]int{}
	noRetry := 0
	var mu sync.Mutex
	next := make(chan int)
	start := time.Now()
	var wg sync.WaitGroup
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: workers}, Timeout: 30 * time.Second}
	for range workers {
		wg.Go(func() {
			for i := range next {
				req, _ := http.NewRequestWithContext(ctx, http.MethodPost, base+"/api/chat", strings.NewReader(body(i)))
				req.Header.Set("Content-Type", "application/json")
				resp, err := client.Do(req)
				st := 0
				if err == nil {
					_, _ = io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
					st = resp.StatusCode
				}
				mu.Lock()
				codes[st]++
				if (st == 429 || st == 503) && resp.Header.Get("Retry-After") == "" {
					noRetry++
				}
				mu.Unlock()
			}
		})
	}
	for i := range n {
		next <- i
	}
	close(next)
	wg.Wait()
	return codes, noRetry, time.Since(start)
}

// lorisResult is what the slow clients met.
type lorisResult struct {
	headers, bodies       int           // connections of each kind
	headerCut, bodyCut    time.Duration // the longest the server held one
	headerOpen, bodyOpen  int           // still open at the end (should be 0)
	bodyAnswers           map[string]int
	visitorStatus         int
	visitorTook           time.Duration
	readHeader, readWhole time.Duration
	err                   error
}

// slowLoris holds 200 connections that send their headers (150) or body (50) a byte a second,
// and measures when the server cuts each, while a normal visitor chats. It takes as long as the
// server's timeouts (10 s for headers, 30 s for a whole request).
func slowLoris(ctx context.Context, o options) lorisResult {
	r := lorisResult{headers: 150, bodies: 50, bodyAnswers: map[string]int{},
		readHeader: httpapi.DefaultTimeouts.ReadHeader, readWhole: httpapi.DefaultTimeouts.Read}
	tw, err := newLocalTwin(ctx, twinOptions{store: "file", persona: o.persona, rateLimit: 60, timeouts: httpapi.DefaultTimeouts})
	if err != nil {
		r.err = err
		return r
	}
	defer tw.Close()
	addr := strings.TrimPrefix(tw.URL, "http://")
	limit := r.readWhole + 15*time.Second
	var mu sync.Mutex
	var wg sync.WaitGroup
	hold := func(head, drip string, body bool) {
		conn, err := net.DialTimeout("tcp", addr, 5*time.Second)
		if err != nil {
			mu.Lock()
			r.err = err
			mu.Unlock()
			return
		}
		defer conn.Close()
		start := time.Now()
		answer := make(chan string, 1)
		go func() {
			b, _ := io.ReadAll(conn)
			answer <- string(b)
		}()
		_, _ = io.WriteString(conn, head)
		tick := time.NewTicker(time.Second)
		defer tick.Stop()
		deadline := time.After(limit)
		for {
			select {
			case a := <-answer:
				took := time.Since(start)
				mu.Lock()
				defer mu.Unlock()
				if body {
					r.bodyCut = max(r.bodyCut, took)
					status := "closed without an answer"
					if line, _, ok := strings.Cut(a, "\r\n"); ok {
						status = strings.TrimPrefix(line, "HTTP/1.1 ")
					}
					r.bodyAnswers[status]++
				} else {
					r.headerCut = max(r.headerCut, took)
				}
				return
			case <-tick.C:
				_, _ = io.WriteString(conn, drip)
			case <-deadline:
				mu.Lock()
				defer mu.Unlock()
				if body {
					r.bodyOpen++
				} else {
					r.headerOpen++
				}
				return
			case <-ctx.Done():
				return
			}
		}
	}
	for range r.headers {
		wg.Go(func() { hold("POST /api/chat HTTP/1.1\r\nHost: twin\r\n", "X", false) })
	}
	for range r.bodies {
		wg.Go(func() {
			hold("POST /api/chat HTTP/1.1\r\nHost: twin\r\nContent-Type: application/json\r\nContent-Length: 4000\r\n\r\n{\"message\":\"", "a", true)
		})
	}
	time.Sleep(2 * time.Second)
	start := time.Now()
	resp, err := http.Post(tw.URL+"/api/chat", "application/json", strings.NewReader(`{"message":"Where do you live?"}`))
	if err == nil {
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		r.visitorStatus = resp.StatusCode
	}
	r.visitorTook = time.Since(start)
	wg.Wait()
	return r
}

func countFiles(dir string) int {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return -1
	}
	n := 0
	for _, e := range entries {
		if strings.HasSuffix(e.Name(), ".json") && !strings.HasPrefix(e.Name(), ".") {
			n++
		}
	}
	return n
}
