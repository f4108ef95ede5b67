package httpapi

import (
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/digitaltwin/twin/app/twin"
)

func (e *env) delete(t *testing.T, path string, headers ...string) *http.Response {
	t.Helper()
	req, err := http.NewRequest(http.MethodDelete, e.srv.URL+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	return e.send(t, req, headers...)
}

// TestVisitorDeletesTheirConversation: DELETE /api/chat/history/{id} removes the conversation
// from the store (the file is gone), answers 204 once and 404 after; a malformed id is 400.
func TestVisitorDeletesTheirConversation(t *testing.T) {
	e := newEnv(t)
	const other = "22222222-2222-4222-8222-222222222222"
	e.post(t, "/api/chat", chatBody("My name is Alice", sid, false))
	e.post(t, "/api/chat", chatBody("Where do you live?", other, false))
	file := filepath.Join(e.dir, "sessions", sid+".json")
	if _, err := os.Stat(file); err != nil {
		t.Fatalf("conversation not stored where expected: %v", err)
	}

	resp := e.delete(t, "/api/chat/history/"+sid)
	if resp.StatusCode != http.StatusNoContent || resp.ContentLength > 0 {
		t.Fatalf("DELETE: %d (length %d), want 204 and no body", resp.StatusCode, resp.ContentLength)
	}
	if _, err := os.Stat(file); !os.IsNotExist(err) {
		t.Fatalf("session file after DELETE: %v", err)
	}
	for name, tc := range map[string]struct {
		resp   *http.Response
		status int
		code   twin.Code
	}{
		"history after delete":    {e.get(t, "/api/chat/history/"+sid), 404, twin.CodeSessionNotFound},
		"second delete":           {e.delete(t, "/api/chat/history/"+sid), 404, twin.CodeSessionNotFound},
		"unknown id":              {e.delete(t, "/api/chat/history/33333333-3333-4333-8333-333333333333"), 404, twin.CodeSessionNotFound},
		"malformed id":            {e.delete(t, "/api/chat/history/not-a-uuid"), 400, twin.CodeInvalidSessionID},
		"upper-case id":           {e.delete(t, "/api/chat/history/11111111-1111-4111-8111-11111111111A"), 400, twin.CodeInvalidSessionID},
		"path traversal":          {e.delete(t, "/api/chat/history/..%2f..%2fme.txt"), 400, twin.CodeInvalidSessionID},
		"wrong method on history": {e.post(t, "/api/chat/history/"+sid, "{}"), 405, twin.CodeMethodNotAllowed},
	} {
		body := decodeJSON[errorBody](t, tc.resp.Body)
		if tc.resp.StatusCode != tc.status || body.Error.Code != tc.code {
			t.Errorf("%s: %d %+v, want %d %s", name, tc.resp.StatusCode, body, tc.status, tc.code)
		}
	}
	if resp := e.get(t, "/api/chat/history/"+other); resp.StatusCode != 200 {
		t.Fatalf("the other conversation: %d", resp.StatusCode)
	}
	if resp := e.post(t, "/api/chat/history/"+sid, "{}"); resp.Header.Get("Allow") != "GET, DELETE" {
		t.Fatalf("Allow %q", resp.Header.Get("Allow"))
	}

	// The id can start a new conversation, which knows nothing of the deleted one ("My name is
	// Alice" was the visitor's own message, which the offline responder answers from).
	reply := decodeJSON[chatResponse](t, e.post(t, "/api/chat", chatBody("What is my name?", sid, false)).Body)
	if strings.Contains(reply.Response, "Alice") {
		t.Fatalf("the deleted conversation leaked into the next: %q", reply.Response)
	}
	if got := decodeJSON[historyResponse](t, e.get(t, "/api/chat/history/"+sid).Body); len(got.Messages) != 2 {
		t.Fatalf("after delete, a new turn: %+v", got)
	}
}

// TestDeleteAllowedCrossOriginOnlyForListedOrigins: a browser on an allowed origin may DELETE
// (the preflight lists the method); others get no CORS headers.
func TestDeleteAllowedCrossOriginOnlyForListedOrigins(t *testing.T) {
	e := newEnv(t)
	for origin, want := range map[string]string{"http://localhost:3000": "GET, POST, DELETE, OPTIONS", "https://evil.example": ""} {
		req, _ := http.NewRequest(http.MethodOptions, e.srv.URL+"/api/chat/history/"+sid, nil)
		resp := e.send(t, req, "Origin", origin, "Access-Control-Request-Method", "DELETE")
		if got := resp.Header.Get("Access-Control-Allow-Methods"); got != want {
			t.Errorf("preflight from %s: Allow-Methods %q, want %q", origin, got, want)
		}
	}
}
