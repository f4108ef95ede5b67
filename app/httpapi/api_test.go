package httpapi

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/digitaltwin/twin/app/persona"
	"github.com/digitaltwin/twin/app/twin"
	"github.com/digitaltwin/twin/app/twintest"
	"github.com/google/go-cmp/cmp"
	"pgregory.net/rapid"
)

func TestChatJSONAndHistory(t *testing.T) {
	e := newEnv(t)
	resp := e.post(t, "/api/chat", chatBody("Where do you live?", "", false))
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("status %d", resp.StatusCode)
	}
	got := decodeJSON[chatResponse](t, resp.Body)
	if !twin.ValidSessionID(got.SessionID) || !strings.Contains(got.Response, "Gothenburg") || got.Timestamp.IsZero() {
		t.Fatalf("response %+v: want a new session id, an answer from the persona and a timestamp", got)
	}
	msgs := history(t, e, got.SessionID)
	if len(msgs) != 2 || msgs[0].Content != "Where do you live?" || msgs[1].Content != got.Response ||
		msgs[0].Role != twin.RoleUser || msgs[1].Role != twin.RoleAssistant {
		t.Fatalf("history %+v", msgs)
	}
	if msgs[1].ID != got.MessageID || msgs[1].Status != twin.StatusComplete || msgs[0].ID == "" || msgs[0].ID == got.MessageID {
		t.Fatalf("history %+v, response message_id %q: want the reply stored under it, complete", msgs, got.MessageID)
	}
}

func TestRemembersWithinSession(t *testing.T) {
	e := newEnv(t)
	e.post(t, "/api/chat", chatBody("My name is Alice", sid, false))
	resp := e.post(t, "/api/chat", chatBody("What is my name?", sid, false))
	if got := decodeJSON[chatResponse](t, resp.Body); !strings.Contains(got.Response, "Alice") {
		t.Fatalf("reply %q does not contain Alice", got.Response)
	}
	other := "22222222-2222-4222-8222-222222222222"
	resp = e.post(t, "/api/chat", chatBody("What is my name?", other, false))
	if got := decodeJSON[chatResponse](t, resp.Body); strings.Contains(got.Response, "Alice") {
		t.Fatalf("another session knows Alice: %q", got.Response)
	}
}

func TestStreamDeltasEqualStoredReply(t *testing.T) {
	for name, post := range map[string]func(e *env) *http.Response{
		"stream endpoint": func(e *env) *http.Response {
			return e.post(t, "/api/chat/stream", chatBody("Tell me about your career", sid, false))
		},
		"stream flag": func(e *env) *http.Response {
			return e.post(t, "/api/chat", chatBody("Tell me about your career", sid, true))
		},
		"accept header": func(e *env) *http.Response {
			return e.post(t, "/api/chat", chatBody("Tell me about your career", sid, false), "Accept", "text/event-stream")
		},
	} {
		t.Run(name, func(t *testing.T) {
			e := newEnv(t)
			resp := post(e)
			h := resp.Header
			if resp.StatusCode != 200 || !strings.HasPrefix(h.Get("Content-Type"), "text/event-stream") ||
				h.Get("x-vercel-ai-ui-message-stream") != "v1" || h.Get("X-Session-Id") != sid || h.Get("Cache-Control") != "no-cache" {
				t.Fatalf("status %d headers %v", resp.StatusCode, h)
			}
			evs := events(t, resp.Body)
			if diff := cmp.Diff(types(evs), []string{"start", "text-start", "text-delta", "text-end", "finish"}); diff != "" {
				t.Fatalf("event types (-got +want):\n%s", diff)
			}
			if md := evs[0]["messageMetadata"].(map[string]any); md["session_id"] != sid || evs[0]["messageId"] == "" {
				t.Fatalf("start event %v", evs[0])
			}
			msgs := history(t, e, sid)
			if got, want := deltas(evs), msgs[1].Content; got != want || got == "" {
				t.Fatalf("deltas %q != stored reply %q", got, want)
			}
			if msgs[1].ID != evs[0]["messageId"] || msgs[1].Status != twin.StatusComplete {
				t.Fatalf("stored reply %+v, stream messageId %v", msgs[1], evs[0]["messageId"])
			}
		})
	}
}

