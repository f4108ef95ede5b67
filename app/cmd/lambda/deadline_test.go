package main

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/digitaltwin/twin/app/twin"
	"github.com/digitaltwin/twin/app/twintest"
)

// A streamed turn still running when the invocation nears its deadline is interrupted in time to
// store what the visitor was shown, marked interrupted, and the stream ends with an error event
// instead of being cut off by the Lambda timeout.
func TestTurnNearTheDeadlineIsStoredAsInterrupted(t *testing.T) {
	app := newApp(t, "OFFLINE_TOKEN_DELAY_MS", "100")

	const margin = 200 * time.Millisecond
	ctx, cancel := context.WithDeadline(context.Background(), time.Now().Add(margin+1000*time.Millisecond))
	defer cancel()
	const sid = "44444444-4444-4444-8444-444444444444"
	ev := functionURLEvent("POST", "/api/chat/stream", `{"message":"Tell me about your career and where you live","session_id":"`+sid+`"}`)
	resp, err := FunctionURL(interruptBeforeDeadline(app, margin))(ctx, ev)
	if err != nil {
		t.Fatal(err)
	}
	_, body := readStreaming(t, resp)
	evs := twintest.StreamEvents(body)
	shown, last := twintest.StreamText(body), evs[len(evs)-1]
	if shown == "" {
		t.Fatalf("nothing was streamed before the deadline:\n%s", body)
	}
	if last["type"] != "error" || !strings.Contains(last["errorText"].(string), "saved") || !strings.HasSuffix(body, "data: [DONE]\n\n") {
		t.Fatalf("stream ended with %v:\n%s", last, body)
	}

	rec := httptest.NewRecorder()
	app.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/api/chat/history/"+sid, nil))
	var hist struct{ Messages []twin.Message }
	if err := json.Unmarshal(rec.Body.Bytes(), &hist); err != nil || len(hist.Messages) != 2 {
		t.Fatalf("history %d %s", rec.Code, rec.Body)
	}
	if r := hist.Messages[1]; r.Status != twin.StatusInterrupted || r.Content != shown {
		t.Fatalf("stored reply %+v, shown %q: want what was shown, interrupted", r, shown)
	}
}
