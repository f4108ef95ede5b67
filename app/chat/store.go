package chat

import (
	"context"
	"sync/atomic"
	"time"

	"github.com/digitaltwin/twin/app/twin"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/trace"
)

// saveTimeout bounds each save; saves run on a context the client cannot cancel, so what the
// visitor sent (and saw) is kept even when they have gone.
const saveTimeout = 10 * time.Second

// retryWindow is how long after a failed turn the same message counts as its retry.
const retryWindow = 10 * time.Minute

// retryOf reports whether message repeats the session's last visitor message whose turn failed
// (nothing but failed replies follow it, or none at all as in sessions stored before replies had
// a status), sent within retryWindow. stored is that message, prior the history before it.
func retryOf(history []twin.Message, message string, now time.Time) (prior []twin.Message, stored twin.Message, ok bool) {
	i := len(history) - 1
	for i >= 0 && history[i].Role == twin.RoleAssistant && history[i].Status == twin.StatusFailed {
		i--
	}
	if i < 0 {
		return history, twin.Message{}, false
	}
	last := history[i]
	if last.Role != twin.RoleUser || last.Content != message || now.Sub(last.Timestamp) >= retryWindow {
		return history, twin.Message{}, false
	}
	return history[:i], last, true
}

// promptHistory is what of the stored history the model sees: every message with text. A reply
// that failed or was cut off before its first word is a marker for the page, not a message.
func promptHistory(history []twin.Message) []twin.Message {
	out := make([]twin.Message, 0, len(history))
	for _, m := range history {
		if m.Content != "" {
			out = append(out, m)
		}
	}
	return out
}

// loadHistory returns the stored session, or a new empty one when there is none. Any other read
// failure stops the turn before anything is written.
func (s *Service) loadHistory(ctx context.Context, id string) (twin.Session, error) {
	ctx, span := tracer.Start(ctx, "memory.get", trace.WithAttributes(attribute.String("session.id", id)))
	defer span.End()
	sess, err := s.Store.Get(ctx, id)
	switch {
	case err == nil:
		span.SetAttributes(attribute.Int("memory.messages", len(sess.Messages)))
		return sess, nil
	case twin.ErrorCode(err) == twin.CodeSessionNotFound:
		span.SetAttributes(attribute.Bool("memory.new_session", true))
		return twin.Session{ID: id}, nil
	default:
		fail(span, err)
		return twin.Session{}, err
	}
}

// pendingSave is the question's save running in the background; wait may be called any number
// of times, so a turn can always wait for it on the way out (even when the model panics), and no
// write outlives its turn.
type pendingSave struct {
	state   atomic.Int32 // queued, then writing or taken
	done    chan struct{}
	session twin.Session
	err     error
}

// States of a pendingSave.
const (
	queued  int32 = iota // its goroutine has not begun the write
	writing              // the write has begun (or is done)
	taken                // the reply's write stores the question instead
)

func (p *pendingSave) wait() (twin.Session, error) {
	<-p.done
	return p.session, p.err
}

// run writes the question unless the reply's write has taken it over.
func (p *pendingSave) run(write func() (twin.Session, error)) {
	defer close(p.done)
	if p.state.CompareAndSwap(queued, writing) {
		p.session, p.err = write()
	}
}

// take claims the question's write if it has not begun: a reply ready before it (an instant
// model on a busy machine) stores both in one write, which lands no later than the question's
// own would have. False once the write has begun.
func (p *pendingSave) take() bool { return p.state.CompareAndSwap(queued, taken) }

// saveAsync stores the visitor's message in the background, so the model's first word does not
// wait for the write.
func (s *Service) saveAsync(ctx context.Context, base twin.Session, question twin.Message) *pendingSave {
	p := &pendingSave{done: make(chan struct{})}
	go p.run(func() (twin.Session, error) { return s.save(ctx, base, []twin.Message{question}) })
	return p
}

// saveReply stores the reply after its question: on top of what the question's save stored (one
// conditional write, no re-read), or together with the question when that save failed or had not
// begun (asked is nil when the question was stored by an earlier turn). Either way the question
// gets two attempts, as when it is written on its own and then again with the reply.
func (s *Service) saveReply(ctx context.Context, base twin.Session, asked *pendingSave, question, reply twin.Message) error {
	both := []twin.Message{question, reply}
	switch {
	case asked == nil:
		_, err := s.save(ctx, base, []twin.Message{reply})
		return err
	case asked.take():
		_, err := s.save(ctx, base, both)
		if err == nil {
			return nil
		}
		s.Logger.WarnContext(ctx, "storing the visitor's message with the reply failed; trying again", "error", err)
	default:
		sess, err := asked.wait()
		if err == nil {
			_, err = s.save(ctx, sess, []twin.Message{reply})
			return err
		}
		s.Logger.WarnContext(ctx, "storing the visitor's message failed; storing it with the reply", "error", err)
	}
	_, err := s.save(ctx, base, both)
	return err
}

// save appends msgs on a context the client cannot cancel.
func (s *Service) save(ctx context.Context, base twin.Session, msgs []twin.Message) (twin.Session, error) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), saveTimeout)
	defer cancel()
	ctx, span := tracer.Start(ctx, "memory.append", trace.WithAttributes(
		attribute.String("session.id", base.ID), attribute.Int("memory.appended", len(msgs))))
	defer span.End()
	stored, err := s.Store.Append(ctx, base, msgs, s.MaxSessionMessages)
	if err != nil {
		fail(span, err)
		return twin.Session{}, err
	}
	span.SetAttributes(attribute.Int("memory.messages", len(stored.Messages)))
	return stored, nil
}
