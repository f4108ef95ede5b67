package owner

import (
	"context"
	"sort"
	"time"
)

// capKey is the shared state of the daily notification cap, next to the records.
const capKey = PrefixState + "notifications.json"

// keepDays is how long the cap remembers a day (a digest older than this is not sent).
const keepDays = 7

// DailyCap is a deployment-wide budget of owner notifications per UTC day, kept in the blob
// store (the memory bucket on AWS) with conditional writes, so it holds across instances.
type DailyCap struct {
	blobs Blobs
	limit int
}

// NewDailyCap returns a cap of limit messages a day.
func NewDailyCap(blobs Blobs, limit int) *DailyCap { return &DailyCap{blobs: blobs, limit: limit} }

// dayTally is one day's notification count and what was held back past the cap.
type dayTally struct {
	Day           string `json:"day"`
	Sent          int    `json:"sent"`
	HeldLeads     int    `json:"held_leads"`
	HeldQuestions int    `json:"held_questions"`
	DigestSent    bool   `json:"digest_sent"`
}

type capState struct {
	Days map[string]*dayTally `json:"days"`
}

func (c *DailyCap) read(ctx context.Context) (*capState, string, error) {
	st, version, err := load(ctx, c.blobs, capKey, func(context.Context) (*capState, error) { return &capState{}, nil })
	if err == nil && st.Days == nil {
		st.Days = map[string]*dayTally{}
	}
	return st, version, err
}

// take spends one message of today's budget; past the budget it counts the batch as held and
// returns false.
func (c *DailyCap) take(ctx context.Context, today string, leads, questions int) (bool, error) {
	var ok bool
	err := updateObject(ctx, c.blobs, capKey, c.read, func(st *capState) error {
		prune(st, today)
		d := st.Days[today]
		if d == nil {
			d = &dayTally{Day: today}
			st.Days[today] = d
		}
		if ok = d.Sent < c.limit; ok {
			d.Sent++
		} else {
			d.HeldLeads += leads
			d.HeldQuestions += questions
		}
		return nil
	})
	return ok, err
}

// digest claims the digests of past days with held events that no instance has sent yet.
func (c *DailyCap) digest(ctx context.Context, today string) ([]dayTally, error) {
	var out []dayTally
	err := updateObject(ctx, c.blobs, capKey, c.read, func(st *capState) error {
		out = out[:0]
		prune(st, today)
		for _, d := range st.Days {
			if d.Day < today && !d.DigestSent && d.HeldLeads+d.HeldQuestions > 0 {
				d.DigestSent = true
				out = append(out, *d)
			}
		}
		return nil
	})
	sort.Slice(out, func(i, j int) bool { return out[i].Day < out[j].Day })
	return out, err
}

func prune(st *capState, today string) {
	t, err := time.Parse(time.DateOnly, today)
	if err != nil {
		return
	}
	oldest := day(t.AddDate(0, 0, -keepDays))
	for k := range st.Days {
		if k < oldest {
			delete(st.Days, k)
		}
	}
}
