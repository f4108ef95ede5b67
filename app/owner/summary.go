package owner

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/digitaltwin/twin/app/twin"
)

// SessionLister lists the ids of the most recently updated sessions, newest first (both
// conversation stores: a directory listing locally, a bucket listing on S3).
type SessionLister interface {
	RecentSessions(ctx context.Context, limit int) ([]string, error)
}

// askedSessions bounds the conversations "what visitors ask most" reads: the most recent ones,
// so the summary's cost does not grow with the deployment's age.
const askedSessions = 100

// usage accumulates cost per conversation since the process started (the cloud view gets the
// same from the per-turn metrics and log lines).
type usage struct {
	since    time.Time
	costUSD  float64
	sessions map[string]bool
	// input and cached count input tokens, and those of them read from the prompt cache.
	input, cached int
}

// ObserveTurn adds one turn's estimated cost and tokens to the running totals.
func (s *Service) ObserveTurn(sessionID string, costUSD float64, tokens twin.Usage) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.usage.sessions == nil {
		s.usage = usage{since: s.now(), sessions: map[string]bool{}}
	}
	s.usage.sessions[sessionID] = true
	s.usage.costUSD += costUSD
	s.usage.input += tokens.InputTokens
	s.usage.cached += tokens.CachedInputTokens
}

// Count is a text and how often it occurred.
type Count struct {
	Text  string `json:"text"`
	Count int    `json:"count"`
}

// DayCount is a number per UTC day.
type DayCount struct {
	Day   string `json:"day"` // YYYY-MM-DD
	Count int    `json:"count"`
}

// Summary is the owner view's aggregates.
type Summary struct {
	Leads               int        `json:"leads"`
	LeadsPerDay         []DayCount `json:"leads_per_day"`
	RecentLeads         []Lead     `json:"recent_leads"`
	UnansweredQuestions int        `json:"unanswered_questions"`
	TopUnanswered       []Count    `json:"top_unanswered"`
	Unanswered          []Question `json:"unanswered"` // not dismissed, newest first
	TopQuestions        []Count    `json:"top_questions"`
	ThumbsUp            int        `json:"thumbs_up"`
	ThumbsDown          int        `json:"thumbs_down"`
	ThumbsDownRate      float64    `json:"thumbs_down_rate"`
	RecentFeedback      []Feedback `json:"recent_feedback"` // newest first
	Conversations       int        `json:"conversations"`
	CostUSD             float64    `json:"cost_usd"`
	CostPerConversation float64    `json:"cost_per_conversation_usd"`
	CostSince           *time.Time `json:"cost_since,omitempty"`
	// CacheHitShare is the fraction of input tokens read from the model's prompt cache (billed
	// at a fraction of the input price), over the same turns as the cost.
	CacheHitShare float64 `json:"cache_hit_share"`
}

// topN is how many entries the top lists keep.
const topN = 10

// Summary reads the running totals (one object, rebuilt from the records if missing) and the
// questions of the most recent conversations.
func (s *Service) Summary(ctx context.Context) (Summary, error) {
	ix, version, err := s.loadIndex(ctx)
	if err != nil {
		return Summary{}, err
	}
	if version == "" {
		s.keepRebuilt(ctx, ix)
	}
	sum := Summary{
		Leads: ix.Leads, LeadsPerDay: days(ix.LeadsPerDay), RecentLeads: nonNil(ix.RecentLeads),
		UnansweredQuestions: ix.Questions, TopUnanswered: top(ix.QuestionTexts),
		Unanswered: nonNil(ix.Open[:min(len(ix.Open), maxRecent)]),
		ThumbsUp:   ix.ThumbsUp, ThumbsDown: ix.ThumbsDown, RecentFeedback: nonNil(ix.RecentFeedback),
		TopQuestions: []Count{},
	}
	if n := sum.ThumbsUp + sum.ThumbsDown; n > 0 {
		sum.ThumbsDownRate = float64(sum.ThumbsDown) / float64(n)
	}
	if s.Recent != nil {
		asked, err := s.askedQuestions(ctx)
		if err != nil {
			return sum, err
		}
		sum.TopQuestions = top(asked)
	}
	s.mu.Lock()
	sum.Conversations, sum.CostUSD = len(s.usage.sessions), s.usage.costUSD
	if s.usage.input > 0 {
		sum.CacheHitShare = float64(s.usage.cached) / float64(s.usage.input)
	}
	if !s.usage.since.IsZero() {
		since := s.usage.since
		sum.CostSince = &since
	}
	s.mu.Unlock()
	if sum.Conversations > 0 {
		sum.CostPerConversation = sum.CostUSD / float64(sum.Conversations)
	}
	return sum, nil
}

