package httpapi

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/digitaltwin/twin/app/twin"
)

// FuzzChatRequest sends arbitrary bodies to POST /api/chat: every answer is a 200 or a known
// error code with a client-safe message, and nothing lands outside the memory dir.
func FuzzChatRequest(f *testing.F) {
	for _, seed := range []string{
		`{"message":"hi"}`, `{"message":"hi","session_id":null,"stream":false}`,
		`{"message":"hi","session_id":"11111111-1111-4111-8111-111111111111"}`,
		`{"message":"\u0000"}`, `{"message":"a","session_id":"../../x"}`, `{"message":"` + "\xff\xfe" + `"}`,
		`{"message":1e999}`, `[`, `{"message":"hi","x":{"y":[1,2,{}]}}`, "",
	} {
		f.Add(seed)
	}
	e := newEnv(f)
	h := e.srv.Config.Handler
	f.Fuzz(func(t *testing.T, body string) {
		req := httptest.NewRequest(http.MethodPost, "/api/chat", strings.NewReader(body))
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code == http.StatusOK {
			var ok chatResponse
			if err := json.Unmarshal(rec.Body.Bytes(), &ok); err != nil || !twin.ValidSessionID(ok.SessionID) {
				t.Fatalf("200 with body %q", rec.Body.String())
			}
			return
		}
		var eb errorBody
		if err := json.Unmarshal(rec.Body.Bytes(), &eb); err != nil {
			t.Fatalf("status %d with a non-JSON body %q", rec.Code, rec.Body.String())
		}
		if Status(eb.Error.Code) != rec.Code || eb.Error.Message == "" {
			t.Fatalf("status %d with error %+v", rec.Code, eb.Error)
		}
		if leaks(rec.Body.String()) {
			t.Fatalf("error body leaks internals: %s", rec.Body.String())
		}
		files(t, e.dir) // fails on anything written next to the memory dir
	})
}

// FuzzSessionID: only canonical lowercase UUIDs are valid, so no id can become a path.
func FuzzSessionID(f *testing.F) {
	for _, s := range []string{"11111111-1111-4111-8111-111111111111", "../x", "a/b", "%2e%2e", "", "11111111-1111-4111-8111-11111111111A"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, id string) {
		if !twin.ValidSessionID(id) {
			return
		}
		if len(id) != 36 || strings.ContainsAny(id, "/\\.%") || strings.ToLower(id) != id {
			t.Fatalf("ValidSessionID(%q) = true", id)
		}
	})
}

// leaks reports signs of internals in a client-visible body: stack traces, file paths, Go errors.
func leaks(body string) bool {
	for _, s := range []string{"goroutine ", ".go:", "/tmp/", "/work/", "runtime.", "json: ", "open ", "panic"} {
		if strings.Contains(body, s) {
			return true
		}
	}
	return false
}
