package httpapi

import (
	"context"
	"net/http"
	"testing"

	"github.com/digitaltwin/twin/app/owner"
	"github.com/digitaltwin/twin/app/twin"
)

type token string

func (k token) Key(context.Context) (string, error) { return string(k), nil }

// withOwner turns the owner endpoints on, with records in their own temp dir.
func withOwner(t testing.TB, access owner.Access) option {
	return func(d *Deps) {
		d.Owner = &owner.Service{Blobs: owner.NewDirBlobs(t.TempDir()), Sessions: d.Chat.Store, Logger: d.Logger, PerClientPerDay: 100}
		d.OwnerAccess = access
	}
}

func TestFeedback(t *testing.T) {
	e := newEnv(t, withOwner(t, owner.Access{Local: true}))
	reply := decodeJSON[chatResponse](t, e.post(t, "/api/chat", chatBody("Where do you live?", sid, false)).Body)
	mid := reply.MessageID
	for _, body := range []string{
		`{"session_id":"` + sid + `","message_id":"` + mid + `","rating":"down","reason":"too vague"}`,
		`{"session_id":"` + sid + `","message_id":"` + mid + `","rating":"none"}`, // withdrawn
		`{"session_id":"` + sid + `","message_id":"` + mid + `","rating":"up"}`,
	} {
		if resp := e.post(t, "/api/feedback", body); resp.StatusCode != http.StatusNoContent {
			t.Fatalf("feedback %s: %d, want 204", body, resp.StatusCode)
		}
	}
	sum := decodeJSON[owner.Summary](t, e.get(t, "/api/owner/summary").Body)
	if sum.ThumbsUp != 1 || sum.ThumbsDown != 0 || len(sum.RecentFeedback) != 1 || sum.RecentFeedback[0] != (owner.Feedback{
		SessionID: sid, MessageID: mid, Rating: owner.RatingUp, Timestamp: sum.RecentFeedback[0].Timestamp}) {
		t.Fatalf("summary after feedback: up %d down %d recent %+v", sum.ThumbsUp, sum.ThumbsDown, sum.RecentFeedback)
	}
	for name, tc := range map[string]struct {
		body   string
		status int
		code   twin.Code
	}{
		"missing rating":  {`{"session_id":"` + sid + `","message_id":"` + mid + `"}`, 400, twin.CodeInvalidRequest},
		"missing id":      {`{"session_id":"` + sid + `","rating":"up"}`, 400, twin.CodeInvalidRequest},
		"path in id":      {`{"session_id":"` + sid + `","message_id":"../x","rating":"up"}`, 400, twin.CodeInvalidRequest},
		"not a reply id":  {`{"session_id":"` + sid + `","message_id":"msg-unknown","rating":"up"}`, 400, twin.CodeInvalidRequest},
		"bad rating":      {`{"session_id":"` + sid + `","message_id":"` + mid + `","rating":"5 stars"}`, 400, twin.CodeInvalidRequest},
		"unknown field":   {`{"session_id":"` + sid + `","message_id":"m1","rating":"up","admin":1}`, 400, twin.CodeInvalidRequest},
		"bad session":     {`{"session_id":"../x","message_id":"m1","rating":"up"}`, 400, twin.CodeInvalidSessionID},
		"unknown session": {`{"session_id":"22222222-2222-4222-8222-222222222222","message_id":"m1","rating":"up"}`, 404, twin.CodeSessionNotFound},
		"malformed":       {`{"session_id":`, 400, twin.CodeInvalidRequest},
	} {
		resp := e.post(t, "/api/feedback", tc.body)
		body := decodeJSON[errorBody](t, resp.Body)
		if resp.StatusCode != tc.status || body.Error.Code != tc.code {
			t.Errorf("%s: %d %+v, want %d %s", name, resp.StatusCode, body, tc.status, tc.code)
		}
	}
}

func TestOwnerSummaryAccess(t *testing.T) {
	for name, tc := range map[string]struct {
		access owner.Access
		header string
		status int
	}{
		"local":               {owner.Access{Local: true}, "", 200},
		"cloud, no token set": {owner.Access{}, "Bearer guess", 404},
		"cloud, right token":  {owner.Access{Token: token("t0k")}, "Bearer t0k", 200},
		"cloud, wrong token":  {owner.Access{Token: token("t0k")}, "Bearer nope", 404},
		"cloud, no header":    {owner.Access{Token: token("t0k")}, "", 404},
	} {
		e := newEnv(t, withOwner(t, tc.access))
		req, _ := http.NewRequest(http.MethodGet, e.srv.URL+"/api/owner/summary", nil)
		if tc.header != "" {
			req.Header.Set("Authorization", tc.header)
		}
		resp, err := e.srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != tc.status {
			t.Errorf("%s: %d, want %d", name, resp.StatusCode, tc.status)
		}
	}
}

func TestDismissQuestion(t *testing.T) {
	var svc *owner.Service
	e := newEnv(t, func(d *Deps) { withOwner(t, owner.Access{Token: token("t0k")})(d); svc = d.Owner })
	q, err := svc.RecordQuestion(context.Background(), owner.Question{SessionID: sid, Question: "Do you have pets?"})
	if err != nil {
		t.Fatal(err)
	}
	dismiss := func(id, auth string) int {
		req, _ := http.NewRequest(http.MethodPost, e.srv.URL+"/api/owner/questions/"+id+"/dismiss", nil)
		if auth != "" {
			req.Header.Set("Authorization", auth)
		}
		resp, err := e.srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if got := dismiss(q.ID, ""); got != 404 {
		t.Fatalf("dismiss without the owner token: %d, want 404", got)
	}
	if got := dismiss(q.ID, "Bearer t0k"); got != 204 {
		t.Fatalf("dismiss: %d, want 204", got)
	}
	if got := dismiss(q.ID, "Bearer t0k"); got != 404 {
		t.Fatalf("dismiss again: %d, want 404", got)
	}
	sum, err := svc.Summary(context.Background())
	if err != nil || len(sum.Unanswered) != 0 || sum.UnansweredQuestions != 1 {
		t.Fatalf("after dismissal: open %+v, total %d, %v", sum.Unanswered, sum.UnansweredQuestions, err)
	}
}

func TestOwnerEndpointsOffWithoutOwner(t *testing.T) {
	e := newEnv(t)
	if resp := e.get(t, "/api/owner/summary"); resp.StatusCode != 404 {
		t.Fatalf("summary without owner features: %d", resp.StatusCode)
	}
}

// TestFeedbackCountsAgainstTheClientsDailyCap: the handler passes the client's address to the
// owner service, whose per-client daily cap answers 429 with Retry-After.
func TestFeedbackCountsAgainstTheClientsDailyCap(t *testing.T) {
	e := newEnv(t, func(d *Deps) {
		withOwner(t, owner.Access{Local: true})(d)
		d.Owner.PerClientPerDay = 2
	})
	reply := decodeJSON[chatResponse](t, e.post(t, "/api/chat", chatBody("Where do you live?", sid, false)).Body)
	body := `{"session_id":"` + sid + `","message_id":"` + reply.MessageID + `","rating":"up"}`
	for i, want := range []int{204, 204, 429} {
		resp := e.post(t, "/api/feedback", body)
		resp.Body.Close()
		if resp.StatusCode != want || want == 429 && resp.Header.Get("Retry-After") == "" {
			t.Fatalf("rating %d: %d (Retry-After %q), want %d", i+1, resp.StatusCode, resp.Header.Get("Retry-After"), want)
		}
	}
}
