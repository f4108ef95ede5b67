// Package chat is the twin's one use case, a chat turn: load the persona, load the session's
// history, build the prompt, stream the reply from the provider, save the visitor's message and
// the reply, and record what happened (one summary log line, one metrics record, one span per
// persona, memory and LLM call).
package chat

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"sync/atomic"
	"time"

	"github.com/digitaltwin/twin/app/guard"
	"github.com/digitaltwin/twin/app/prompt"
	"github.com/digitaltwin/twin/app/telemetry"
	"github.com/digitaltwin/twin/app/twin"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"
)

// Recorder receives one record per turn (telemetry.Metrics writes CloudWatch EMF).
type Recorder interface {
	RecordTurn(ctx context.Context, t telemetry.Turn) error
}

// Service runs chat turns. All fields but Metrics are required.
type Service struct {
	Persona            twin.PersonaSource
	Store              twin.Store
	Provider           twin.Provider
	Budget             prompt.Budget
	MaxSessionMessages int
	Logger             *slog.Logger
	// Events gets the per-turn summary line, which dashboards read: it stays at info when the
	// diagnostic log level is warn (production). Optional: Logger when nil.
	Events     *slog.Logger
	Metrics    Recorder // optional
	LogContent bool     // log message text (only with LOG_LEVEL=debug locally)
	Owner      Owner    // optional: lead capture and unanswered questions through tools
	Now        func() time.Time
}

// Owner is what the turn needs of the owner features (owner.Service).
type Owner interface {
	// Tools are offered to the model; ToolFunc runs them for one session.
	Tools() []twin.Tool
	ToolFunc(sessionID string) twin.ToolFunc
	// ObserveTurn adds a turn's estimated cost to the owner view's totals.
	ObserveTurn(sessionID string, costUSD float64)
}

// Request is one visitor message.
type Request struct {
	SessionID string // a valid session id (new or existing)
	Message   string // validated and trimmed
	Streamed  bool   // for the summary line and metrics only
}

// Result is a completed turn.
type Result struct {
	SessionID string
	Reply     string
	Timestamp time.Time // the reply's timestamp
}

// saveTimeout bounds the save that runs after a client has gone away.
const saveTimeout = 10 * time.Second

// retryWindow is how long after a failed turn the same message counts as its retry.
const retryWindow = 10 * time.Minute

// isRetry reports whether message repeats the session's last message, a visitor message that got
// no reply (its turn failed), sent within retryWindow.
func isRetry(history []twin.Message, message string, now time.Time) bool {
	if len(history) == 0 {
		return false
	}
	last := history[len(history)-1]
	return last.Role == twin.RoleUser && last.Content == message && now.Sub(last.Timestamp) < retryWindow
}

var tracer = otel.Tracer(telemetry.TracerName)

// turn carries one turn's measurements to the summary.
type turn struct {
	start        time.Time
	firstToken   time.Duration
	usage        twin.Usage
	stats        prompt.Stats
	reply        strings.Builder
	deltas       int
	outcome      string
	streamed     bool
	sessionFound bool
	withheld     string // the output guard's reason, when it replaced the reply
	topic        string // the persona section the question is about ("" if none)
}

// Turn runs one chat turn, calling emit for every reply delta in order. Once emit has been
// called the error, if any, happened mid-stream. The visitor's message is stored whatever
// happens after the history was read; a reply is stored as far as it was streamed. The turn
// records its outcome on the summary line; logging the error itself is the caller's (the HTTP
// layer's one error path).
func (s *Service) Turn(ctx context.Context, req Request, emit func(delta string) error) (Result, error) {
	t := &turn{start: s.now(), streamed: req.Streamed, outcome: telemetry.OutcomeOK}
	ctx = telemetry.WithSessionID(ctx, req.SessionID)
	res, err := s.turn(ctx, req, t, emit)
	if err != nil {
		t.outcome = string(twin.ErrorCode(err))
		if errors.Is(err, context.Canceled) {
			t.outcome = "canceled"
		}
	}
	s.summarize(ctx, req, t)
	return res, err
}

