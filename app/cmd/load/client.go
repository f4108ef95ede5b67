package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"time"
)

// questions vary the offline responder's work: retrieval, memory of the session, unknowns.
var questions = []string{
	"Where do you live?", "What do you work on?", "What is your favourite programming language?",
	"My name is Sam. Please remember it.", "What is my name?", "What do you think about remote work?",
	"Which books shaped you?", "What was your first job?", "Do you like hiking?", "How can I contact you?",
}

// turnResult is what the client saw of one turn.
type turnResult struct {
	session int    // session index
	lane    int    // worker lane within the session
	seq     int    // turn number within the lane
	id      string // session id the turn was sent to ("" if unknown: a new session that failed)
	message string
	stream  bool

	ok       bool // 200 and, for a stream, finish + [DONE] without an error event
	status   int
	code     string // error code, "stream_error" for an error event, "transport" for no answer
	reply    string // the reply as the client received it
	replyID  string // the reply's id: message_id, or the stream's messageId
	latency  time.Duration
	ttfb     time.Duration // first text delta (streams)
	notRun   bool          // the run's time was up before this turn
	hasRetry bool          // a Retry-After header came with the error
}

// lane is one worker's sequence of turns in one session.
type lane struct {
	session, lane int
	id            string // "" for a session the server names on its first turn
	turns         []int  // turn numbers of the session this lane sends, in order
}

type loadResult struct {
	turns    []*turnResult
	ids      map[int]string // session index → id
	wall     time.Duration
	runID    string
	started  time.Time
	finished time.Time
}

func newID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

// plan splits the sessions into lanes: a shared session's turns are dealt round-robin to its
// lanes, queued next to each other so that different workers run them at the same time.
func plan(o options) []lane {
	var lanes []lane
	for s := range o.sessions {
		n := 1
		if o.sharedEvery > 0 && s%o.sharedEvery == 0 {
			n = min(o.sharedLanes, o.turns)
		}
		id := ""
		if n > 1 {
			id = newID() // well-formed unknown ids start a session
		}
		for l := range n {
			ln := lane{session: s, lane: l, id: id}
			for t := l; t < o.turns; t += n {
				ln.turns = append(ln.turns, t)
			}
			lanes = append(lanes, ln)
		}
	}
	return lanes
}

func runLoad(ctx context.Context, o options, base string) loadResult {
	var rid [4]byte
	_, _ = rand.Read(rid[:])
	res := loadResult{ids: map[int]string{}, runID: hex.EncodeToString(rid[:]), started: time.Now()}
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: o.concurrency * 2}, Timeout: 60 * time.Second}
	lanes := plan(o)
	queue := make(chan lane)
	var mu sync.Mutex
	var wg sync.WaitGroup
	for range o.concurrency {
		wg.Go(func() {
			for ln := range queue {
				out := runLane(ctx, client, base, o, res.runID, ln)
				mu.Lock()
				res.turns = append(res.turns, out...)
				for _, r := range out {
					if r.id != "" {
						res.ids[r.session] = r.id
					}
				}
				mu.Unlock()
			}
		})
	}
	for _, ln := range lanes {
		queue <- ln
	}
	close(queue)
	wg.Wait()
	client.CloseIdleConnections()
	res.finished = time.Now()
	res.wall = res.finished.Sub(res.started)
	return res
}

// runLane sends one lane's turns in order. A session the server names keeps the id it was given.
func runLane(ctx context.Context, client *http.Client, base string, o options, runID string, ln lane) []*turnResult {
	var out []*turnResult
	id := ln.id
	for i, t := range ln.turns {
		r := &turnResult{session: ln.session, lane: ln.lane, seq: i, id: id,
			message: fmt.Sprintf("[run %s s%d l%d t%d] %s", runID, ln.session, ln.lane, t, questions[(ln.session+t)%len(questions)]),
			stream:  float64((ln.session*7+t*3)%100) < 100*o.streamShare}
		out = append(out, r)
		if ctx.Err() != nil {
			r.notRun = true
			continue
		}
		sendTurn(ctx, client, base, r)
		if id == "" {
			id = r.id
			if id == "" {
				// The first turn failed before the server named the session: carry on in one
				// the client names (the failed turn is checked for not being stored twice only).
				id = newID()
			}
		}
	}
	return out
}

type chatAnswer struct {
	Response  string `json:"response"`
	SessionID string `json:"session_id"`
	MessageID string `json:"message_id"`
	Error     struct {
		Code string `json:"code"`
	} `json:"error"`
}

func sendTurn(ctx context.Context, client *http.Client, base string, r *turnResult) {
	body := map[string]any{"message": r.message, "stream": r.stream}
	if r.id != "" {
		body["session_id"] = r.id
	}
	data, _ := json.Marshal(body)
	start := time.Now()
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, base+"/api/chat", bytes.NewReader(data))
	req.Header.Set("Content-Type", "application/json")
	resp, err := client.Do(req)
	if err != nil {
		r.code = "transport"
		r.latency = time.Since(start)
		return
	}
	defer resp.Body.Close()
	r.status = resp.StatusCode
	r.hasRetry = resp.Header.Get("Retry-After") != ""
	if resp.StatusCode != http.StatusOK || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/event-stream") {
		var a chatAnswer
		if err := json.NewDecoder(resp.Body).Decode(&a); err != nil {
			r.code = "bad_body"
		}
		r.latency = time.Since(start)
		if resp.StatusCode != http.StatusOK {
			r.code = a.Error.Code
			return
		}
		r.ok, r.reply, r.replyID = r.code == "", a.Response, a.MessageID
		if r.id == "" {
			r.id = a.SessionID
		}
		return
	}
	if r.id == "" {
		r.id = resp.Header.Get("X-Session-Id")
	}
	readStream(resp.Body, start, r)
	r.latency = time.Since(start)
}

// readStream reads a UI message stream: ok needs finish and [DONE] and no error event.
func readStream(body io.Reader, start time.Time, r *turnResult) {
	var reply strings.Builder
	finished, done := false, false
	br := bufio.NewReaderSize(body, 64<<10)
	for {
		line, err := br.ReadString('\n')
		if data, ok := strings.CutPrefix(strings.TrimRight(line, "\n"), "data: "); ok {
			if data == "[DONE]" {
				done = true
			} else {
				var ev struct{ Type, Delta, ErrorText, MessageID string }
				if json.Unmarshal([]byte(data), &ev) != nil {
					r.code = "bad_event"
				}
				switch ev.Type {
				case "start":
					r.replyID = ev.MessageID
				case "text-delta":
					if r.ttfb == 0 {
						r.ttfb = time.Since(start)
					}
					reply.WriteString(ev.Delta)
				case "finish":
					finished = true
				case "error":
					r.code = "stream_error"
				}
			}
		}
		if err != nil {
			break
		}
	}
	r.reply = reply.String()
	switch {
	case r.code != "":
	case !finished || !done:
		r.code = "stream_cut"
	default:
		r.ok = true
	}
}

func healthy(ctx context.Context, base string) bool {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, base+"/api/health", nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return false
	}
	resp.Body.Close()
	return resp.StatusCode == http.StatusOK
}
