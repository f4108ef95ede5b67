package owner

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"time"

	"github.com/digitaltwin/twin/app/twin"
)

// Caps per session, so one visitor (or a looping model) cannot flood the owner within one
// conversation; the per-client daily cap (Service.PerClientPerDay) covers new conversations.
const (
	MaxLeadsPerSession     = 3
	MaxQuestionsPerSession = 20
)

// Key prefixes of the three kinds of record, and of the state shared by instances (the running
// totals, the notification cap).
const (
	PrefixLeads     = "leads/"
	PrefixQuestions = "questions/"
	PrefixFeedback  = "feedback/"
	PrefixState     = "owner/"
)

// Prefixes is every key prefix the owner features read and write (the stack grants exactly
// these on the memory bucket).
func Prefixes() []string { return []string{PrefixLeads, PrefixQuestions, PrefixFeedback, PrefixState} }

// Service records leads, unanswered questions and feedback, and notifies the owner.
type Service struct {
	Blobs    Blobs
	Sessions twin.Store    // to check that feedback rates a real reply
	Recent   SessionLister // the most recent sessions, for "what visitors ask most"
	Notifier *Notifier     // optional
	Logger   *slog.Logger
	Now      func() time.Time
	// PerClientPerDay caps the records one client address makes per UTC day, across every
	// conversation and instance (0: no cap).
	PerClientPerDay int
	// LogText allows visitor text (unanswered questions) in the log: a local debug run only.
	LogText bool

	mu    sync.Mutex
	locks map[string]*sync.Mutex // per session, so caps hold under concurrent turns
	usage usage
}

func (s *Service) now() time.Time {
	if s.Now != nil {
		return s.Now().UTC()
	}
	return time.Now().UTC()
}

func (s *Service) lock(sessionID string) func() {
	s.mu.Lock()
	if s.locks == nil {
		s.locks = map[string]*sync.Mutex{}
	}
	l, ok := s.locks[sessionID]
	if !ok {
		l = &sync.Mutex{}
		s.locks[sessionID] = l
	}
	s.mu.Unlock()
	l.Lock()
	return l.Unlock
}

type clientKey struct{}

// WithClient records the client address of the request in ctx, for the per-client daily cap.
func WithClient(ctx context.Context, addr string) context.Context {
	return context.WithValue(ctx, clientKey{}, addr)
}

func clientFrom(ctx context.Context) string {
	s, _ := ctx.Value(clientKey{}).(string)
	return s
}

// ErrCapReached is returned (wrapped in rate_limited) when a session or a client address has
// recorded its share.
var ErrCapReached = errors.New("record cap reached")

func capReached(what string, retry time.Duration) error {
	return &twin.Error{Code: twin.CodeRateLimited, Message: what, RetryAfter: retry, Err: ErrCapReached}
}

// claimAnd counts one record against the request's client and applies fn to the totals, in one
// conditional update of the index.
func (s *Service) claimAnd(ctx context.Context, now time.Time, fn func(*index)) error {
	client := clientFrom(ctx)
	return s.update(ctx, func(ix *index) error {
		if !ix.claim(client, now, s.PerClientPerDay) {
			tomorrow := now.Truncate(24 * time.Hour).Add(24 * time.Hour)
			return capReached("your address has sent enough of these for today", tomorrow.Sub(now))
		}
		fn(ix)
		return nil
	})
}

// RecordLead validates and stores a lead, then notifies the owner. Only a nil error means the
// lead is stored; the notification is best-effort and never fails the call.
func (s *Service) RecordLead(ctx context.Context, l Lead) (Lead, error) {
	l, err := validateLead(l)
	if err != nil {
		return Lead{}, err
	}
	defer s.lock(l.SessionID)()
	prefix := PrefixLeads + l.SessionID + "/"
	if err := s.underCap(ctx, prefix, MaxLeadsPerSession); err != nil {
		return Lead{}, err
	}
	l.Timestamp = s.now()
	if err := s.claimAnd(ctx, l.Timestamp, func(ix *index) { ix.addLead(l) }); err != nil {
		return Lead{}, err
	}
	if err := s.put(ctx, prefix+recordID(l.Timestamp)+".json", l); err != nil {
		return Lead{}, err
	}
	s.Logger.InfoContext(ctx, "lead recorded")
	if s.Notifier != nil {
		s.Notifier.Add(Event{Kind: EventLead, Fields: []Field{
			{"email", l.Email}, {"name", l.Name}, {"note", l.Note}, {"session", l.SessionID},
		}})
	}
	return l, nil
}

