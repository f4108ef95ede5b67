package owner

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/digitaltwin/twin/app/memory/filestore"
	"github.com/digitaltwin/twin/app/twin"
)

const sid = "11111111-1111-4111-8111-111111111111"

// fakePublisher records what would go to SNS.
type fakePublisher struct {
	mu       sync.Mutex
	subjects []string
	bodies   []string
	err      error
}

func (p *fakePublisher) Publish(_ context.Context, subject, message string) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.err != nil {
		return p.err
	}
	p.subjects = append(p.subjects, subject)
	p.bodies = append(p.bodies, message)
	return nil
}

func (p *fakePublisher) count() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.bodies)
}

func newService(t *testing.T, pub Publisher) (*Service, *filestore.Store) {
	t.Helper()
	dir := t.TempDir()
	store, err := filestore.New(dir + "/sessions")
	if err != nil {
		t.Fatal(err)
	}
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	s := &Service{Blobs: NewDirBlobs(dir), Sessions: store, Recent: store, Logger: logger}
	if pub != nil {
		s.Notifier = NewNotifier(pub, time.Hour, time.Second, logger, nil, nil)
	}
	return s, store
}

func TestNormalizeEmail(t *testing.T) {
	for in, want := range map[string]string{
		"ada@example.com":        "ada@example.com",
		" Ada.L+tw@Example.ORG ": "Ada.L+tw@example.org",
	} {
		if got, err := NormalizeEmail(in); err != nil || got != want {
			t.Errorf("NormalizeEmail(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, in := range []string{
		"", "ada", "ada@", "@example.com", "ada@example", "ada@@example.com", "Ada <ada@example.com>",
		"ada@example.com, eve@example.com", "ada@exa mple.com", "ada@-example.com", "ada@example.c",
		"ada@example.123", "ada(comment)@example.com", "\"ada\"@example.com", "ada@example.com\nBcc: eve@example.com",
		strings.Repeat("a", 250) + "@example.com", "ada@exam_ple.com",
		// The review's payloads: query strings that turn a mailto: reply into extra headers.
		"x?bcc=attacker@evil.example", "a?subject=Invoice&body=Pay%20here@evil.example",
		"a%40b@example.com", "a/b@example.com", "a&b@example.com", "a=b@example.com",
		"ada@example.com?cc=eve@example.com", ".ada@example.com", "ada.@example.com", "a..b@example.com",
		"ada@example.co1", "ada@localhost", "ada@[127.0.0.1]", "ada@example..com",
	} {
		if got, err := NormalizeEmail(in); err == nil {
			t.Errorf("NormalizeEmail(%q) = %q, want an error", in, got)
		}
	}
}

func FuzzNormalizeEmail(f *testing.F) {
	f.Add("ada@example.com")
	f.Add("a@b.co\r\n")
	f.Fuzz(func(t *testing.T, s string) {
		got, err := NormalizeEmail(s)
		if err != nil {
			return
		}
		if strings.ContainsAny(got, " \r\n,;<>?&=%/") || strings.Count(got, "@") != 1 || len(got) > MaxEmailLen {
			t.Fatalf("NormalizeEmail(%q) accepted %q", s, got)
		}
	})
}

func TestLeadCapPerSession(t *testing.T) {
	pub := &fakePublisher{}
	s, _ := newService(t, pub)
	ctx := context.Background()
	var wg sync.WaitGroup
	var mu sync.Mutex
	stored, capped := 0, 0
	for i := range 100 {
		wg.Go(func() {
			_, err := s.RecordLead(ctx, Lead{SessionID: sid, Email: fmt.Sprintf("v%d@example.com", i)})
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err == nil:
				stored++
			case errors.Is(err, ErrCapReached) && twin.ErrorCode(err) == twin.CodeRateLimited:
				capped++
			default:
				t.Errorf("RecordLead: %v", err)
			}
		})
	}
	wg.Wait()
	keys, _ := s.Blobs.List(ctx, PrefixLeads)
	if stored != MaxLeadsPerSession || capped != 100-MaxLeadsPerSession || len(keys) != MaxLeadsPerSession {
		t.Fatalf("stored %d, capped %d, records %d; want %d stored", stored, capped, len(keys), MaxLeadsPerSession)
	}
	s.Notifier.Flush(ctx)
	if pub.count() != 1 || !strings.Contains(pub.subjects[0], "3 new contact requests") {
		t.Fatalf("publishes %d %q: want one batched message for 3 leads", pub.count(), pub.subjects)
	}
}

func TestLeadValidation(t *testing.T) {
	s, _ := newService(t, nil)
	ctx := context.Background()
	for name, l := range map[string]Lead{
		"bad email":      {SessionID: sid, Email: "not-an-email"},
		"bad session":    {SessionID: "../x", Email: "a@example.com"},
		"long name":      {SessionID: sid, Email: "a@example.com", Name: strings.Repeat("n", MaxNameChars+1)},
		"injected email": {SessionID: sid, Email: "a@example.com\r\nBcc: all@example.com"},
	} {
		if _, err := s.RecordLead(ctx, l); err == nil {
			t.Errorf("%s: RecordLead(%+v) succeeded", name, l)
		}
	}
	if keys, _ := s.Blobs.List(ctx, ""); len(keys) != 0 {
		t.Fatalf("invalid leads stored: %v", keys)
	}
}

func TestQuestionsAndSummary(t *testing.T) {
	s, store := newService(t, nil)
	ctx := context.Background()
	if _, err := store.Append(ctx, twin.Session{ID: sid}, []twin.Message{
		{Role: twin.RoleUser, Content: "Do you have pets?"}, {Role: twin.RoleAssistant, Content: "Not shared.", ID: "r1"},
		{Role: twin.RoleUser, Content: "do you have  PETS"}, {Role: twin.RoleAssistant, Content: "Still not.", ID: "r3"},
	}, 100); err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{"Do you have pets?", "do you have  PETS"} {
		if _, err := s.RecordQuestion(ctx, Question{SessionID: sid, Question: q}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := s.RecordLead(ctx, Lead{SessionID: sid, Email: "ada@example.com", Name: "Ada"}); err != nil {
		t.Fatal(err)
	}
	for _, f := range []Feedback{
		{SessionID: sid, MessageID: "r1", Rating: RatingUp},
		{SessionID: sid, MessageID: "r1", Rating: RatingDown, Reason: "vague"}, // replaces the first
		{SessionID: sid, MessageID: "r3", Rating: RatingUp},
	} {
		if _, err := s.RecordFeedback(ctx, f); err != nil {
			t.Fatal(err)
		}
	}
	s.ObserveTurn(sid, 0.002, twin.Usage{InputTokens: 3000, OutputTokens: 50})
	s.ObserveTurn(sid, 0.001, twin.Usage{InputTokens: 3200, OutputTokens: 60, CachedInputTokens: 3000})
	sum, err := s.Summary(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if sum.Leads != 1 || len(sum.LeadsPerDay) != 1 || sum.RecentLeads[0].Email != "ada@example.com" {
		t.Errorf("leads: %+v", sum)
	}
	if sum.UnansweredQuestions != 2 || len(sum.TopUnanswered) != 1 || sum.TopUnanswered[0] != (Count{"do you have pets", 2}) {
		t.Errorf("unanswered: %d %+v", sum.UnansweredQuestions, sum.TopUnanswered)
	}
	if len(sum.TopQuestions) != 1 || sum.TopQuestions[0].Count != 2 {
		t.Errorf("top questions: %+v", sum.TopQuestions)
	}
	if len(sum.Unanswered) != 2 || sum.Unanswered[0].ID == "" || sum.Unanswered[0].Question != "do you have PETS" {
		t.Errorf("unanswered, newest first: %+v", sum.Unanswered)
	}
	if sum.ThumbsUp != 1 || sum.ThumbsDown != 1 || sum.ThumbsDownRate != 0.5 {
		t.Errorf("feedback: up %d down %d rate %v", sum.ThumbsUp, sum.ThumbsDown, sum.ThumbsDownRate)
	}
	if len(sum.RecentFeedback) != 2 || sum.RecentFeedback[0].MessageID != "r3" ||
		sum.RecentFeedback[1] != (Feedback{SessionID: sid, MessageID: "r1", Rating: RatingDown, Reason: "vague", Timestamp: sum.RecentFeedback[1].Timestamp}) {
		t.Errorf("recent feedback, latest per reply, newest first: %+v", sum.RecentFeedback)
	}
	if sum.Conversations != 1 || sum.CostPerConversation < 0.0029 || sum.CostPerConversation > 0.0031 {
		t.Errorf("cost: %d conversations, %v per conversation", sum.Conversations, sum.CostPerConversation)
	}
	if got, want := sum.CacheHitShare, 3000.0/6200; got != want {
		t.Errorf("cache hit share %v, want %v (3,000 of 6,200 input tokens from the cache)", got, want)
	}
}

func TestFeedbackValidation(t *testing.T) {
	s, store := newService(t, nil)
	ctx := context.Background()
	if _, err := store.Append(ctx, twin.Session{ID: sid}, []twin.Message{
		{Role: twin.RoleUser, Content: "hi", ID: "msg-u"}, {Role: twin.RoleAssistant, Content: "hello", ID: "msg-a"},
	}, 100); err != nil {
		t.Fatal(err)
	}
	if _, err := s.RecordFeedback(ctx, Feedback{SessionID: sid, MessageID: "msg-a", Rating: RatingUp}); err != nil {
		t.Fatalf("rating the reply by its id: %v", err)
	}
	for name, tc := range map[string]struct {
		f    Feedback
		code twin.Code
	}{
		"no id":        {Feedback{SessionID: sid, Rating: RatingUp}, twin.CodeInvalidRequest},
		"visitor's id": {Feedback{SessionID: sid, MessageID: "msg-u", Rating: RatingUp}, twin.CodeInvalidRequest},
		"unknown id":   {Feedback{SessionID: sid, MessageID: "msg-z", Rating: RatingUp}, twin.CodeInvalidRequest},
		"path id":      {Feedback{SessionID: sid, MessageID: "../../index", Rating: RatingUp}, twin.CodeInvalidRequest},
		"bad rating":   {Feedback{SessionID: sid, MessageID: "r1", Rating: "meh"}, twin.CodeInvalidRequest},
		"no session":   {Feedback{SessionID: "22222222-2222-4222-8222-222222222222", MessageID: "r1", Rating: RatingUp}, twin.CodeSessionNotFound},
		"bad session":  {Feedback{SessionID: "x", MessageID: "r1", Rating: RatingUp}, twin.CodeInvalidSessionID},
		"long reason":  {Feedback{SessionID: sid, MessageID: "r1", Rating: RatingDown, Reason: strings.Repeat("r", MaxReasonChars+1)}, twin.CodeInvalidRequest},
	} {
		if _, err := s.RecordFeedback(ctx, tc.f); twin.ErrorCode(err) != tc.code {
			t.Errorf("%s: err %v, want %s", name, err, tc.code)
		}
	}
}

func TestNotifierBatchesAndNeverBlocks(t *testing.T) {
	pub := &fakePublisher{}
	n := NewNotifier(pub, 50*time.Millisecond, time.Second, slog.New(slog.NewTextHandler(io.Discard, nil)),
		func(s string) string { return strings.ReplaceAll(s, "SECRET-RULES", "[withheld]") }, nil)
	for i := range 10 {
		n.Add(question(fmt.Sprintf("%d SECRET-RULES", i)))
	}
	deadline := time.Now().Add(5 * time.Second)
	for pub.count() == 0 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if pub.count() != 1 || !strings.Contains(pub.subjects[0], "10 unanswered questions") || strings.Contains(pub.bodies[0], "SECRET-RULES") {
		t.Fatalf("publishes %d subjects %q: want one sanitized batch of 10", pub.count(), pub.subjects)
	}
	// A failing publisher is logged, not propagated.
	pub.err = errors.New("sns down")
	n.Add(Event{Kind: EventLead})
	n.Flush(context.Background())
}

func TestNotifierFlushDue(t *testing.T) {
	pub := &fakePublisher{}
	n := NewNotifier(pub, time.Hour, time.Second, slog.New(slog.NewTextHandler(io.Discard, nil)), nil, nil)
	clock := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	n.now = func() time.Time { return clock }
	n.Add(question("question 1"))
	n.FlushDue(context.Background())
	if pub.count() != 0 {
		t.Fatal("published before the window passed")
	}
	clock = clock.Add(time.Hour)
	n.Add(question("question 2"))
	n.FlushDue(context.Background())
	if pub.count() != 1 || !strings.Contains(pub.bodies[0], "question 2") {
		t.Fatalf("publishes %v: want one batch of both once the window passed", pub.bodies)
	}
}

func TestQuestionsNeverKeepAddressesAndSummaryKeepsBrackets(t *testing.T) {
	s, _ := newService(t, nil)
	ctx := context.Background()
	q, err := s.RecordQuestion(ctx, Question{SessionID: sid, Question: "sure, bob@example.com"})
	if err != nil || q.Question != "sure, [email]" {
		t.Fatalf("RecordQuestion = %q, %v", q.Question, err)
	}
	sum, err := s.Summary(ctx)
	if err != nil || sum.TopUnanswered[0].Text != "sure, [email]" {
		t.Fatalf("top unanswered %+v, %v", sum.TopUnanswered, err)
	}
}

func question(text string) Event {
	return Event{Kind: EventQuestion, Fields: []Field{{"question", text}, {"session", sid}}}
}

// TestQuestionTextStaysOutOfTheLog: the question is stored for the owner, but its text reaches
// the log only on a local debug run (LogText).
func TestQuestionTextStaysOutOfTheLog(t *testing.T) {
	for _, logText := range []bool{false, true} {
		s, _ := newService(t, nil)
		var logs strings.Builder
		s.Logger = slog.New(slog.NewJSONHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
		s.LogText = logText
		q, err := s.RecordQuestion(context.Background(), Question{SessionID: sid, Question: "Is your IBAN still DE89370400440532013000?"})
		if err != nil || !strings.Contains(q.Question, "DE89") {
			t.Fatalf("RecordQuestion = %+v, %v", q, err)
		}
		if got := strings.Contains(logs.String(), "IBAN"); got != logText {
			t.Errorf("LogText=%v: question text in the log = %v:\n%s", logText, got, logs.String())
		}
	}
}

// TestRecordsFromBeforeTheIndex: records stored before the running totals existed (questions
// without ids, no index) are counted once, and such a question can still be dismissed.
func TestRecordsFromBeforeTheIndex(t *testing.T) {
	s, _ := newService(t, nil)
	ctx := context.Background()
	key := PrefixQuestions + sid + "/20261101T101500.000000000Z-0a1b2c3d.json"
	if err := s.Blobs.Put(ctx, key, []byte(`{"session_id":"`+sid+`","question":"Do you have pets?","timestamp":"2026-11-01T10:15:00Z"}`)); err != nil {
		t.Fatal(err)
	}
	sum, err := s.Summary(ctx)
	if err != nil || sum.UnansweredQuestions != 1 || len(sum.Unanswered) != 1 || sum.Unanswered[0].ID != "20261101T101500.000000000Z-0a1b2c3d" {
		t.Fatalf("summary of an old record: %+v, %v", sum.Unanswered, err)
	}
	if err := s.DismissQuestion(ctx, sum.Unanswered[0].ID); err != nil {
		t.Fatal(err)
	}
	// A lost index is rebuilt from the records, which remember the dismissal.
	if err := os.Remove(filepath.Join(s.Blobs.(DirBlobs).dir, indexKey)); err != nil {
		t.Fatal(err)
	}
	if sum, err := s.Summary(ctx); err != nil || sum.UnansweredQuestions != 1 || len(sum.Unanswered) != 0 {
		t.Fatalf("rebuilt after dismissal: %d questions, open %+v, %v", sum.UnansweredQuestions, sum.Unanswered, err)
	}
}

// TestLogPublisherWithholdsVisitorText: without an SNS topic, notifications go to the log, with
// their body (visitor text) only on a local debug run.
func TestLogPublisherWithholdsVisitorText(t *testing.T) {
	for _, logText := range []bool{false, true} {
		var logs strings.Builder
		p := LogPublisher{Logger: slog.New(slog.NewJSONHandler(&logs, nil)), LogText: logText}
		if err := p.Publish(context.Background(), "Your digital twin: 1 unanswered question", "Unanswered question\n    question: \"my IBAN\""); err != nil {
			t.Fatal(err)
		}
		if got := strings.Contains(logs.String(), "IBAN"); got != logText || !strings.Contains(logs.String(), "1 unanswered question") {
			t.Errorf("LogText=%v: body in the log = %v:\n%s", logText, got, logs.String())
		}
	}
}

// TestClientCapBoundsTheIndex: the per-client counts keep at most maxClients addresses a day;
// past it a new address is refused, one already counted keeps its allowance.
func TestClientCapBoundsTheIndex(t *testing.T) {
	ix := newIndex()
	now := time.Date(2026, 12, 4, 12, 0, 0, 0, time.UTC)
	for i := range maxClients {
		if !ix.claim(fmt.Sprintf("10.%d.%d.%d", i>>16, i>>8&255, i&255), now, 5) {
			t.Fatalf("address %d refused below the bound", i)
		}
	}
	if ix.claim("192.0.2.1", now, 5) || !ix.claim("10.0.0.1", now, 5) || len(ix.Clients) != maxClients {
		t.Fatalf("past the bound: new address allowed, or a counted one refused (%d tracked)", len(ix.Clients))
	}
	if !ix.claim("192.0.2.1", now.Add(24*time.Hour), 5) || len(ix.Clients) != 1 {
		t.Fatal("a new day does not start afresh")
	}
}
