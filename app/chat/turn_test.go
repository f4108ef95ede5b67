package chat

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/digitaltwin/twin/app/prompt"
	"github.com/digitaltwin/twin/app/twin"
	"github.com/digitaltwin/twin/app/twintest"
)

// words streams text word by word. With pause set it stops after pauseAt words, closes pause
// and waits for its context to end, so a test can act mid-reply.
func words(text string, pauseAt int, pause chan struct{}) *twintest.Provider {
	return &twintest.Provider{NameValue: "words", StreamFunc: func(ctx context.Context, _ twin.GenerateRequest, emit func(string) error) (twin.Usage, error) {
		for i, word := range strings.SplitAfter(text, " ") {
			if pause != nil && i == pauseAt {
				close(pause)
				<-ctx.Done()
			}
			if err := ctx.Err(); err != nil {
				return twin.Usage{}, err
			}
			if err := emit(word); err != nil {
				return twin.Usage{}, err
			}
		}
		return twin.Usage{}, nil
	}}
}

// long is a reply long enough that the output guard releases it in several pieces.
var long = strings.Repeat("alpha beta gamma delta epsilon ", 12)

// hanging never answers: it waits for its context to end.
var hanging = &twintest.Provider{NameValue: "hanging", StreamFunc: func(ctx context.Context, _ twin.GenerateRequest, _ func(string) error) (twin.Usage, error) {
	<-ctx.Done()
	return twin.Usage{}, ctx.Err()
}}

func stored(t *testing.T, s *Service) []twin.Message {
	t.Helper()
	sess, err := s.Store.Get(context.Background(), sid)
	if err != nil {
		t.Fatal(err)
	}
	return sess.Messages
}

// checkTurn asserts the stored turn: the question, complete, then the reply with status and text.
func checkTurn(t *testing.T, msgs []twin.Message, question string, status twin.Status, reply string) {
	t.Helper()
	if len(msgs) != 2 {
		t.Fatalf("stored %d messages %+v, want the question and the reply", len(msgs), msgs)
	}
	q, r := msgs[0], msgs[1]
	if q.Role != twin.RoleUser || q.Content != question || q.Status != twin.StatusComplete || q.ID == "" {
		t.Fatalf("stored question %+v", q)
	}
	if r.Role != twin.RoleAssistant || r.Status != status || r.Content != reply || r.ID == "" || r.ID == q.ID {
		t.Fatalf("stored reply %+v, want %s %q", r, status, reply)
	}
}

// waitsForQuestion answers only once store holds the visitor's message: a turn that stored it
// after the reply would make it fail.
func waitsForQuestion(store twin.Store) *twintest.Provider {
	return &twintest.Provider{NameValue: "waits", StreamFunc: func(ctx context.Context, req twin.GenerateRequest, emit func(string) error) (twin.Usage, error) {
		question := req.Messages[len(req.Messages)-1].Content
		for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(time.Millisecond) {
			if sess, err := store.Get(ctx, sid); err == nil && len(sess.Messages) == 1 && sess.Messages[0].Content == question {
				return twin.Usage{}, emit("stored before my first word")
			}
		}
		return twin.Usage{}, errors.New("the question was not stored while the model answered")
	}}
}

// The question is stored while the model is answering, and the reply under the id the stream
// announced.
func TestQuestionStoredWhileTheModelAnswers(t *testing.T) {
	s, _ := newService(nil, prompt.DefaultBudget)
	s.Provider = waitsForQuestion(s.Store)
	res, err := s.Turn(context.Background(), Request{SessionID: sid, Message: "count", Streamed: true, ReplyID: "msg-given"}, func(string) error { return nil })
	if err != nil {
		t.Fatal(err)
	}
	checkTurn(t, stored(t, s), "count", twin.StatusComplete, "stored before my first word")
	if res.MessageID != "msg-given" || stored(t, s)[1].ID != "msg-given" {
		t.Fatalf("result %+v: the reply is not stored under the id the stream announced", res)
	}
}

