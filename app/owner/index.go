package owner

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"path"
	"slices"
	"sort"
	"strings"
	"time"
)

// The owner summary reads one object of running totals instead of every record (one GET, not
// one per record: at thousands of records the old way timed out). Every write of a record first
// updates the totals with a conditional write (S3 If-Match / If-None-Match, a lock and a content
// hash locally) and retries on a conflict, so instances never lose each other's counts. The
// records stay the source of truth: a missing index is rebuilt from them. See
// docs/decisions/0014-owner-records-index.md.

// indexKey is where the running totals live, next to the records.
const indexKey = PrefixState + "index.json"

// Bounds of the index's lists, so it stays small however many records there are.
const (
	maxRecentLeads = 10
	maxRecent      = 50  // recent_feedback and unanswered, as the summary shows them
	maxOpen        = 200 // open questions kept, so dismissing some still leaves 50 to show
	maxTexts       = 500 // distinct question texts counted for top_unanswered
	// maxClients bounds the addresses the per-client cap tracks in a day. Past it, a new
	// address is refused for the day: a deployment-wide ceiling under a distributed flood,
	// and an index that stays small (≈ 30 bytes an address).
	maxClients = 10_000
)

// index is the running totals behind the owner summary.
type index struct {
	Leads          int            `json:"leads"`
	LeadsPerDay    map[string]int `json:"leads_per_day"`
	RecentLeads    []Lead         `json:"recent_leads"` // newest first
	Questions      int            `json:"questions"`
	QuestionTexts  map[string]int `json:"question_texts"` // normalized text -> count
	Open           []Question     `json:"open"`           // not dismissed, newest first
	ThumbsUp       int            `json:"thumbs_up"`
	ThumbsDown     int            `json:"thumbs_down"`
	RecentFeedback []Feedback     `json:"recent_feedback"` // the latest up/down per reply, newest first
	// Records per client address (hashed) on ClientDay: the per-client daily cap.
	ClientDay string         `json:"client_day"`
	Clients   map[string]int `json:"clients"`
}

func newIndex() *index {
	return &index{LeadsPerDay: map[string]int{}, QuestionTexts: map[string]int{}, Clients: map[string]int{}}
}

func (ix *index) addLead(l Lead) {
	ix.Leads++
	ix.LeadsPerDay[day(l.Timestamp)]++
	ix.RecentLeads = prepend(ix.RecentLeads, l, maxRecentLeads)
}

func (ix *index) addQuestion(q Question) {
	ix.Questions++
	ix.QuestionTexts[normalize(q.Question)]++
	if len(ix.QuestionTexts) > maxTexts {
		// Forget the rarest text (ties: the last in order), so the map stays bounded and the
		// frequent questions keep their counts.
		rare := ""
		for t, n := range ix.QuestionTexts {
			if rare == "" || n < ix.QuestionTexts[rare] || n == ix.QuestionTexts[rare] && t > rare {
				rare = t
			}
		}
		delete(ix.QuestionTexts, rare)
	}
	if !q.Dismissed {
		ix.Open = prepend(ix.Open, q, maxOpen)
	}
}

// rate replaces the rating of one reply: prev is the rating it had (RatingNone if none).
func (ix *index) rate(prev Rating, f Feedback) {
	ix.ThumbsUp -= b2i(prev == RatingUp)
	ix.ThumbsDown -= b2i(prev == RatingDown)
	ix.ThumbsUp += b2i(f.Rating == RatingUp)
	ix.ThumbsDown += b2i(f.Rating == RatingDown)
	ix.ThumbsUp, ix.ThumbsDown = max(ix.ThumbsUp, 0), max(ix.ThumbsDown, 0)
	ix.RecentFeedback = slices.DeleteFunc(ix.RecentFeedback, func(g Feedback) bool {
		return g.SessionID == f.SessionID && g.MessageID == f.MessageID
	})
	if f.Rating != RatingNone {
		ix.RecentFeedback = prepend(ix.RecentFeedback, f, maxRecent)
	}
}

// dismiss removes an open question and returns it.
func (ix *index) dismiss(id string) (Question, bool) {
	i := slices.IndexFunc(ix.Open, func(q Question) bool { return q.ID == id })
	if i < 0 {
		return Question{}, false
	}
	q := ix.Open[i]
	ix.Open = slices.Delete(ix.Open, i, i+1)
	return q, true
}

// claim counts one record against client's daily allowance; false when it is used up.
func (ix *index) claim(client string, now time.Time, limit int) bool {
	if client == "" || limit <= 0 {
		return true
	}
	if d := day(now); ix.ClientDay != d {
		ix.ClientDay, ix.Clients = d, map[string]int{}
	}
	k := clientHash(client)
	if n, seen := ix.Clients[k]; n >= limit || !seen && len(ix.Clients) >= maxClients {
		return false
	}
	ix.Clients[k]++
	return true
}

// clientHash keeps client addresses out of the stored index.
func clientHash(client string) string {
	sum := sha256.Sum256([]byte("twin-owner-client:" + client))
	return hex.EncodeToString(sum[:8])
}