func TestClientDisconnectStopsGeneration(t *testing.T) {
	canceled := make(chan struct{})
	e := newEnv(t, withProvider(twintest.Slow(5*time.Millisecond, canceled)))
	ctx, cancel := context.WithCancel(context.Background())
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, e.srv.URL+"/api/chat/stream", strings.NewReader(chatBody("hi", sid, true)))
	resp, err := e.srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	// Read until the first words arrive, then go away.
	lines := bufio.NewReader(resp.Body)
	for {
		line, err := lines.ReadString('\n')
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(line, `"text-delta"`) {
			break
		}
	}
	cancel()
	resp.Body.Close()
	select {
	case <-canceled:
	case <-time.After(5 * time.Second):
		t.Fatal("generation went on after the client disconnected")
	}
	// The visitor's message and the part of the reply they saw are kept, marked stopped.
	deadline := time.Now().Add(5 * time.Second)
	for {
		if s, err := e.store.Get(context.Background(), sid); err == nil && len(s.Messages) == 2 {
			reply := s.Messages[1].Content
			if s.Messages[0].Content != "hi" || reply == "" || !strings.HasPrefix(strings.Repeat("word ", len(reply)), reply) || s.Messages[1].Status != twin.StatusStopped {
				t.Fatalf("stored %+v", s.Messages)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("nothing stored after the disconnect")
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestProviderFailure(t *testing.T) {
	t.Run("before first token", func(t *testing.T) {
		e := newEnv(t, withProvider(twintest.Failing(0)))
		for _, path := range []string{"/api/chat", "/api/chat/stream"} {
			resp := e.post(t, path, chatBody("hello there", sid, false))
			body := decodeJSON[errorBody](t, resp.Body)
			if resp.StatusCode != 503 || body.Error.Code != twin.CodeLLMUnavailable || resp.Header.Get("Retry-After") == "" {
				t.Fatalf("%s: status %d body %+v retry-after %q", path, resp.StatusCode, body, resp.Header.Get("Retry-After"))
			}
		}
		// The message is kept, once: the second post is a retry of the failed turn. Each
		// attempt's reply is stored empty and failed, so the page can say so after a reload.
		msgs := history(t, e, sid)
		if len(msgs) != 3 || msgs[0].Content != "hello there" || msgs[0].Role != twin.RoleUser {
			t.Fatalf("the visitor's message was not kept exactly once: %+v", msgs)
		}
		for _, m := range msgs[1:] {
			if m.Role != twin.RoleAssistant || m.Content != "" || m.Status != twin.StatusFailed {
				t.Fatalf("reply %+v, want an empty failed reply", m)
			}
		}
	})
	t.Run("mid stream", func(t *testing.T) {
		e := newEnv(t, withProvider(twintest.Failing(2)))
		resp := e.post(t, "/api/chat/stream", chatBody("hello there", sid, false))
		evs := events(t, resp.Body)
		last := evs[len(evs)-1]
		if resp.StatusCode != 200 || last["type"] != "error" || last["errorText"] == "" || strings.Contains(fmt.Sprint(last), "EOF") {
			t.Fatalf("status %d last event %v: want a client-safe error event", resp.StatusCode, last)
		}
		if msgs := history(t, e, sid); len(msgs) != 2 || msgs[1].Content != deltas(evs) || msgs[1].Status != twin.StatusFailed {
			t.Fatalf("stored %+v, streamed %q", msgs, deltas(evs))
		}
	})
}

func TestPersonaUnavailableKeepsHealth(t *testing.T) {
	src := persona.NewFileSource(t.TempDir()+"/missing.txt", discardLogger())
	e := newEnv(t, withPersona(src))
	for _, tc := range []struct {
		resp *http.Response
	}{{e.post(t, "/api/chat", chatBody("hi", "", false))}, {e.get(t, "/api/persona")}} {
		body := decodeJSON[errorBody](t, tc.resp.Body)
		if tc.resp.StatusCode != 500 || body.Error.Code != twin.CodePersonaUnavailable || strings.Contains(body.Error.Message, "missing.txt") {
			t.Fatalf("status %d body %+v", tc.resp.StatusCode, body)
		}
	}
	resp := e.get(t, "/api/health")
	if got := decodeJSON[map[string]string](t, resp.Body); resp.StatusCode != 200 || got["status"] != "healthy" || got["version"] != "test" {
		t.Fatalf("health %d %v", resp.StatusCode, got)
	}
}

func TestPersonaEndpoint(t *testing.T) {
	e := newEnv(t)
	got := decodeJSON[personaResponse](t, e.get(t, "/api/persona").Body)
	if got.Name != "Maya Lindqvist" || got.Greeting == "" || len(got.Starters) != 4 {
		t.Fatalf("persona %+v", got)
	}
}

func TestSessionFull(t *testing.T) {
	e := newEnv(t, withMaxMessages(4))
	for i := range 2 {
		if resp := e.post(t, "/api/chat", chatBody(fmt.Sprint("q", i), sid, false)); resp.StatusCode != 200 {
			t.Fatalf("turn %d: %d", i, resp.StatusCode)
		}
	}
	resp := e.post(t, "/api/chat", chatBody("one more", sid, false))
	if body := decodeJSON[errorBody](t, resp.Body); resp.StatusCode != 409 || body.Error.Code != twin.CodeSessionFull {
		t.Fatalf("status %d body %+v", resp.StatusCode, body)
	}
	if n := len(history(t, e, sid)); n != 4 {
		t.Fatalf("%d messages stored, want 4", n)
	}
}

func TestBadInput(t *testing.T) {
	long := strings.Repeat("é", 4001)
	for name, tc := range map[string]struct {
		body   string
		code   twin.Code
		status int
	}{
		"malformed json":      {`{"message": "hi"`, twin.CodeInvalidRequest, 400},
		"not an object":       {`["hi"]`, twin.CodeInvalidRequest, 400},
		"two objects":         {`{"message":"hi"}{"message":"again"}`, twin.CodeInvalidRequest, 400},
		"missing message":     {`{"session_id": null}`, twin.CodeInvalidRequest, 400},
		"null message":        {`{"message": null}`, twin.CodeInvalidRequest, 400},
		"number message":      {`{"message": 42}`, twin.CodeInvalidRequest, 400},
		"empty message":       {`{"message": ""}`, twin.CodeInvalidRequest, 400},
		"whitespace message":  {`{"message": " \n\t "}`, twin.CodeInvalidRequest, 400},
		"NUL":                 {`{"message": "a\u0000b"}`, twin.CodeInvalidRequest, 400},
		"too long":            {`{"message": "` + long + `"}`, twin.CodeMessageTooLong, 413},
		"unknown field":       {`{"message": "hi", "admin": true}`, twin.CodeInvalidRequest, 400},
		"dotdot id":           {`{"message": "hi", "session_id": "../x"}`, twin.CodeInvalidSessionID, 400},
		"slash id":            {`{"message": "hi", "session_id": "a/b"}`, twin.CodeInvalidSessionID, 400},
		"encoded id":          {`{"message": "hi", "session_id": "%2e%2e"}`, twin.CodeInvalidSessionID, 400},
		"upper-case id":       {`{"message": "hi", "session_id": "11111111-1111-4111-8111-11111111111A"}`, twin.CodeInvalidSessionID, 400},
		"empty id":            {`{"message": "hi", "session_id": ""}`, twin.CodeInvalidSessionID, 400},
		"id with path suffix": {`{"message": "hi", "session_id": "11111111-1111-4111-8111-111111111111/../../etc"}`, twin.CodeInvalidSessionID, 400},
		"number id":           {`{"message": "hi", "session_id": 7}`, twin.CodeInvalidRequest, 400},
		"huge body":           {`{"message": "` + strings.Repeat("a", 1<<20) + `"}`, twin.CodeMessageTooLong, 413},
	} {
		t.Run(name, func(t *testing.T) {
			e := newEnv(t)
			resp := e.post(t, "/api/chat", tc.body)
			body := decodeJSON[errorBody](t, resp.Body)
			if resp.StatusCode != tc.status || body.Error.Code != tc.code || body.Error.Message == "" {
				t.Fatalf("status %d body %+v, want %d %s", resp.StatusCode, body, tc.status, tc.code)
			}
			if got := resp.Header.Get("X-Correlation-Id"); got == "" || got != body.Error.CorrelationID {
				t.Fatalf("X-Correlation-Id %q, body correlation_id %q", got, body.Error.CorrelationID)
			}
			if f := files(t, e.dir); len(f) != 0 {
				t.Fatalf("bad input stored files: %v", f)
			}
		})
	}
}

func TestMessageLimitBoundary(t *testing.T) {
	e := newEnv(t)
	exact := strings.Repeat("ü", 4000)
	if resp := e.post(t, "/api/chat", chatBody(exact, sid, false)); resp.StatusCode != 200 {
		t.Fatalf("a message of exactly the limit: status %d", resp.StatusCode)
	}
	if resp := e.post(t, "/api/chat", chatBody(exact+"ü", sid, false)); resp.StatusCode != 413 {
		t.Fatalf("one character over the limit: status %d", resp.StatusCode)
	}
}

func TestHistoryErrors(t *testing.T) {
	e := newEnv(t)
	for path, want := range map[string]int{
		"/api/chat/history/" + sid:                               404,
		"/api/chat/history/not-a-uuid":                           400,
		"/api/chat/history/11111111-1111-4111-8111-11111111111A": 400,
		"/api/chat/history/%2e%2e":                               400,
		"/api/chat/history/..%2f..%2fetc%2fpasswd":               400,
	} {
		resp := e.get(t, path)
		body := decodeJSON[errorBody](t, resp.Body)
		if resp.StatusCode != want || body.Error.Code == "" {
			t.Errorf("GET %s: %d %+v, want %d", path, resp.StatusCode, body, want)
		}
	}
}

func TestCorrelationID(t *testing.T) {
	e := newEnv(t)
	for incoming, keep := range map[string]bool{
		"abc-123.X_y":            true,
		strings.Repeat("a", 128): true,
		strings.Repeat("a", 129): false,
		"has space":              false,
		"<script>":               false,
		"":                       false,
	} {
		req, _ := http.NewRequest(http.MethodGet, e.srv.URL+"/api/health", nil)
		req.Header.Set("X-Correlation-Id", incoming)
		resp, err := e.srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		got := resp.Header.Get("X-Correlation-Id")
		if keep && got != incoming || !keep && (got == incoming || got == "") {
			t.Errorf("incoming %q → %q (keep=%v)", incoming, got, keep)
		}
	}
}

func TestRateLimit(t *testing.T) {
	e := newEnv(t, withRateLimit(3))
	for i := range 3 {
		if resp := e.get(t, "/api/persona"); resp.StatusCode != 200 {
			t.Fatalf("request %d: %d", i, resp.StatusCode)
		}
	}
	resp := e.post(t, "/api/chat", chatBody("hi", "", false))
	body := decodeJSON[errorBody](t, resp.Body)
	if resp.StatusCode != 429 || body.Error.Code != twin.CodeRateLimited || resp.Header.Get("Retry-After") == "" {
		t.Fatalf("status %d body %+v Retry-After %q", resp.StatusCode, body, resp.Header.Get("Retry-After"))
	}
	if resp := e.get(t, "/api/health"); resp.StatusCode != 200 {
		t.Fatalf("health is rate limited: %d", resp.StatusCode)
	}
}

func TestCORS(t *testing.T) {
	e := newEnv(t)
	for origin, allowed := range map[string]bool{"http://localhost:3000": true, "https://evil.example": false} {
		req, _ := http.NewRequest(http.MethodOptions, e.srv.URL+"/api/chat", nil)
		req.Header.Set("Origin", origin)
		req.Header.Set("Access-Control-Request-Method", "POST")
		resp, err := e.srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		got := resp.Header.Get("Access-Control-Allow-Origin")
		if allowed && got != origin || !allowed && got != "" {
			t.Errorf("origin %s: Access-Control-Allow-Origin %q", origin, got)
		}
	}
}

func TestUnknownRoutes(t *testing.T) {
	e := newEnv(t)
	if resp := e.get(t, "/api/nope"); resp.StatusCode != 404 {
		t.Errorf("GET /api/nope: %d", resp.StatusCode)
	}
	if resp := e.get(t, "/api/chat"); resp.StatusCode != 405 || resp.Header.Get("Allow") != "POST" {
		t.Errorf("GET /api/chat: %d Allow %q", resp.StatusCode, resp.Header.Get("Allow"))
	}
	if resp := e.get(t, "/api/chat/history/"); resp.StatusCode != 404 {
		t.Errorf("GET /api/chat/history/ (no id): %d", resp.StatusCode)
	}
}

// TestWrongMethodAnswersFromTheRouteTable: every route of the table, asked with a method it does
// not serve, answers 405 with an Allow header naming the route's method.
func TestWrongMethodAnswersFromTheRouteTable(t *testing.T) {
	e := newEnv(t)
	for _, rt := range Routes {
		path := strings.NewReplacer("{session_id}", sid, "{id}", "q-1").Replace(rt.Path)
		method := http.MethodPut
		req, _ := http.NewRequest(method, e.srv.URL+path, nil)
		resp, err := e.srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(rt.Path, "/api/") { // a file (/widget.js): the static 405, not JSON
			resp.Body.Close()
			if resp.StatusCode != 405 || !strings.Contains(resp.Header.Get("Allow"), rt.Method) {
				t.Errorf("%s %s: %d Allow %q", method, path, resp.StatusCode, resp.Header.Get("Allow"))
			}
			continue
		}
		body := decodeJSON[errorBody](t, resp.Body)
		if resp.StatusCode != 405 || body.Error.Code != twin.CodeMethodNotAllowed || !strings.Contains(resp.Header.Get("Allow"), rt.Method) {
			t.Errorf("%s %s: %d %+v Allow %q", method, path, resp.StatusCode, body, resp.Header.Get("Allow"))
		}
	}
}

func TestConcurrentTurnsOneSession(t *testing.T) {
	e := newEnv(t)
	const n = 50
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			req, _ := http.NewRequest(http.MethodPost, e.srv.URL+"/api/chat", strings.NewReader(chatBody(fmt.Sprint("message ", i), sid, i%2 == 0)))
			resp, err := e.srv.Client().Do(req)
			if err != nil {
				t.Error(err)
				return
			}
			defer resp.Body.Close()
			if resp.StatusCode != 200 {
				t.Errorf("turn %d: status %d", i, resp.StatusCode)
			}
			_, _ = io.Copy(io.Discard, resp.Body)
		})
	}
	wg.Wait()
	msgs := history(t, e, sid)
	if len(msgs) != 2*n {
		t.Fatalf("%d messages stored after %d concurrent turns, want %d", len(msgs), n, 2*n)
	}
	seen := map[string]bool{}
	for i := 0; i < len(msgs); i += 2 {
		if msgs[i].Role != twin.RoleUser || msgs[i+1].Role != twin.RoleAssistant || seen[msgs[i].Content] {
			t.Fatalf("message %d: %+v %+v", i, msgs[i], msgs[i+1])
		}
		seen[msgs[i].Content] = true
	}
}