// A client that goes away mid-reply (Stop, a reload) leaves the question and exactly the text
// it accepted, marked stopped; the model is cancelled.
func TestClientGoneStoresWhatWasShown(t *testing.T) {
	for name, leave := range map[string]func(cancel context.CancelFunc) error{
		"emit fails":       func(context.CancelFunc) error { return errors.New("broken pipe") },
		"context canceled": func(cancel context.CancelFunc) error { cancel(); return errors.New("gone") },
	} {
		t.Run(name, func(t *testing.T) {
			s, m := newService(words(long, 0, nil), prompt.DefaultBudget)
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			var shown strings.Builder
			_, err := s.Turn(ctx, Request{SessionID: sid, Message: "go", Streamed: true}, func(d string) error {
				if shown.Len() > 0 {
					return leave(cancel)
				}
				shown.WriteString(d)
				return nil
			})
			if !errors.Is(err, context.Canceled) || m.turns[0].Outcome != "canceled" {
				t.Fatalf("err %v, outcome %q: want the client's cancellation", err, m.turns[0].Outcome)
			}
			checkTurn(t, stored(t, s), "go", twin.StatusStopped, shown.String())
			if shown.Len() == 0 || shown.Len() >= len(long) {
				t.Fatalf("shown %d of %d characters: the test did not stop mid-reply", shown.Len(), len(long))
			}
		})
	}
}

// A turn the server cuts off (shutdown past its drain window, a Lambda deadline close) stores
// what the visitor was shown, marked interrupted, and tells the visitor so.
func TestInterruptedTurnIsStoredAsInterrupted(t *testing.T) {
	pause := make(chan struct{})
	s, _ := newService(words(long, 40, pause), prompt.DefaultBudget)
	var logs twintest.Logs
	s.Logger = logs.Logger()
	ctx, interrupt := context.WithCancelCause(context.Background())
	go func() { <-pause; interrupt(twin.ErrInterrupted) }()
	var shown strings.Builder
	_, err := s.Turn(ctx, Request{SessionID: sid, Message: "go", Streamed: true}, func(d string) error { shown.WriteString(d); return nil })
	if e := twin.AsError(err); e.Code != twin.CodeLLMUnavailable || !strings.Contains(e.Message, "saved") {
		t.Fatalf("err %v: want llm_unavailable saying the partial reply is saved", err)
	}
	checkTurn(t, stored(t, s), "go", twin.StatusInterrupted, shown.String())
	if shown.Len() == 0 {
		t.Fatal("nothing was streamed before the interruption")
	}
	if !strings.Contains(logs.String(), `"reply_status":"interrupted"`) {
		t.Fatalf("the turn's summary line does not say how the reply ended:\n%s", logs.String())
	}
}

// A model that has not started answering within the first-token timeout fails the turn with an
// honest llm_unavailable; the turn is stored as failed.
func TestFirstTokenTimeout(t *testing.T) {
	for _, streamed := range []bool{false, true} {
		s, m := newService(hanging, prompt.DefaultBudget)
		s.FirstTokenTimeout = 20 * time.Millisecond
		_, err := s.Turn(context.Background(), Request{SessionID: sid, Message: "anyone?", Streamed: streamed}, func(string) error { return nil })
		e := twin.AsError(err)
		if e.Code != twin.CodeLLMUnavailable || e.RetryAfter <= 0 || !strings.Contains(e.Message, "did not start answering within 20ms") {
			t.Fatalf("streamed=%v: err %v, want llm_unavailable naming the timeout", streamed, err)
		}
		if m.turns[0].Outcome != string(twin.CodeLLMUnavailable) {
			t.Fatalf("outcome %q", m.turns[0].Outcome)
		}
		checkTurn(t, stored(t, s), "anyone?", twin.StatusFailed, "")
	}
}