func (s *Service) turn(ctx context.Context, req Request, t *turn, emit func(string) error) (Result, error) {
	userMsg := twin.Message{Role: twin.RoleUser, Content: req.Message, Timestamp: t.start.UTC()}

	p, err := s.loadPersona(ctx)
	if err != nil {
		return Result{}, err
	}
	base, err := s.loadHistory(ctx, req.SessionID)
	if err != nil {
		return Result{}, err
	}
	t.sessionFound = base.Version != ""
	if len(base.Messages)+2 > s.MaxSessionMessages {
		return Result{}, twin.Errorf(twin.CodeSessionFull,
			"this conversation has reached its limit of %d messages; please start a new one", s.MaxSessionMessages)
	}

	// A retry of a message whose turn failed (the visitor's message was kept, no reply followed)
	// answers that message instead of storing it twice.
	history, retrying := base.Messages, isRetry(base.Messages, req.Message, t.start)
	if retrying {
		history = history[:len(history)-1]
	}
	t.topic = s.topic(p, req.Message)
	genReq, stats := prompt.Build(prompt.Input{Persona: p, History: history, Question: userMsg, Budget: s.Budget}, prompt.Tokens)
	t.stats = stats
	if stats.Dropped > 0 {
		s.Logger.InfoContext(ctx, "history truncated to fit the token budget", "dropped_messages", stats.Dropped, "kept_messages", len(genReq.Messages)-1)
	}

	if s.Owner != nil {
		genReq.Tools, genReq.CallTool = s.Owner.Tools(), guardTools(guardFor(p.Name), s.Owner.ToolFunc(req.SessionID))
	}
	genErr := s.generate(ctx, genReq, t, emit)
	reply := t.reply.String()
	var msgs []twin.Message
	if !retrying {
		msgs = append(msgs, userMsg)
	}
	replyAt := s.now().UTC()
	if reply != "" {
		msgs = append(msgs, twin.Message{Role: twin.RoleAssistant, Content: reply, Timestamp: replyAt})
	}
	// Save even when the client has gone: what the visitor sent (and saw) is kept.
	saveCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), saveTimeout)
	defer cancel()
	if len(msgs) > 0 {
		if _, err := s.save(saveCtx, base, msgs); err != nil {
			return Result{}, errors.Join(genErr, err)
		}
	}
	if genErr != nil {
		return Result{}, genErr
	}
	return Result{SessionID: req.SessionID, Reply: reply, Timestamp: replyAt}, nil
}

func (s *Service) loadPersona(ctx context.Context) (twin.Persona, error) {
	ctx, span := tracer.Start(ctx, "persona.load")
	defer span.End()
	p, err := s.Persona.Persona(ctx)
	if err != nil {
		fail(span, err)
		return twin.Persona{}, err
	}
	span.SetAttributes(attribute.String("persona.version", p.Version), attribute.Int("persona.bytes", len(p.Text)))
	return p, nil
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

func (s *Service) save(ctx context.Context, base twin.Session, msgs []twin.Message) (twin.Session, error) {
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

// generate streams the reply into t.reply and through emit. A provider error before the first
// delta becomes llm_unavailable; cancellation is returned as it is.
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
	// The output guard sees every delta first and releases only text that cannot be part of a
	// leak of the hidden rules; what it releases is what the visitor sees and what is stored.
	gs := guardFor(req.Persona.Name).NewStream(func(safe string) error {
		t.reply.WriteString(safe)
		return emit(safe)
	})
	usage, err := s.Provider.Stream(ctx, req, func(delta string) error {
		if delta == "" {
			return nil
		}
		if t.deltas == 0 {
			t.firstToken = s.now().Sub(t.start)
			span.AddEvent("first_token")
			span.SetAttributes(attribute.Float64("gen_ai.response.time_to_first_token_ms", float64(s.now().Sub(genStart).Microseconds())/1000))
		}
		t.deltas++
		return gs.Write(delta)
	})
	switch {
	case errors.Is(err, guard.ErrWithheld):
		err = s.withhold(ctx, span, gs, t, emit)
	case err == nil:
		err = gs.Flush()
	case t.deltas > 0:
		// Failed mid-stream: release the held-back tail (it holds no complete match, so at most
		// a fragment shorter than any pattern), then the error follows in the stream.
		_ = gs.Flush()
	}
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
		attribute.Int("twin.response.deltas", t.deltas),
	)
	if err == nil {
		return nil
	}
	if !t.streamed {
		// A JSON turn shows nothing until it is complete: a half reply nobody saw is dropped,
		// not stored (the visitor's message is kept), and the failure is the model's.
		t.reply.Reset()
	}
	if ctx.Err() != nil && errors.Is(err, context.Canceled) {
		span.SetAttributes(attribute.Bool("twin.canceled", true))
		span.SetStatus(codes.Error, "canceled by the client")
		return err
	}
	if t.deltas == 0 || !t.streamed {
		var te *twin.Error
		if !errors.As(err, &te) {
			err = twin.LLMUnavailable(err, 0)
		}
	}
	fail(span, err)
	return err
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
	t.reply.WriteString(text)
	return emit(text)
}

