package chat

import (
	"context"
	"errors"
	"testing"

	"github.com/digitaltwin/twin/app/memory/memstore"
	"github.com/digitaltwin/twin/app/prompt"
	"github.com/digitaltwin/twin/app/twin"
	"github.com/digitaltwin/twin/app/twintest"
)

// appends records each Append's messages and fails the first fail of them.
func appends(inner twin.Store, fail int) (*twintest.Store, *[][]twin.Message) {
	var calls [][]twin.Message
	return &twintest.Store{GetFunc: inner.Get,
		AppendFunc: func(ctx context.Context, base twin.Session, msgs []twin.Message, limit int) (twin.Session, error) {
			calls = append(calls, msgs)
			if len(calls) <= fail {
				return twin.Session{}, errors.New("injected write failure")
			}
			return inner.Append(ctx, base, msgs, limit)
		}}, &calls
}

var (
	askedQ  = twin.Message{ID: "msg-q", Role: twin.RoleUser, Content: "how are you", Status: twin.StatusComplete}
	replied = twin.Message{ID: "msg-r", Role: twin.RoleAssistant, Content: "fine thanks", Status: twin.StatusComplete, ReplyTo: "msg-q"}
)

// A reply ready before the question's own write has begun takes it over: one write stores both,
// and the question's goroutine, when it runs, writes nothing.
func TestReplyTakesOverAQuestionNotYetWritten(t *testing.T) {
	s, _ := newService(nil, prompt.DefaultBudget)
	store, calls := appends(memstore.New(), 0)
	s.Store = store
	p := &pendingSave{done: make(chan struct{})} // its goroutine has not run yet
	if err := s.saveReply(context.Background(), twin.Session{ID: sid}, p, askedQ, replied); err != nil {
		t.Fatal(err)
	}
	p.run(func() (twin.Session, error) { t.Fatal("the question was written again"); return twin.Session{}, nil })
	if _, err := p.wait(); err != nil {
		t.Fatal(err)
	}
	if len(*calls) != 1 || len((*calls)[0]) != 2 {
		t.Fatalf("writes %v, want one with the question and the reply", *calls)
	}
	checkTurn(t, stored(t, s), "how are you", twin.StatusComplete, "fine thanks")
}

// A question whose write has begun is not taken over: the reply waits for it and goes on top.
func TestReplyWaitsForAQuestionBeingWritten(t *testing.T) {
	s, _ := newService(nil, prompt.DefaultBudget)
	store, calls := appends(memstore.New(), 0)
	s.Store = store
	p := s.saveAsync(context.Background(), twin.Session{ID: sid}, askedQ)
	if _, err := p.wait(); err != nil {
		t.Fatal(err)
	}
	if p.take() {
		t.Fatal("took over a question already written")
	}
	if err := s.saveReply(context.Background(), twin.Session{ID: sid}, p, askedQ, replied); err != nil {
		t.Fatal(err)
	}
	if len(*calls) != 2 || len((*calls)[0]) != 1 || len((*calls)[1]) != 1 {
		t.Fatalf("writes %v, want the question, then the reply", *calls)
	}
	checkTurn(t, stored(t, s), "how are you", twin.StatusComplete, "fine thanks")
}

// The taken-over write gets the second attempt the question would have had on its own: a first
// failure is tried again, and only two failures fail the turn.
func TestTakenOverWriteIsTriedTwice(t *testing.T) {
	for fail, wantErr := range map[int]bool{1: false, 2: true} {
		s, _ := newService(nil, prompt.DefaultBudget)
		store, calls := appends(memstore.New(), fail)
		s.Store = store
		p := &pendingSave{done: make(chan struct{})}
		err := s.saveReply(context.Background(), twin.Session{ID: sid}, p, askedQ, replied)
		if (err != nil) != wantErr || len(*calls) != 2 {
			t.Fatalf("%d failures: err %v after %d writes; want error %v after 2", fail, err, len(*calls), wantErr)
		}
		if !wantErr {
			checkTurn(t, stored(t, s), "how are you", twin.StatusComplete, "fine thanks")
		}
	}
}
