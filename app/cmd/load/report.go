package main

import (
	"fmt"
	"io"
	"slices"
	"sort"
	"strings"
	"time"
)

// summary is the run's figures.
type summary struct {
	planned, ran, ok int
	notRun           int
	byCode           map[string]int // "status code" → count
	fivexx           int
	unexpected5xx    int
	fourxx           int // 4xx: limits too tight for the run, or a client bug
	expect429        bool
	missingRetry     int // 429/503 without Retry-After
	p50, p99, max    time.Duration
	ttfb50, ttfb99   time.Duration
	jsonP50, jsonP99 time.Duration
	turnsPerSec      float64
	wall             time.Duration
	v                verdict
	faults           string
	logWarns, logErr int
	logFirst         []string
}

func pct(d []time.Duration, p float64) time.Duration {
	if len(d) == 0 {
		return 0
	}
	slices.Sort(d)
	i := int(p * float64(len(d)-1))
	return d[i]
}

func report(o options, res loadResult, v verdict, tw *localTwin) summary {
	s := summary{planned: o.sessions * o.turns, byCode: map[string]int{}, wall: res.wall, v: v, expect429: o.expect429}
	var all, ttfb, jsonLat []time.Duration
	s3Faults := o.store == "s3" && o.s3FaultRate > 0 && o.target == ""
	llmFaults := (o.llmBefore > 0 || o.llmDuring > 0) && o.target == ""
	for _, r := range res.turns {
		if r.notRun {
			s.notRun++
			continue
		}
		s.ran++
		if r.ok {
			s.ok++
			all = append(all, r.latency)
			if r.stream {
				ttfb = append(ttfb, r.ttfb)
			} else {
				jsonLat = append(jsonLat, r.latency)
			}
			continue
		}
		key := fmt.Sprintf("%d %s", r.status, r.code)
		s.byCode[key]++
		if r.status >= 400 && r.status < 500 {
			s.fourxx++
		}
		if (r.status == 429 || r.status == 503) && !r.hasRetry {
			s.missingRetry++
		}
		if r.status >= 500 || r.code == "stream_error" || r.code == "transport" || r.code == "stream_cut" {
			s.fivexx++
			expected := llmFaults && (r.code == "llm_unavailable" || r.code == "stream_error") ||
				s3Faults && (r.code == "internal" || r.code == "stream_error")
			if !expected {
				s.unexpected5xx++
			}
		}
	}
	s.p50, s.p99, s.max = pct(all, 0.50), pct(all, 0.99), pct(all, 1)
	s.ttfb50, s.ttfb99 = pct(ttfb, 0.50), pct(ttfb, 0.99)
	s.jsonP50, s.jsonP99 = pct(jsonLat, 0.50), pct(jsonLat, 0.99)
	if res.wall > 0 {
		s.turnsPerSec = float64(s.ran) / res.wall.Seconds()
	}
	if tw != nil {
		if tw.s3 != nil {
			s.faults = tw.s3faults.Summary()
		}
		if tw.provider != nil {
			calls, before, during := tw.provider.Counts()
			s.faults = strings.TrimPrefix(s.faults+fmt.Sprintf("; %d of %d model calls failed (%d before the first token, %d mid-stream)", before+during, calls, before, during), "; ")
		}
		s.logWarns, s.logErr, s.logFirst = tw.logs.summary()
	}
	return s
}

func ms(d time.Duration) string { return fmt.Sprintf("%.1fms", float64(d.Microseconds())/1000) }

func (s summary) print(w io.Writer, verbose bool) {
	fmt.Fprintf(w, "turns: %d planned, %d sent, %d ok (200), %d not sent (time up) in %.1fs: %.1f turns/s\n",
		s.planned, s.ran, s.ok, s.notRun, s.wall.Seconds(), s.turnsPerSec)
	fmt.Fprintf(w, "latency of ok turns: p50 %s, p99 %s, max %s; JSON p50 %s p99 %s; stream first delta p50 %s p99 %s\n",
		ms(s.p50), ms(s.p99), ms(s.max), ms(s.jsonP50), ms(s.jsonP99), ms(s.ttfb50), ms(s.ttfb99))
	var codes []string
	for k, n := range s.byCode {
		codes = append(codes, fmt.Sprintf("%s ×%d", k, n))
	}
	sort.Strings(codes)
	if len(codes) == 0 {
		codes = []string{"none"}
	}
	fmt.Fprintf(w, "errors by status and code: %s\n", strings.Join(codes, ", "))
	fmt.Fprintf(w, "4xx: %d; 5xx or broken streams: %d (unexpected: %d); 429/503 without Retry-After: %d\n", s.fourxx, s.fivexx, s.unexpected5xx, s.missingRetry)
	if s.faults != "" {
		fmt.Fprintf(w, "injected: %s\n", s.faults)
	}
	v := s.v
	fmt.Fprintf(w, "read back %d sessions (%d unreadable), %d messages: lost %d, duplicated %d, reply mismatch %d, out of order %d, foreign %d; rejected (4xx) but stored %d; failed turns whose message was kept: %d\n",
		v.sessions, v.unreadable, v.stored, v.lost, v.duplicated, v.mismatched, v.disordered, v.foreign, v.rejected, v.failedKept)
	if s.logErr > 0 || s.logWarns > 0 {
		fmt.Fprintf(w, "server log: %d warnings, %d errors; first errors: %s\n", s.logWarns, s.logErr, strings.Join(s.logFirst, " | "))
	}
	if verbose {
		for _, p := range v.problems {
			fmt.Fprintln(w, "  -", p)
		}
	}
}

// failures lists what makes the run fail.
func (s summary) failures() []string {
	var out []string
	v := s.v
	if v.lost > 0 || v.duplicated > 0 || v.mismatched > 0 || v.disordered > 0 || v.foreign > 0 || v.unreadable > 0 || v.rejected > 0 {
		out = append(out, fmt.Sprintf("lost %d, duplicated %d, mismatched %d, out of order %d, foreign %d, unreadable %d, rejected but stored %d",
			v.lost, v.duplicated, v.mismatched, v.disordered, v.foreign, v.unreadable, v.rejected))
	}
	if s.unexpected5xx > 0 {
		out = append(out, fmt.Sprintf("%d unexpected 5xx or broken streams", s.unexpected5xx))
	}
	if s.fourxx > s.byCode["429 rate_limited"] || s.fourxx > 0 && !s.expect429 {
		out = append(out, fmt.Sprintf("%d 4xx answers", s.fourxx))
	}
	if s.missingRetry > 0 {
		out = append(out, fmt.Sprintf("%d 429/503 without Retry-After", s.missingRetry))
	}
	if s.ok == 0 {
		out = append(out, "no turn succeeded")
	}
	return out
}