// Messages sent are stored and returned with identical content, in order.
func TestHistoryRoundTripProperty(t *testing.T) {
	e := newEnv(t)
	n := 0
	rapid.Check(t, func(rt *rapid.T) {
		n++
		id := fmt.Sprintf("33333333-3333-4333-8333-%012d", n)
		sent := rapid.SliceOfN(rapid.StringMatching(`[\p{L}\p{N}\p{P}\p{S} ]{1,60}`), 1, 6).Draw(rt, "messages")
		var want []string
		for _, m := range sent {
			resp := e.post(t, "/api/chat", chatBody(m, id, false))
			if strings.TrimSpace(m) == "" {
				if resp.StatusCode != 400 {
					rt.Fatalf("blank message: %d", resp.StatusCode)
				}
				continue
			}
			if resp.StatusCode != 200 {
				rt.Fatalf("status %d for %q", resp.StatusCode, m)
			}
			want = append(want, strings.TrimSpace(m))
		}
		if len(want) == 0 {
			return
		}
		var got []string
		for _, m := range history(t, e, id) {
			if m.Role == twin.RoleUser {
				got = append(got, m.Content)
			}
		}
		if diff := cmp.Diff(got, want); diff != "" {
			rt.Fatalf("stored user messages (-got +want):\n%s", diff)
		}
	})
}

func discardLogger() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }
