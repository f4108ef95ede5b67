package chat

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/digitaltwin/twin/app/guard"
	"github.com/digitaltwin/twin/app/prompt"
	"github.com/digitaltwin/twin/app/twin"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"
)

// DefaultFirstTokenTimeout is how long a turn waits for the model's first word when the service
// sets no FirstTokenTimeout.
const DefaultFirstTokenTimeout = 30 * time.Second

// errFirstTokenTimeout is the cancellation cause of a model that has not started answering.
var errFirstTokenTimeout = errors.New("the model produced no first token in time")

// generate streams the reply into t.reply and through emit, and sets t.status. A provider error
// before the first delta becomes llm_unavailable; a client that went away is returned as the
// cancellation it is.
func (s *Service) generate(ctx context.Context, req twin.GenerateRequest, t *turn, emit func(string) error) error {
	ctx, span := tracer.Start(ctx, "llm.stream", trace.WithAttributes(
		attribute.String("gen_ai.operation.name", "chat"),
		attribute.String("gen_ai.system", s.Provider.Name()),
		attribute.String("gen_ai.request.model", s.Provider.Model()),
		attribute.Int("gen_ai.request.max_tokens", s.Budget.ReplyTokens),
		attribute.Int("twin.prompt.input_tokens_estimate", t.stats.InputTokens),
		attribute.Int("twin.prompt.history_dropped", t.stats.Dropped),
	))
	defer span.End()
	genStart := s.now()
	// A model that has not started answering within the first-token timeout is given up on.
	modelCtx, cancelModel := context.WithCancelCause(ctx)
	defer cancelModel(nil)
	firstToken := time.AfterFunc(s.firstTokenTimeout(), func() { cancelModel(errFirstTokenTimeout) })
	defer firstToken.Stop()

	// The output guard sees every delta first and releases only text that cannot be part of a
	// leak of the hidden rules. What it releases and the client accepted is the reply: what the
	// visitor saw is exactly what is stored.
	gs := guardFor(req.Persona.Name, t.canary).NewStream(func(safe string) error {
		if err := emit(safe); err != nil {
			t.clientGone = true
			return err
		}
		t.reply.WriteString(safe)
		return nil
	})
	usage, err := s.Provider.Stream(modelCtx, req, func(delta string) error {
		if delta == "" {
			return nil
		}
		if t.deltas == 0 {
			firstToken.Stop()
			t.firstToken = s.now().Sub(t.start)
			span.AddEvent("first_token")
			span.SetAttributes(attribute.Float64("gen_ai.response.time_to_first_token_ms", float64(s.now().Sub(genStart).Microseconds())/1000))
		}
		t.deltas++
		return gs.Write(delta)
	})
	if err == nil && modelCtx.Err() != nil {
		// A provider that ended quietly after cancellation still did not finish its reply.
		err = context.Cause(modelCtx)
	}
	t.status = twin.StatusComplete
	switch {
	case errors.Is(err, guard.ErrWithheld):
		err = s.withhold(ctx, span, gs, t, emit)
	case err == nil:
		err = gs.Flush()
	case t.deltas > 0 && ctx.Err() == nil && !t.clientGone:
		// Failed mid-stream with the client still there: release the held-back tail (it holds
		// no complete match), then the error follows in the stream.
		_ = gs.Flush()
	}
	s.recordUsage(span, t, usage)
	if err == nil {
		return nil
	}
	t.status = statusOf(ctx, t)
	if !t.streamed {
		// A JSON turn shows nothing until it is complete: a half reply nobody saw is not stored.
		t.reply.Reset()
	}
	switch t.status {
	case twin.StatusStopped:
		span.SetAttributes(attribute.Bool("twin.canceled", true))
		span.SetStatus(codes.Error, "canceled by the client")
		if !errors.Is(err, context.Canceled) {
			err = fmt.Errorf("client gone: %w (%w)", context.Canceled, err)
		}
		return err
	case twin.StatusInterrupted:
		err = &twin.Error{Code: twin.CodeLLMUnavailable, RetryAfter: twin.DefaultLLMRetryAfter, Err: err,
			Message: "the twin had to stop this reply early (it is restarting or out of time); what you saw is saved, please send your message again"}
	default:
		var te *twin.Error
		switch {
		case errors.Is(context.Cause(modelCtx), errFirstTokenTimeout):
			err = &twin.Error{Code: twin.CodeLLMUnavailable, RetryAfter: twin.DefaultLLMRetryAfter, Err: errFirstTokenTimeout,
				Message: fmt.Sprintf("the model did not start answering within %s; your message is saved, please try again", s.firstTokenTimeout())}
		case (t.deltas == 0 || !t.streamed) && !errors.As(err, &te):
			err = twin.LLMUnavailable(err, 0)
		}
	}
	fail(span, err)
	return err
}

