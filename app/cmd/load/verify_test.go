package main

import "testing"

// The verifier catches a reply stored with the wrong status, under the wrong id, twice, or with
// more text than the client was shown, and accepts the honest cases.
func TestCheckSessionStatuses(t *testing.T) {
	q := storedMessage{Role: "user", Content: "q", ID: "msg-q", Status: "complete"}
	reply := func(id, status, content string) storedMessage {
		return storedMessage{Role: "assistant", Content: content, ID: id, Status: status}
	}
	ok := &turnResult{message: "q", ok: true, status: 200, reply: "hello", replyID: "msg-a"}
	cut := &turnResult{message: "q", status: 200, code: "stream_error", reply: "hel", replyID: "msg-a"}
	down := &turnResult{message: "q", status: 503, code: "llm_unavailable", replyID: ""}
	for name, tc := range map[string]struct {
		msgs []storedMessage
		turn *turnResult
		bad  func(v verdict) int
	}{
		"complete":                {[]storedMessage{q, reply("msg-a", "complete", "hello")}, ok, nil},
		"after a failed attempt":  {[]storedMessage{q, reply("msg-x", "failed", ""), reply("msg-a", "complete", "hello")}, ok, nil},
		"partial, as shown":       {[]storedMessage{q, reply("msg-a", "failed", "hel")}, cut, nil},
		"failed before any text":  {[]storedMessage{q, reply("msg-b", "failed", "")}, down, nil},
		"200 stored as stopped":   {[]storedMessage{q, reply("msg-a", "stopped", "hello")}, ok, func(v verdict) int { return v.mismatched }},
		"200 under another id":    {[]storedMessage{q, reply("msg-z", "complete", "hello")}, ok, func(v verdict) int { return v.mismatched }},
		"more than was shown":     {[]storedMessage{q, reply("msg-a", "failed", "hello")}, cut, func(v verdict) int { return v.mismatched }},
		"failure stored complete": {[]storedMessage{q, reply("msg-a", "complete", "hel")}, cut, func(v verdict) int { return v.mismatched }},
		"unknown status":          {[]storedMessage{q, reply("msg-a", "complete", "hello"), reply("msg-y", "done", "")}, ok, func(v verdict) int { return v.mismatched }},
		"reply stored twice":      {[]storedMessage{q, reply("msg-a", "complete", "hello"), reply("msg-a", "complete", "hello")}, ok, func(v verdict) int { return v.duplicated }},
	} {
		var v verdict
		checkSession(&v, "s", tc.msgs, []*turnResult{tc.turn})
		problems := v.lost + v.duplicated + v.mismatched + v.disordered + v.foreign + v.rejected
		switch {
		case tc.bad == nil && problems > 0:
			t.Errorf("%s: flagged %v", name, v.problems)
		case tc.bad != nil && tc.bad(v) == 0:
			t.Errorf("%s: not flagged (%+v)", name, v)
		}
	}
}
