package httpapi

import (
	"io"
	"strings"
	"testing"

	"github.com/digitaltwin/twin/app/twintest"
)

// TestEveryFailureIsLoggedOnce: whatever fails, in a JSON answer or in a stream after its
// headers, the one error path writes exactly one log line carrying the cause (server errors at
// ERROR with a stack), and the client's body never carries it.
func TestEveryFailureIsLoggedOnce(t *testing.T) {
	cause := twintest.ErrModelDown.Error()
	for _, tc := range []struct {
		name, path, body string
		provider         *twintest.Provider
		level, msg       string
		status           int
	}{
		{"provider before first token", "/api/chat", chatBody("hello there", sid, false), twintest.Failing(0), "ERROR", "request failed", 503},
		{"stream before first token", "/api/chat/stream", chatBody("hello there", sid, false), twintest.Failing(0), "ERROR", "request failed", 503},
		{"stream mid reply", "/api/chat/stream", chatBody("hello there", sid, false), twintest.Failing(2), "ERROR", "request failed", 200},
		{"bad input", "/api/chat", `{"message": 7}`, twintest.Failing(0), "INFO", "request rejected", 400},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, withProvider(tc.provider))
			resp := e.post(t, tc.path, tc.body)
			body, _ := io.ReadAll(resp.Body)
			e.srv.Close() // waits for the handler, so its log line is written
			if resp.StatusCode != tc.status {
				t.Fatalf("status %d, want %d: %s", resp.StatusCode, tc.status, body)
			}
			if tc.level == "ERROR" && strings.Contains(string(body), cause) {
				t.Errorf("the cause reached the client: %s", body)
			}
			var lines []map[string]any
			for _, l := range e.logs.Lines(t) {
				if l["msg"] == "request failed" || l["msg"] == "request rejected" || l["level"] == "ERROR" {
					lines = append(lines, l)
				}
			}
			if len(lines) != 1 {
				t.Fatalf("%d error lines, want 1: %v", len(lines), lines)
			}
			l := lines[0]
			if l["level"] != tc.level || l["msg"] != tc.msg {
				t.Errorf("error line %v, want %s %q", l, tc.level, tc.msg)
			}
			if tc.level == "ERROR" {
				if e, _ := l["error"].(string); !strings.Contains(e, cause) {
					t.Errorf("error line without the cause: %v", l)
				}
				if st, _ := l["stack"].(string); st == "" {
					t.Errorf("server error line without a stack: %v", l)
				}
			}
		})
	}
}
