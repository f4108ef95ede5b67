package memory

import (
	"time"

	"github.com/digitaltwin/twin/app/twin"
)

// Apply returns base with msgs appended, for session id, as it should be stored at now. It
// returns CodeSessionFull and leaves base alone when the result would exceed limit messages.
// base may be the zero Session (not stored yet).
func Apply(id string, base twin.Session, msgs []twin.Message, limit int, now time.Time) (twin.Session, error) {
	if len(base.Messages)+len(msgs) > limit {
		return twin.Session{}, twin.Errorf(twin.CodeSessionFull,
			"this conversation has reached its limit of %d messages; please start a new one", limit)
	}
	out := twin.Session{ID: id, CreatedAt: base.CreatedAt, UpdatedAt: now.UTC()}
	if out.CreatedAt.IsZero() {
		out.CreatedAt = now.UTC()
	}
	out.Messages = Merge(base.Messages, msgs)
	return out, nil
}

// Merge returns a new slice of stored with msgs added in order: each at the end, or, for a
// reply with ReplyTo, right after the message it answers and the replies already following it
// (at the end when that message is not there).
func Merge(stored, msgs []twin.Message) []twin.Message {
	out := make([]twin.Message, 0, len(stored)+len(msgs))
	out = append(out, stored...)
	for _, m := range msgs {
		m.Timestamp = m.Timestamp.UTC()
		at := len(out)
		if m.ReplyTo != "" {
			if q := lastIndex(out, m.ReplyTo); q >= 0 {
				at = q + 1
				for at < len(out) && out[at].Role == twin.RoleAssistant {
					at++
				}
			}
			m.ReplyTo = ""
		}
		out = append(out, twin.Message{})
		copy(out[at+1:], out[at:])
		out[at] = m
	}
	return out
}

func lastIndex(msgs []twin.Message, id string) int {
	for i := len(msgs) - 1; i >= 0; i-- {
		if msgs[i].ID == id {
			return i
		}
	}
	return -1
}