// RecordQuestion stores a question the twin could not answer and notifies the owner.
func (s *Service) RecordQuestion(ctx context.Context, q Question) (Question, error) {
	if !twin.ValidSessionID(q.SessionID) {
		return Question{}, twin.Errorf(twin.CodeInvalidSessionID, "session_id must be a lowercase UUID")
	}
	text, err := cleanText("question", q.Question, MaxQuestionChars, true)
	if err != nil {
		return Question{}, err
	}
	// A question is not a lead: an address in it is not kept (leads need the visitor's consent).
	q.Question, q.Dismissed = emailLike.ReplaceAllString(text, "[email]"), false
	defer s.lock(q.SessionID)()
	prefix := PrefixQuestions + q.SessionID + "/"
	if err := s.underCap(ctx, prefix, MaxQuestionsPerSession); err != nil {
		return Question{}, err
	}
	q.Timestamp = s.now()
	q.ID = recordID(q.Timestamp)
	if err := s.claimAnd(ctx, q.Timestamp, func(ix *index) { ix.addQuestion(q) }); err != nil {
		return Question{}, err
	}
	if err := s.put(ctx, prefix+q.ID+".json", q); err != nil {
		return Question{}, err
	}
	// The text is the owner's to read in the summary; the log gets it only on a local debug run.
	if s.LogText {
		s.Logger.DebugContext(ctx, "unanswered question recorded", "question", truncate(q.Question, 200))
	} else {
		s.Logger.InfoContext(ctx, "unanswered question recorded")
	}
	if s.Notifier != nil {
		s.Notifier.Add(Event{Kind: EventQuestion, Fields: []Field{{"question", q.Question}, {"session", q.SessionID}}})
	}
	return q, nil
}

// RecordFeedback stores a rating of the reply f.MessageID of the session; a later rating of the
// same reply replaces the earlier one, and RatingNone withdraws it.
func (s *Service) RecordFeedback(ctx context.Context, f Feedback) (Feedback, error) {
	if !twin.ValidSessionID(f.SessionID) {
		return Feedback{}, twin.Errorf(twin.CodeInvalidSessionID, "session_id must be a lowercase UUID")
	}
	if !ValidMessageID(f.MessageID) {
		return Feedback{}, invalid("message_id", "must be the id of one of the twin's replies")
	}
	var err error
	if f.Rating, err = ParseRating(string(f.Rating)); err != nil {
		return Feedback{}, err
	}
	if f.Reason, err = cleanText("reason", f.Reason, MaxReasonChars, false); err != nil {
		return Feedback{}, err
	}
	sess, err := s.Sessions.Get(ctx, f.SessionID)
	if err != nil {
		return Feedback{}, err
	}
	if !isReply(sess, f.MessageID) {
		return Feedback{}, invalid("message_id", "must be the id of one of the twin's replies in this session")
	}
	defer s.lock(f.SessionID)()
	key := PrefixFeedback + f.SessionID + "/" + f.MessageID + ".json"
	prev := RatingNone
	switch data, _, err := s.Blobs.Get(ctx, key); {
	case err == nil:
		var old Feedback
		if json.Unmarshal(data, &old) == nil {
			prev = old.Rating
		}
	case !errors.Is(err, ErrNoBlob):
		return Feedback{}, fmt.Errorf("read %s: %w", key, err)
	}
	f.Timestamp = s.now()
	if err := s.claimAnd(ctx, f.Timestamp, func(ix *index) { ix.rate(prev, f) }); err != nil {
		return Feedback{}, err
	}
	if err := s.put(ctx, key, f); err != nil {
		return Feedback{}, err
	}
	s.Logger.InfoContext(ctx, "feedback recorded", "rating", string(f.Rating), "message_id", f.MessageID)
	return f, nil
}

// DismissQuestion takes an answered question off the owner's unanswered list (not_found for an
// id that is not on it).
func (s *Service) DismissQuestion(ctx context.Context, id string) error {
	if !ValidMessageID(id) {
		return invalid("id", "must be a question id from the summary")
	}
	var q Question
	err := s.update(ctx, func(ix *index) error {
		var ok bool
		if q, ok = ix.dismiss(id); !ok {
			return twin.Errorf(twin.CodeNotFound, "no open question with this id")
		}
		return nil
	})
	if err != nil {
		return err
	}
	// Mark the record too, so a rebuilt index keeps it dismissed.
	key := PrefixQuestions + q.SessionID + "/" + q.ID + ".json"
	q.Dismissed = true
	if err := s.put(ctx, key, q); err != nil {
		return err
	}
	s.Logger.InfoContext(ctx, "question dismissed")
	return nil
}

// isReply reports whether id names one of the twin's replies in sess.
func isReply(sess twin.Session, id string) bool {
	return slices.ContainsFunc(sess.Messages, func(m twin.Message) bool { return m.Role == twin.RoleAssistant && m.ID == id })
}

func (s *Service) underCap(ctx context.Context, prefix string, limit int) error {
	keys, err := s.Blobs.List(ctx, prefix)
	if err != nil {
		return fmt.Errorf("list %s: %w", prefix, err)
	}
	if len(keys) >= limit {
		return capReached("this conversation has already recorded enough of these", time.Hour)
	}
	return nil
}

func (s *Service) put(ctx context.Context, key string, v any) error {
	data, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("encode %s: %w", key, err)
	}
	if err := s.Blobs.Put(ctx, key, data); err != nil {
		return fmt.Errorf("store %s: %w", key, err)
	}
	return nil
}

// recordID orders records by time and never collides; it is also a question's public id.
func recordID(t time.Time) string {
	var b [4]byte
	_, _ = rand.Read(b[:])
	return t.Format("20060102T150405.000000000Z") + "-" + hex.EncodeToString(b[:])
}

func truncate(s string, n int) string {
	if r := []rune(s); len(r) > n {
		return string(r[:n]) + "…"
	}
	return s
}
