package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"sort"
	"strconv"
	"sync"
	"time"
)

type storedMessage struct {
	Role    string `json:"role"`
	Content string `json:"content"`
	ID      string `json:"id"`
	Status  string `json:"status"`
}

// verdict is what the read-back found.
type verdict struct {
	sessions   int      // sessions read back
	unreadable int      // sessions whose history could not be read
	stored     int      // messages stored in them
	lost       int      // 200 turns whose message is not stored
	duplicated int      // turns whose message is stored more than once
	mismatched int      // turns whose stored reply is not what the client received, or not marked as it ended
	disordered int      // 200 turns stored out of their lane's order
	foreign    int      // stored user messages no client sent
	failedKept int      // failed turns whose message was kept (allowed: the visitor's message is kept)
	rejected   int      // 4xx turns (rejected before any work) whose message was stored anyway
	problems   []string // details, for -v
}

func (v *verdict) problem(format string, args ...any) {
	if len(v.problems) < 200 {
		v.problems = append(v.problems, fmt.Sprintf(format, args...))
	}
}

// verify reads every session back and checks each turn against it.
func verify(ctx context.Context, base string, res loadResult) verdict {
	var v verdict
	bySession := map[string][]*turnResult{}
	for _, r := range res.turns {
		if r.id != "" && !r.notRun {
			bySession[r.id] = append(bySession[r.id], r)
		}
	}
	histories := map[string][]storedMessage{}
	var mu sync.Mutex
	var wg sync.WaitGroup
	sem := make(chan struct{}, 16)
	for id := range bySession {
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			msgs, err := readHistory(ctx, base, id)
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				v.unreadable++
				v.problem("session %s: %v", id, err)
				return
			}
			histories[id] = msgs
		})
	}
	wg.Wait()
	for id, turns := range bySession {
		msgs, ok := histories[id]
		if !ok {
			continue
		}
		v.sessions++
		v.stored += len(msgs)
		checkSession(&v, id, msgs, turns)
	}
	return v
}

func checkSession(v *verdict, id string, msgs []storedMessage, turns []*turnResult) {
	at := map[string][]int{} // user message → stored positions
	for i, m := range msgs {
		if m.Role == "user" {
			at[m.Content] = append(at[m.Content], i)
		}
	}
	sent := map[string]bool{}
	lastPos := map[int]int{} // lane → stored position of its last 200 turn
	sort.Slice(turns, func(i, j int) bool {
		if turns[i].lane != turns[j].lane {
			return turns[i].lane < turns[j].lane
		}
		return turns[i].seq < turns[j].seq
	})
	for _, r := range turns {
		sent[r.message] = true
		pos := at[r.message]
		switch {
		case len(pos) > 1:
			v.duplicated++
			v.problem("session %s: %q stored %d times", id, r.message, len(pos))
		case r.status >= 400 && r.status < 500 && len(pos) > 0:
			v.rejected++
			v.problem("session %s: %q was answered %d but stored", id, r.message, r.status)
		case !r.ok && len(pos) == 1:
			v.failedKept++
		case r.ok && len(pos) == 0:
			v.lost++
			v.problem("session %s: %q got a 200 but is not stored", id, r.message)
		}
		if len(pos) != 1 {
			continue
		}
		p := pos[0]
		checkReply(v, id, msgs, p, r)
		if !r.ok {
			continue
		}
		if last, seen := lastPos[r.lane]; seen && p < last {
			v.disordered++
			v.problem("session %s: %q stored before an earlier turn of its lane", id, r.message)
		}
		lastPos[r.lane] = p
	}
	for m := range at {
		if !sent[m] {
			v.foreign++
			v.problem("session %s: stored message %q was never sent", id, m)
		}
	}
}

// validStatus is every status a stored reply may have.
var validStatus = map[string]bool{"complete": true, "stopped": true, "interrupted": true, "failed": true}

// checkReply checks the replies stored after the question at p (up to the next visitor message)
// against what the client of turn r saw. A 200 turn's reply is stored once, under the id the
// client was given, complete, with the text the client received. A failed turn's reply, when
// stored, is not complete; after an error event it holds exactly the text the client received.
func checkReply(v *verdict, id string, msgs []storedMessage, p int, r *turnResult) {
	found := 0
	for _, m := range msgs[p+1:] {
		if m.Role != "assistant" {
			break
		}
		if !validStatus[m.Status] || m.ID == "" {
			v.mismatched++
			v.problem("session %s: a reply to %q has id %q and status %q", id, r.message, m.ID, m.Status)
		}
		if r.replyID == "" || m.ID != r.replyID {
			continue
		}
		found++
		switch {
		case r.ok && (m.Status != "complete" || m.Content != r.reply):
			v.mismatched++
			v.problem("session %s: the stored reply to %q (%s) is not the one the client received", id, r.message, m.Status)
		case !r.ok && m.Status == "complete":
			v.mismatched++
			v.problem("session %s: the failed turn %q (%s) is stored complete", id, r.message, r.code)
		case r.code == "stream_error" && m.Content != r.reply:
			v.mismatched++
			v.problem("session %s: the stored partial reply to %q is not what the client was shown", id, r.message)
		}
	}
	switch {
	case found > 1:
		v.duplicated++
		v.problem("session %s: the reply to %q is stored %d times", id, r.message, found)
	case found == 0 && r.ok:
		v.mismatched++
		v.problem("session %s: the reply %s to %q is not stored after it", id, r.replyID, r.message)
	}
}

// readHistory reads a session, retrying: under injected faults a read may fail, and under a low
// rate limit it waits as long as Retry-After says (at most 2 s a time).
func readHistory(ctx context.Context, base, id string) ([]storedMessage, error) {
	var lastErr error
	wait := time.Duration(0)
	for range 30 {
		if wait > 0 {
			time.Sleep(wait)
		}
		wait = 100 * time.Millisecond
		rctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		req, _ := http.NewRequestWithContext(rctx, http.MethodGet, base+"/api/chat/history/"+id, nil)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			cancel()
			lastErr = err
			continue
		}
		var body struct {
			Messages []storedMessage `json:"messages"`
		}
		err = json.NewDecoder(resp.Body).Decode(&body)
		resp.Body.Close()
		cancel()
		switch {
		case resp.StatusCode == http.StatusOK && err == nil:
			return body.Messages, nil
		case resp.StatusCode == http.StatusNotFound:
			return nil, nil // nothing stored: every 200 turn of it is lost
		case resp.StatusCode == http.StatusTooManyRequests:
			if secs, err := strconv.Atoi(resp.Header.Get("Retry-After")); err == nil {
				wait = min(time.Duration(secs)*time.Second, 2*time.Second)
			}
			lastErr = fmt.Errorf("history: status %d", resp.StatusCode)
		default:
			lastErr = fmt.Errorf("history: status %d", resp.StatusCode)
		}
	}
	return nil, lastErr
}
