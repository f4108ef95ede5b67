package owner

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/digitaltwin/twin/app/twin"
)

// Caps per session, so one visitor (or a looping model) cannot flood the owner.
const (
	MaxLeadsPerSession     = 3
	MaxQuestionsPerSession = 20
)

// Key prefixes of the three kinds of record.
const (
	PrefixLeads     = "leads/"
	PrefixQuestions = "questions/"
	PrefixFeedback  = "feedback/"
)

// Service records leads, unanswered questions and feedback, and notifies the owner.
type Service struct {
	Blobs    Blobs
	Sessions twin.Store // to check that feedback rates a real reply
	Notifier *Notifier  // optional
	Logger   *slog.Logger
	Now      func() time.Time

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

// ErrCapReached is returned (wrapped in rate_limited) when a session has recorded its share.
var ErrCapReached = errors.New("per-session cap reached")

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
	if err := s.put(ctx, prefix+recordName(l.Timestamp), l); err != nil {
		return Lead{}, err
	}
	s.Logger.InfoContext(ctx, "lead recorded")
	if s.Notifier != nil {
		s.Notifier.Add(fmt.Sprintf("New contact request\n  email: %s\n  name: %s\n  note: %s\n  session: %s",
			l.Email, orDash(l.Name), orDash(l.Note), l.SessionID))
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
	q.Question = emailLike.ReplaceAllString(text, "[email]")
	defer s.lock(q.SessionID)()
	prefix := PrefixQuestions + q.SessionID + "/"
	if err := s.underCap(ctx, prefix, MaxQuestionsPerSession); err != nil {
		return Question{}, err
	}
	q.Timestamp = s.now()
	if err := s.put(ctx, prefix+recordName(q.Timestamp), q); err != nil {
		return Question{}, err
	}
	// The question itself is logged (emails and phone numbers redacted by the handler) so the
	// dashboard can list what visitors ask that the persona does not answer.
	s.Logger.InfoContext(ctx, "unanswered question recorded", "question", truncate(q.Question, 200))
	if s.Notifier != nil {
		s.Notifier.Add(fmt.Sprintf("Unanswered question\n  %q\n  session: %s", q.Question, q.SessionID))
	}
	return q, nil
}

// RecordFeedback stores a rating of the reply at f.MessageIndex of the session; a later rating
// of the same reply replaces the earlier one.
func (s *Service) RecordFeedback(ctx context.Context, f Feedback) (Feedback, error) {
	if !twin.ValidSessionID(f.SessionID) {
		return Feedback{}, twin.Errorf(twin.CodeInvalidSessionID, "session_id must be a lowercase UUID")
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
	if f.MessageIndex < 0 || f.MessageIndex >= len(sess.Messages) || sess.Messages[f.MessageIndex].Role != twin.RoleAssistant {
		return Feedback{}, invalid("message_index", "must point at one of the twin's replies in this session")
	}
	f.Timestamp = s.now()
	if err := s.put(ctx, fmt.Sprintf("%s%s/%06d.json", PrefixFeedback, f.SessionID, f.MessageIndex), f); err != nil {
		return Feedback{}, err
	}
	s.Logger.InfoContext(ctx, "feedback recorded", "rating", string(f.Rating), "message_index", f.MessageIndex)
	return f, nil
}

func (s *Service) underCap(ctx context.Context, prefix string, limit int) error {
	keys, err := s.Blobs.List(ctx, prefix)
	if err != nil {
		return fmt.Errorf("list %s: %w", prefix, err)
	}
	if len(keys) >= limit {
		return &twin.Error{Code: twin.CodeRateLimited, Message: "this conversation has already recorded enough of these",
			RetryAfter: time.Hour, Err: ErrCapReached}
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

// recordName orders records by time and never collides.
func recordName(t time.Time) string {
	var b [4]byte
	_, _ = rand.Read(b[:])
	return fmt.Sprintf("%s-%s.json", t.Format("20060102T150405.000000000Z"), hex.EncodeToString(b[:]))
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func truncate(s string, n int) string {
	if r := []rune(s); len(r) > n {
		return string(r[:n]) + "…"
	}
	return s
}