// When the question's own write fails, the reply's write stores both: nothing is lost.
func TestQuestionWriteFailureIsRepairedWithTheReply(t *testing.T) {
	s, _ := newService(words("fine thanks", 0, nil), prompt.DefaultBudget)
	s.Store = failFirstAppend(s.Store)
	if _, err := s.Turn(context.Background(), Request{SessionID: sid, Message: "how are you"}, func(string) error { return nil }); err != nil {
		t.Fatal(err)
	}
	checkTurn(t, stored(t, s), "how are you", twin.StatusComplete, "fine thanks")
}

// failFirstAppend is inner whose first write fails.
func failFirstAppend(inner twin.Store) *twintest.Store {
	failed := false
	return &twintest.Store{GetFunc: inner.Get,
		AppendFunc: func(ctx context.Context, base twin.Session, msgs []twin.Message, limit int) (twin.Session, error) {
			if !failed {
				failed = true
				return twin.Session{}, errors.New("injected write failure")
			}
			return inner.Append(ctx, base, msgs, limit)
		}}
}

// getSignals tells when a Get has started.
type getSignals struct {
	twin.Store
	started chan struct{}
}

func (g getSignals) Get(ctx context.Context, id string) (twin.Session, error) {
	close(g.started)
	return g.Store.Get(ctx, id)
}

// The persona and the history are read at the same time: the persona source here answers only
// once the history read has started, which never happens if they run one after the other.
func TestPersonaAndHistoryLoadConcurrently(t *testing.T) {
	s, _ := newService(newRecorder(), prompt.DefaultBudget)
	started := make(chan struct{})
	s.Store = getSignals{s.Store, started}
	s.Persona = twintest.PersonaFunc(func(ctx context.Context) (twin.Persona, error) {
		select {
		case <-started:
			return twin.Persona{Name: "Ada", Text: "I am Ada.", Version: "v1"}, nil
		case <-time.After(5 * time.Second):
			return twin.Persona{}, twin.Errorf(twin.CodePersonaUnavailable, "the history was not read while the persona loaded")
		}
	})
	if _, err := s.Turn(context.Background(), Request{SessionID: sid, Message: "hi"}, func(string) error { return nil }); err != nil {
		t.Fatal(err)
	}
}

// A persona failure wins over a history failure, as when the two were read in turn.
func TestPersonaFailureReportedFirst(t *testing.T) {
	s, _ := newService(newRecorder(), prompt.DefaultBudget)
	s.Store = &twintest.Store{GetFunc: func(context.Context, string) (twin.Session, error) {
		return twin.Session{}, errors.New("disk on fire")
	}}
	s.Persona = twintest.PersonaFunc(func(context.Context) (twin.Persona, error) {
		return twin.Persona{}, twin.Errorf(twin.CodePersonaUnavailable, "no persona")
	})
	_, err := s.Turn(context.Background(), Request{SessionID: sid, Message: "hi"}, func(string) error { return nil })
	if got, want := twin.ErrorCode(err), twin.CodePersonaUnavailable; got != want {
		t.Fatalf("Turn error code = %v (%v), want %v", got, err, want)
	}
}

// A session the server has just made is not read: the turn stores the question and the reply
// without a Get (no file lookup; on S3 no GET).
func TestNewSessionIsNotRead(t *testing.T) {
	s, _ := newService(newRecorder(), prompt.DefaultBudget)
	inner := s.Store
	s.Store = &twintest.Store{
		GetFunc: func(context.Context, string) (twin.Session, error) {
			t.Error("the history of a session the server has just made was read")
			return twin.Session{}, twin.Errorf(twin.CodeSessionNotFound, "none")
		},
		AppendFunc: inner.Append,
	}
	if _, err := s.Turn(context.Background(), Request{SessionID: sid, New: true, Message: "hi"}, func(string) error { return nil }); err != nil {
		t.Fatal(err)
	}
	s.Store = inner
	if msgs := stored(t, s); len(msgs) != 2 || msgs[0].Content != "hi" {
		t.Fatalf("stored %+v, want the question and the reply", msgs)
	}
}
