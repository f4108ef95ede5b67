package owner

import (
	"context"
	"encoding/json"
	"fmt"
	"regexp"
	"sort"
	"strings"
	"time"

	"github.com/digitaltwin/twin/app/twin"
)

// SessionLister is implemented by stores that can enumerate sessions (the file store), so the
// local owner view can count what visitors ask most.
type SessionLister interface {
	ListSessions(ctx context.Context) ([]string, error)
}

// usage accumulates cost per conversation since the process started (the cloud view gets the
// same from the per-turn metrics and log lines).
type usage struct {
	since    time.Time
	costUSD  float64
	sessions map[string]bool
}

// ObserveTurn adds one turn's estimated cost to the running totals.
func (s *Service) ObserveTurn(sessionID string, costUSD float64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.usage.sessions == nil {
		s.usage = usage{since: s.now(), sessions: map[string]bool{}}
	}
	s.usage.sessions[sessionID] = true
	s.usage.costUSD += costUSD
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
	TopQuestions        []Count    `json:"top_questions"`
	ThumbsUp            int        `json:"thumbs_up"`
	ThumbsDown          int        `json:"thumbs_down"`
	ThumbsDownRate      float64    `json:"thumbs_down_rate"`
	Conversations       int        `json:"conversations"`
	CostUSD             float64    `json:"cost_usd"`
	CostPerConversation float64    `json:"cost_per_conversation_usd"`
	CostSince           *time.Time `json:"cost_since,omitempty"`
}

// topN is how many entries the top lists keep.
const topN = 10

// Summary aggregates every record, and the visitors' questions when the store can list sessions.
func (s *Service) Summary(ctx context.Context) (Summary, error) {
	var sum Summary
	leads, err := readAll[Lead](ctx, s.Blobs, PrefixLeads)
	if err != nil {
		return sum, err
	}
	perDay := map[string]int{}
	for _, l := range leads {
		perDay[l.Timestamp.UTC().Format(time.DateOnly)]++
	}
	sort.Slice(leads, func(i, j int) bool { return leads[i].Timestamp.After(leads[j].Timestamp) })
	sum.Leads = len(leads)
	sum.RecentLeads = leads[:min(len(leads), topN)]
	sum.LeadsPerDay = days(perDay)

	questions, err := readAll[Question](ctx, s.Blobs, PrefixQuestions)
	if err != nil {
		return sum, err
	}
	unanswered := map[string]int{}
	for _, q := range questions {
		unanswered[normalize(q.Question)]++
	}
	sum.UnansweredQuestions = len(questions)
	sum.TopUnanswered = top(unanswered)

	feedback, err := readAll[Feedback](ctx, s.Blobs, PrefixFeedback)
	if err != nil {
		return sum, err
	}
	for _, f := range feedback {
		if f.Rating == RatingDown {
			sum.ThumbsDown++
		} else {
			sum.ThumbsUp++
		}
	}
	if n := sum.ThumbsUp + sum.ThumbsDown; n > 0 {
		sum.ThumbsDownRate = float64(sum.ThumbsDown) / float64(n)
	}

	if lister, ok := s.Sessions.(SessionLister); ok {
		asked, err := s.askedQuestions(ctx, lister)
		if err != nil {
			return sum, err
		}
		sum.TopQuestions = top(asked)
	}

	s.mu.Lock()
	sum.Conversations, sum.CostUSD = len(s.usage.sessions), s.usage.costUSD
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

// askedQuestions counts every visitor message across sessions, normalized.
func (s *Service) askedQuestions(ctx context.Context, lister SessionLister) (map[string]int, error) {
	ids, err := lister.ListSessions(ctx)
	if err != nil {
		return nil, fmt.Errorf("list sessions: %w", err)
	}
	counts := map[string]int{}
	for _, id := range ids {
		sess, err := s.Sessions.Get(ctx, id)
		if err != nil {
			continue // a session being written or unreadable does not spoil the summary
		}
		for _, m := range sess.Messages {
			if m.Role == twin.RoleUser {
				counts[normalize(m.Content)]++
			}
		}
	}
	return counts, nil
}

func readAll[T any](ctx context.Context, b Blobs, prefix string) ([]T, error) {
	keys, err := b.List(ctx, prefix)
	if err != nil {
		return nil, fmt.Errorf("list %s: %w", prefix, err)
	}
	out := make([]T, 0, len(keys))
	for _, k := range keys {
		data, err := b.Get(ctx, k)
		if err != nil {
			return nil, fmt.Errorf("read %s: %w", k, err)
		}
		var v T
		if err := json.Unmarshal(data, &v); err != nil {
			continue // a foreign or damaged object is skipped, not fatal
		}
		out = append(out, v)
	}
	return out, nil
}

// emailLike finds addresses, which the question lists never show (leads list them once).
var emailLike = regexp.MustCompile(`[^\s@]+@[^\s@]+\.[^\s@]+`)

// normalize folds case, spacing and trailing punctuation so the same question counts once.
func normalize(s string) string {
	s = emailLike.ReplaceAllString(s, "[email]")
	s = strings.ToLower(strings.Join(strings.Fields(s), " "))
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