// guardCache holds the guard for the last persona name: the rules only change with the name.
var guardCache atomic.Pointer[cachedGuard]

type cachedGuard struct {
	name string
	g    *guard.Guard
}

func guardFor(name string) *guard.Guard {
	if c := guardCache.Load(); c != nil && c.name == name {
		return c.g
	}
	g := guard.New(prompt.Rules(name), prompt.Canary(), guard.DefaultMinChunk)
	guardCache.Store(&cachedGuard{name: name, g: g})
	return g
}

// summarize writes the one summary line and the metrics record of a turn.
func (s *Service) summarize(ctx context.Context, req Request, t *turn) {
	latency := s.now().Sub(t.start)
	cost := telemetry.DefaultPrices.Estimate(s.Provider.Model(), t.usage.InputTokens, t.usage.OutputTokens)
	attrs := []slog.Attr{
		slog.String("outcome", t.outcome),
		slog.Float64("latency_ms", ms(latency)),
		slog.Float64("ttft_ms", ms(t.firstToken)),
		slog.Int("input_tokens", t.usage.InputTokens),
		slog.Int("output_tokens", t.usage.OutputTokens),
		slog.String("provider", s.Provider.Name()),
		slog.String("model", s.Provider.Model()),
		slog.Float64("cost_usd", cost),
		slog.Int("history_dropped", t.stats.Dropped),
		slog.Bool("streamed", t.streamed),
		slog.Bool("new_session", !t.sessionFound),
		slog.String("topic", t.topic),
	}
	if t.withheld != "" {
		attrs = append(attrs, slog.String("withheld", t.withheld))
	}
	if s.LogContent {
		attrs = append(attrs, slog.String("message", req.Message), slog.String("reply", t.reply.String()))
	}
	events := s.Events
	if events == nil {
		events = s.Logger
	}
	events.LogAttrs(ctx, slog.LevelInfo, "chat turn", attrs...)
	if s.Owner != nil && t.usage.InputTokens+t.usage.OutputTokens > 0 {
		s.Owner.ObserveTurn(req.SessionID, cost)
	}
	if s.Metrics != nil {
		_ = s.Metrics.RecordTurn(ctx, telemetry.Turn{
			Provider: s.Provider.Name(), Model: s.Provider.Model(), Outcome: t.outcome,
			Latency: latency, TimeToFirstToken: t.firstToken,
			InputTokens: t.usage.InputTokens, OutputTokens: t.usage.OutputTokens,
			HistoryTruncated: t.stats.Dropped, Streamed: t.streamed,
		})
	}
}

func (s *Service) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// fail records err on span.
func fail(span trace.Span, err error) {
	span.RecordError(err)
	span.SetStatus(codes.Error, string(twin.ErrorCode(err)))
}
