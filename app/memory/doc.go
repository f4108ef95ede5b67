// Package memory holds what every conversation store shares: the rule that turns a read session
// and new messages into the session to write (Apply). Adapters live in subpackages (filestore,
// memstore, s3store) and all pass the contract test in storetest.
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
	out.Messages = make([]twin.Message, 0, len(base.Messages)+len(msgs))
	out.Messages = append(out.Messages, base.Messages...)
	for _, m := range msgs {
		m.Timestamp = m.Timestamp.UTC()
		out.Messages = append(out.Messages, m)
	}
	return out, nil
}
