package chat

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/digitaltwin/twin/app/memory/filestore"
	"github.com/digitaltwin/twin/app/memory/s3store"
	"github.com/digitaltwin/twin/app/prompt"
	"github.com/digitaltwin/twin/app/twin"
	"github.com/digitaltwin/twin/app/twintest/fakeaws"
)

// The storage order and the statuses hold on the real stores: files (atomic rename under a
// lock) and S3 through the SDK against gofakes3 (If-None-Match / If-Match writes).
func TestTurnStorageOnEachStore(t *testing.T) {
	stores := map[string]func(t *testing.T) twin.Store{
		"file": func(t *testing.T) twin.Store {
			st, err := filestore.New(t.TempDir())
			if err != nil {
				t.Fatal(err)
			}
			return st
		},
		"s3": func(t *testing.T) twin.Store {
			return s3store.New(fakeaws.NewS3(t, "twin-memory").Client(t), "twin-memory", "sessions/")
		},
	}
	ask := func(s *Service, ctx context.Context, message string, emit func(string) error) error {
		_, err := s.Turn(ctx, Request{SessionID: sid, Message: message, Streamed: true}, emit)
		return err
	}
	for name, newStore := range stores {
		service := func(t *testing.T, p twin.Provider) *Service {
			s, _ := newService(p, prompt.DefaultBudget)
			s.Store = newStore(t)
			return s
		}
		t.Run(name+"/question stored while the model answers", func(t *testing.T) {
			s := service(t, nil)
			s.Provider = waitsForQuestion(s.Store)
			if err := ask(s, context.Background(), "count", func(string) error { return nil }); err != nil {
				t.Fatal(err)
			}
			checkTurn(t, stored(t, s), "count", twin.StatusComplete, "stored before my first word")
		})
		t.Run(name+"/a new session's first write never replaces one stored", func(t *testing.T) {
			// A server-made id is never read first; should it name a stored session after all,
			// the first write (a new file, or If-None-Match on S3) builds on it instead.
			s := service(t, words("noted", 0, nil))
			if err := ask(s, context.Background(), "first", func(string) error { return nil }); err != nil {
				t.Fatal(err)
			}
			if _, err := s.Turn(context.Background(), Request{SessionID: sid, New: true, Message: "second"}, func(string) error { return nil }); err != nil {
				t.Fatal(err)
			}
			msgs := stored(t, s)
			if len(msgs) != 4 || msgs[0].Content != "first" || msgs[2].Content != "second" {
				t.Fatalf("stored %+v, want both turns", msgs)
			}
		})
		t.Run(name+"/stopped keeps what was shown", func(t *testing.T) {
			s := service(t, words(long, 0, nil))
			var shown strings.Builder
			err := ask(s, context.Background(), "go", func(d string) error {
				if shown.Len() > 0 {
					return errors.New("client gone")
				}
				shown.WriteString(d)
				return nil
			})
			if !errors.Is(err, context.Canceled) {
				t.Fatalf("err %v", err)
			}
			checkTurn(t, stored(t, s), "go", twin.StatusStopped, shown.String())
		})
		t.Run(name+"/interrupted keeps what was shown", func(t *testing.T) {
			pause := make(chan struct{})
			s := service(t, words(long, 40, pause))
			ctx, interrupt := context.WithCancelCause(context.Background())
			go func() { <-pause; interrupt(twin.ErrInterrupted) }()
			var shown strings.Builder
			_ = ask(s, ctx, "go", func(d string) error { shown.WriteString(d); return nil })
			checkTurn(t, stored(t, s), "go", twin.StatusInterrupted, shown.String())
		})
		t.Run(name+"/a silent model fails, and its retry answers the kept question", func(t *testing.T) {
			s := service(t, hanging)
			s.FirstTokenTimeout = 20 * time.Millisecond
			if err := ask(s, context.Background(), "hello?", func(string) error { return nil }); twin.ErrorCode(err) != twin.CodeLLMUnavailable {
				t.Fatalf("err %v", err)
			}
			checkTurn(t, stored(t, s), "hello?", twin.StatusFailed, "")
			s.Provider = words("hi there", 0, nil)
			if err := ask(s, context.Background(), "hello?", func(string) error { return nil }); err != nil {
				t.Fatal(err)
			}
			msgs := stored(t, s)
			if len(msgs) != 3 || msgs[2].Content != "hi there" || msgs[2].Status != twin.StatusComplete {
				t.Fatalf("after the retry: %+v", msgs)
			}
		})
	}
}