// keepRebuilt stores an index just rebuilt from the records, so the next summary is one read.
// Losing the race to a record write is fine: that write stored an index too.
func (s *Service) keepRebuilt(ctx context.Context, ix *index) {
	data, err := json.Marshal(ix)
	if err == nil {
		err = s.Blobs.PutIf(ctx, indexKey, data, "")
	}
	if err != nil && !errors.Is(err, ErrConflict) {
		s.Logger.WarnContext(ctx, "owner index not stored", "error", err.Error())
	}
}

// askedQuestions counts the questions (not statements) visitors asked in the most recent
// conversations, normalized.
func (s *Service) askedQuestions(ctx context.Context) (map[string]int, error) {
	ids, err := s.Recent.RecentSessions(ctx, askedSessions)
	if err != nil {
		return nil, fmt.Errorf("list recent sessions: %w", err)
	}
	var (
		mu     sync.Mutex
		wg     sync.WaitGroup
		counts = map[string]int{}
		sem    = make(chan struct{}, 8)
	)
	for _, id := range ids {
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			sess, err := s.Sessions.Get(ctx, id)
			if err != nil {
				return // a session being written, deleted or unreadable does not spoil the summary
			}
			mu.Lock()
			defer mu.Unlock()
			for _, m := range sess.Messages {
				if m.Role == twin.RoleUser && IsQuestion(m.Content) {
					counts[normalize(m.Content)]++
				}
			}
		})
	}
	wg.Wait()
	return counts, nil
}

// interrogatives open a question even without a question mark ("tell me about your work").
var interrogatives = map[string]bool{
	"what": true, "what's": true, "who": true, "who's": true, "where": true, "when": true, "why": true,
	"how": true, "how's": true, "which": true, "whose": true, "whom": true,
	"do": true, "does": true, "did": true, "is": true, "are": true, "was": true, "were": true,
	"can": true, "could": true, "would": true, "will": true, "should": true, "have": true, "has": true,
	"tell": true, "describe": true, "explain": true,
}

// IsQuestion reports whether a visitor message asks something, as opposed to a statement or a
// request to pass something on ("please pass on my email …"): it ends with a question mark
// or opens with an interrogative, and carries no email address.
func IsQuestion(s string) bool {
	s = strings.TrimSpace(s)
	if s == "" || emailLike.MatchString(s) {
		return false
	}
	if strings.HasSuffix(strings.TrimRight(s, " .!\"')"), "?") {
		return true
	}
	first, _, _ := strings.Cut(strings.ToLower(s), " ")
	return interrogatives[strings.Trim(first, ",.!:;\"'")]
}

// emailLike finds addresses, which the question lists never show (leads list them once).
var emailLike = regexp.MustCompile(`[^\s@]+@[^\s@]+\.[^\s@]+`)

// normalize folds case, spacing and trailing punctuation so the same question counts once.
func normalize(s string) string {
	s = emailLike.ReplaceAllString(SingleLine(s), "[email]")
	s = strings.ToLower(s)
	s = strings.TrimRight(s, " ?!.,;:")
	if len([]rune(s)) > 200 {
		s = string([]rune(s)[:200]) + "…"
	}
	return s
}

func top(counts map[string]int) []Count {
	out := make([]Count, 0, len(counts))
	for t, n := range counts {
		if t != "" {
			out = append(out, Count{Text: t, Count: n})
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Count != out[j].Count {
			return out[i].Count > out[j].Count
		}
		return out[i].Text < out[j].Text
	})
	return out[:min(len(out), topN)]
}

func days(m map[string]int) []DayCount {
	out := make([]DayCount, 0, len(m))
	for d, n := range m {
		out = append(out, DayCount{Day: d, Count: n})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Day < out[j].Day })
	return out
}

// nonNil makes empty lists encode as [] rather than null.
func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}
