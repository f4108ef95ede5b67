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
	"time"

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
	// FirstTokenTimeout gives up on a model that has not started answering (the turn fails with
	// llm_unavailable and is stored as failed). DefaultFirstTokenTimeout when 0.
	FirstTokenTimeout time.Duration
	// CanaryKey is the deployment's key for the system prompt's canary (prompt.Canary): the same
	// in every process of a deployment, so the prompt prefix is too. nil for a local twin.
	CanaryKey []byte
	Now       func() time.Time
}

// Owner is what the turn needs of the owner features (owner.Service).
type Owner interface {
	// Tools are offered to the model; ToolFunc runs them for one session.
	Tools() []twin.Tool
	ToolFunc(sessionID string) twin.ToolFunc
	// ObserveTurn adds a turn's estimated cost and tokens (for the prompt cache hit share) to the
	// owner view's totals.
	ObserveTurn(sessionID string, costUSD float64, usage twin.Usage)
}

// Request is one visitor message.
type Request struct {
	SessionID string // a valid session id (new or existing)
	// New says the server made SessionID for this turn, so nothing can be stored under it yet:
	// the turn reads no history (no file lookup; on S3 no GET). The first write still refuses
	// to replace anything (a new file, or If-None-Match on S3).
	New      bool
	Message  string // validated and trimmed
	Streamed bool   // for the summary line and metrics only
	// ReplyID is the id the reply is stored under, announced to a streaming client before the
	// first word (the stream's messageId). Empty: the turn makes one.
	ReplyID string
}

// Result is a completed turn.
type Result struct {
	SessionID string
	MessageID string // the stored reply's id
	Reply     string
	Timestamp time.Time // the reply's timestamp
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
	status       twin.Status
	clientGone   bool   // emit failed: the visitor's client has gone
	topic        string // the persona section the question is about ("" if none)
	canary       string // the system prompt's canary, for the output guard
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
	question := twin.Message{
		ID: twin.NewMessageID(), Role: twin.RoleUser, Content: req.Message,
		Timestamp: t.start.UTC(), Status: twin.StatusComplete,
	}
	replyID := req.ReplyID
	if replyID == "" {
		replyID = twin.NewMessageID()
	}

	p, base, err := s.load(ctx, req)
	if err != nil {
		return Result{}, err
	}
	t.sessionFound = base.Version != ""
	if len(base.Messages)+2 > s.MaxSessionMessages {
		return Result{}, twin.Errorf(twin.CodeSessionFull,
			"this conversation has reached its limit of %d messages; please start a new one", s.MaxSessionMessages)
	}

	// The question is stored now, while the model starts, so nothing the visitor sent is lost
	// whatever happens to the reply. A retry of a message whose turn failed answers the stored
	// message instead of storing it twice.
	prior, stored, retrying := retryOf(base.Messages, req.Message, t.start)
	var asked *pendingSave
	if retrying {
		question = stored
	} else {
		asked = s.saveAsync(ctx, base, question)
		defer func() { _, _ = asked.wait() }()
	}
	t.topic = s.topic(p, req.Message)
	canary := prompt.Canary(s.CanaryKey, p)
	t.canary = canary
	genReq, stats := prompt.Build(prompt.Input{Persona: p, History: promptHistory(prior), Question: question, Budget: s.Budget, Canary: canary}, prompt.Tokens)
	t.stats = stats
	if stats.Dropped > 0 {
		s.Logger.InfoContext(ctx, "history truncated to fit the token budget", "dropped_messages", stats.Dropped, "kept_messages", len(genReq.Messages)-1)
	}
	if s.Owner != nil {
		genReq.Tools, genReq.CallTool = s.Owner.Tools(), guardTools(guardFor(p.Name, canary), s.Owner.ToolFunc(req.SessionID))
	}
	genErr := s.generate(ctx, genReq, t, emit)

	reply := twin.Message{
		ID: replyID, Role: twin.RoleAssistant, Content: t.reply.String(),
		Timestamp: s.now().UTC(), Status: t.status, ReplyTo: question.ID,
	}
	if err := s.saveReply(ctx, base, asked, question, reply); err != nil {
		return Result{}, errors.Join(genErr, err)
	}
	if genErr != nil {
		return Result{}, genErr
	}
	return Result{SessionID: req.SessionID, MessageID: replyID, Reply: reply.Content, Timestamp: reply.Timestamp}, nil
}

// load reads the persona and the session's history concurrently: on AWS each is an S3 request
// (the persona usually a revalidation answered 304), so the turn waits for the slower of the two,
// not their sum. A persona failure is reported first, as when they ran one after the other. A
// session the server has just made has no history to read.
func (s *Service) load(ctx context.Context, req Request) (twin.Persona, twin.Session, error) {
	if req.New {
		p, err := s.loadPersona(ctx)
		if err != nil {
			return twin.Persona{}, twin.Session{}, err
		}
		return p, twin.Session{ID: req.SessionID}, nil
	}
	var (
		p       twin.Persona
		pErr    error
		persona = make(chan struct{})
	)
	go func() {
		defer close(persona)
		p, pErr = s.loadPersona(ctx)
	}()
	base, hErr := s.loadHistory(ctx, req.SessionID)
	<-persona
	if pErr != nil {
		return twin.Persona{}, twin.Session{}, pErr
	}
	if hErr != nil {
		return twin.Persona{}, twin.Session{}, hErr
	}
	return p, base, nil
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

// summarize writes the one summary line and the metrics record of a turn.
func (s *Service) summarize(ctx context.Context, req Request, t *turn) {
	latency := s.now().Sub(t.start)
	cost := telemetry.DefaultPrices.Estimate(s.Provider.Model(), t.usage)
	attrs := []slog.Attr{
		slog.String("outcome", t.outcome),
		slog.Float64("latency_ms", ms(latency)),
		slog.Float64("ttft_ms", ms(t.firstToken)),
		slog.Int("input_tokens", t.usage.InputTokens),
		slog.Int("output_tokens", t.usage.OutputTokens),
		slog.Int("cached_input_tokens", t.usage.CachedInputTokens),
		slog.Int("cache_write_tokens", t.usage.CacheWriteTokens),
		slog.String("provider", s.Provider.Name()),
		slog.String("model", s.Provider.Model()),
		slog.Float64("cost_usd", cost),
		slog.Int("history_dropped", t.stats.Dropped),
		slog.Bool("streamed", t.streamed),
		slog.Bool("new_session", !t.sessionFound),
		slog.String("topic", t.topic),
	}
	if t.status != "" {
		attrs = append(attrs, slog.String("reply_status", string(t.status)))
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
		s.Owner.ObserveTurn(req.SessionID, cost, t.usage)
	}
	if s.Metrics != nil {
		_ = s.Metrics.RecordTurn(ctx, telemetry.Turn{
			Provider: s.Provider.Name(), Model: s.Provider.Model(), Outcome: t.outcome,
			Latency: latency, TimeToFirstToken: t.firstToken,
			InputTokens: t.usage.InputTokens, OutputTokens: t.usage.OutputTokens,
			CachedInputTokens: t.usage.CachedInputTokens, CacheWriteTokens: t.usage.CacheWriteTokens,
			CostUSD:          cost,
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