// statusOf is how a reply that ended in err is stored.
func statusOf(ctx context.Context, t *turn) twin.Status {
	switch {
	case errors.Is(context.Cause(ctx), twin.ErrInterrupted):
		return twin.StatusInterrupted
	case t.clientGone || ctx.Err() != nil:
		return twin.StatusStopped
	default:
		return twin.StatusFailed
	}
}

func (s *Service) firstTokenTimeout() time.Duration {
	if s.FirstTokenTimeout > 0 {
		return s.FirstTokenTimeout
	}
	return DefaultFirstTokenTimeout
}

// recordUsage fills in what the provider did not report and puts it on the span.
func (s *Service) recordUsage(span trace.Span, t *turn, usage twin.Usage) {
	if usage.InputTokens == 0 {
		usage.InputTokens = t.stats.InputTokens
	}
	if usage.OutputTokens == 0 && t.reply.Len() > 0 {
		usage.OutputTokens = prompt.Tokens(t.reply.String())
	}
	t.usage = usage
	span.SetAttributes(
		attribute.Int("gen_ai.usage.input_tokens", usage.InputTokens),
		attribute.Int("gen_ai.usage.output_tokens", usage.OutputTokens),
		attribute.Int("gen_ai.usage.cache_read.input_tokens", usage.CachedInputTokens),
		attribute.Int("gen_ai.usage.cache_creation.input_tokens", usage.CacheWriteTokens),
		attribute.Int("twin.response.deltas", t.deltas),
	)
}

// withhold replaces a reply that tripped the output guard with the safe in-character answer.
// Text already released was checked clean and stays; in a JSON turn nothing was shown, so the
// whole reply is the safe answer.
func (s *Service) withhold(ctx context.Context, span trace.Span, gs *guard.Stream, t *turn, emit func(string) error) error {
	t.withheld = gs.Reason()
	span.SetAttributes(attribute.String("twin.guard.withheld", t.withheld))
	s.Logger.WarnContext(ctx, "reply withheld by the output guard", "reason", t.withheld, "released_chars", t.reply.Len())
	text := guard.Fallback
	if !t.streamed {
		t.reply.Reset()
	} else if t.reply.Len() > 0 {
		text = "\n\n" + text
	}
	if err := emit(text); err != nil {
		t.clientGone = true
		return err
	}
	t.reply.WriteString(text)
	return nil
}

// guardCache holds the guard for the last persona name and canary: the rules only change with
// them.
var guardCache atomic.Pointer[cachedGuard]

type cachedGuard struct {
	name, canary string
	g            *guard.Guard
}

func guardFor(name, canary string) *guard.Guard {
	if c := guardCache.Load(); c != nil && c.name == name && c.canary == canary {
		return c.g
	}
	g := guard.New(prompt.Rules(name, canary), canary, guard.DefaultMinChunk)
	guardCache.Store(&cachedGuard{name: name, canary: canary, g: g})
	return g
}