// loadIndex reads the index and its version; a missing index is rebuilt from the records.
func (s *Service) loadIndex(ctx context.Context) (*index, string, error) {
	ix, version, err := load(ctx, s.Blobs, indexKey, s.rebuild)
	if err != nil {
		return nil, "", err
	}
	for _, m := range []*map[string]int{&ix.LeadsPerDay, &ix.QuestionTexts, &ix.Clients} {
		if *m == nil {
			*m = map[string]int{}
		}
	}
	return ix, version, nil
}

// update applies fn to the index with a conditional write (see updateObject).
func (s *Service) update(ctx context.Context, fn func(*index) error) error {
	return updateObject(ctx, s.Blobs, indexKey, s.loadIndex, fn)
}

// load reads the JSON object at key and its version, or makes a fresh one (version "") when
// the key is missing.
func load[T any](ctx context.Context, b Blobs, key string, fresh func(context.Context) (*T, error)) (*T, string, error) {
	data, version, err := b.Get(ctx, key)
	switch {
	case errors.Is(err, ErrNoBlob):
		v, err := fresh(ctx)
		return v, "", err
	case err != nil:
		return nil, "", fmt.Errorf("read %s: %w", key, err)
	}
	v := new(T)
	if err := json.Unmarshal(data, v); err != nil {
		return nil, "", fmt.Errorf("decode %s: %w", key, err)
	}
	return v, version, nil
}

// maxUpdateAttempts bounds the retries of a contended shared object.
const maxUpdateAttempts = 10

// updateObject applies fn to a shared JSON object with a conditional write, re-reading and
// re-applying on a conflict (another instance wrote first). fn may refuse: its error is
// returned and nothing is written.
func updateObject[T any](ctx context.Context, b Blobs, key string, read func(context.Context) (*T, string, error), fn func(*T) error) error {
	for attempt := range maxUpdateAttempts {
		v, version, err := read(ctx)
		if err != nil {
			return err
		}
		if err := fn(v); err != nil {
			return err
		}
		data, err := json.Marshal(v)
		if err != nil {
			return fmt.Errorf("encode %s: %w", key, err)
		}
		err = b.PutIf(ctx, key, data, version)
		if !errors.Is(err, ErrConflict) {
			return err
		}
		wait := time.Duration(rand.IntN(10<<min(attempt, 5))+1) * time.Millisecond
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(wait):
		}
	}
	return fmt.Errorf("update %s: %w after %d attempts", key, ErrConflict, maxUpdateAttempts)
}

// rebuild reads every record once (a deployment from before the index, or a lost index).
func (s *Service) rebuild(ctx context.Context) (*index, error) {
	ix := newIndex()
	leads, err := readAll[Lead](ctx, s.Blobs, PrefixLeads, nil)
	if err != nil {
		return nil, err
	}
	questions, err := readAll(ctx, s.Blobs, PrefixQuestions, func(key string, q *Question) {
		if q.ID == "" { // stored before questions had ids: the key's name has the same form
			q.ID = strings.TrimSuffix(path.Base(key), ".json")
		}
	})
	if err != nil {
		return nil, err
	}
	feedback, err := readAll[Feedback](ctx, s.Blobs, PrefixFeedback, nil)
	if err != nil {
		return nil, err
	}
	sort.SliceStable(leads, func(i, j int) bool { return leads[i].Timestamp.Before(leads[j].Timestamp) })
	sort.SliceStable(questions, func(i, j int) bool { return questions[i].Timestamp.Before(questions[j].Timestamp) })
	sort.SliceStable(feedback, func(i, j int) bool { return feedback[i].Timestamp.Before(feedback[j].Timestamp) })
	for _, l := range leads {
		ix.addLead(l)
	}
	for _, q := range questions {
		ix.addQuestion(q)
	}
	for _, f := range feedback {
		if f.Rating == RatingUp || f.Rating == RatingDown {
			ix.rate(RatingNone, f) // one record per reply: its latest rating
		}
	}
	return ix, nil
}

// readAll reads every record under prefix; fix, if not nil, completes each from its key.
func readAll[T any](ctx context.Context, b Blobs, prefix string, fix func(key string, v *T)) ([]T, error) {
	keys, err := b.List(ctx, prefix)
	if err != nil {
		return nil, fmt.Errorf("list %s: %w", prefix, err)
	}
	out := make([]T, 0, len(keys))
	for _, k := range keys {
		data, _, err := b.Get(ctx, k)
		if err != nil {
			return nil, fmt.Errorf("read %s: %w", k, err)
		}
		var v T
		if err := json.Unmarshal(data, &v); err != nil {
			continue // a foreign or damaged object is skipped, not fatal
		}
		if fix != nil {
			fix(k, &v)
		}
		out = append(out, v)
	}
	return out, nil
}

func prepend[T any](list []T, v T, limit int) []T {
	list = append([]T{v}, list...)
	return list[:min(len(list), limit)]
}

func day(t time.Time) string { return t.UTC().Format(time.DateOnly) }

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}
