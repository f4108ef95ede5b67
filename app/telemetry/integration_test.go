package telemetry_test

// Integration tests: one chat turn through the wired twin (app/wire, as the binaries build it,
// with failing adapters given in its place), observed through an in-memory span recorder, the
// JSON log and the metrics stream (the summary line and the EMF record).

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"go.opentelemetry.io/contrib/propagators/aws/xray"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/codes"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"
	"go.opentelemetry.io/otel/trace/embedded"

	"github.com/digitaltwin/twin/app/httpapi"
	"github.com/digitaltwin/twin/app/memory/filestore"
	"github.com/digitaltwin/twin/app/memory/memstore"
	"github.com/digitaltwin/twin/app/telemetry"
	"github.com/digitaltwin/twin/app/twin"
	"github.com/digitaltwin/twin/app/twintest"
	"github.com/digitaltwin/twin/app/twintest/served"
	"github.com/digitaltwin/twin/app/wire"
)

const personaText = "My name is Alice Example. I live in Lisbon and work as a data engineer. " +
	"I love sailing on weekends. My favourite language is Go."

// stack is one twin under test with everything it emitted.
type stack struct {
	handler http.Handler
	spans   *tracetest.SpanRecorder
	logs    *twintest.Logs
	metrics *twintest.Logs
}

type faults struct {
	persona, get, append, provider error
	fileStore                      string // directory: use the real file store instead of memory
}

// Tracers obtained from the global provider before the first otel.SetTracerProvider (the chat
// package's) stay bound to the first provider set. So the test binary sets a switchable provider
// first, in TestMain; tests point it at a recorder, benchmarks at no-op or a real exporter.
var (
	swap     = &swapProcessor{}
	testTP   = sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(swap), sdktrace.WithIDGenerator(xray.NewIDGenerator()))
	switcher = newSwitchProvider(testTP)
)

func TestMain(m *testing.M) {
	otel.SetTracerProvider(switcher)
	os.Exit(m.Run())
}

// switchProvider is a TracerProvider whose tracers start spans on whichever provider is current.
type switchProvider struct {
	embedded.TracerProvider
	cur atomic.Value // trace.TracerProvider
}

func newSwitchProvider(tp trace.TracerProvider) *switchProvider {
	s := &switchProvider{}
	s.cur.Store(&tp)
	return s
}

func (s *switchProvider) set(tp trace.TracerProvider) { s.cur.Store(&tp) }

func (s *switchProvider) Tracer(name string, opts ...trace.TracerOption) trace.Tracer {
	return &switchTracer{p: s, name: name, opts: opts}
}

type switchTracer struct {
	embedded.Tracer
	p     *switchProvider
	name  string
	opts  []trace.TracerOption
	cache sync.Map // *trace.TracerProvider → trace.Tracer, so benchmarks pay no lookup per span
}

func (t *switchTracer) Start(ctx context.Context, name string, opts ...trace.SpanStartOption) (context.Context, trace.Span) {
	tpp := t.p.cur.Load().(*trace.TracerProvider)
	tr, ok := t.cache.Load(tpp)
	if !ok {
		tr, _ = t.cache.LoadOrStore(tpp, (*tpp).Tracer(t.name, t.opts...))
	}
	return tr.(trace.Tracer).Start(ctx, name, opts...)
}

// swapProcessor forwards to the current test's recorder.
type swapProcessor struct {
	cur atomic.Pointer[tracetest.SpanRecorder]
}

func (p *swapProcessor) OnStart(ctx context.Context, s sdktrace.ReadWriteSpan) {
	if r := p.cur.Load(); r != nil {
		r.OnStart(ctx, s)
	}
}

func (p *swapProcessor) OnEnd(s sdktrace.ReadOnlySpan) {
	if r := p.cur.Load(); r != nil {
		r.OnEnd(s)
	}
}
func (p *swapProcessor) Shutdown(context.Context) error   { return nil }
func (p *swapProcessor) ForceFlush(context.Context) error { return nil }

// useRecorder makes the global tracer provider record into a fresh recorder for this test.
func useRecorder(t testing.TB) *tracetest.SpanRecorder {
	t.Helper()
	sr := tracetest.NewSpanRecorder()
	swap.cur.Store(sr)
	switcher.set(testTP)
	prevTP, prevProp := otel.GetTracerProvider(), otel.GetTextMapPropagator()
	otel.SetTracerProvider(switcher)
	otel.SetTextMapPropagator(telemetry.Propagator())
	t.Cleanup(func() {
		swap.cur.Store(nil)
		otel.SetTracerProvider(prevTP)
		otel.SetTextMapPropagator(prevProp)
	})
	return sr
}

func newStack(t testing.TB, f faults) *stack {
	t.Helper()
	return buildStack(t, f, useRecorder(t))
}

func buildStack(t testing.TB, f faults, sr *tracetest.SpanRecorder) *stack {
	t.Helper()
	s := &stack{spans: sr, logs: &twintest.Logs{}, metrics: &twintest.Logs{}}
	var provider twin.Provider // nil: the configured one, the offline responder
	if f.provider != nil {
		provider = &twintest.Provider{NameValue: "openai", ModelValue: "gpt-4o-mini",
			StreamFunc: func(context.Context, twin.GenerateRequest, func(string) error) (twin.Usage, error) {
				return twin.Usage{}, f.provider
			}}
	}
	persona := twintest.PersonaFunc(func(context.Context) (twin.Persona, error) {
		if f.persona != nil {
			return twin.Persona{}, f.persona
		}
		return twin.Persona{Name: "Alice", Greeting: "Hi!", Text: personaText, Version: "v1"}, nil
	})
	var inner twin.Store = memstore.New()
	if f.fileStore != "" {
		fs, err := filestore.New(f.fileStore)
		if err != nil {
			t.Fatal(err)
		}
		inner = fs
	}
	store := &twintest.Store{
		GetFunc: func(ctx context.Context, id string) (twin.Session, error) {
			if f.get != nil {
				return twin.Session{}, f.get
			}
			return inner.Get(ctx, id)
		},
		AppendFunc: func(ctx context.Context, base twin.Session, msgs []twin.Message, limit int) (twin.Session, error) {
			if f.append != nil {
				return twin.Session{}, f.append
			}
			return inner.Append(ctx, base, msgs, limit)
		},
	}
	app := served.BuildWith(t, map[string]string{
		"ENVIRONMENT": "staging", "LOG_LEVEL": "debug", "DATA_DIR": t.TempDir(), "RATE_LIMIT_PER_MINUTE": "1000000",
		"OFFLINE_TOKEN_DELAY_MS": "0",
	}, served.With{
		Logger: telemetry.NewLogger(s.logs, slog.LevelDebug, true), Metrics: s.metrics,
		Overrides: wire.Overrides{Store: store, Persona: persona, Provider: provider},
	})
	s.handler = app.Handler
	return s
}

func (s *stack) chat(t testing.TB, body string, header http.Header) *httptest.ResponseRecorder {
	t.Helper()
	req := httptest.NewRequest("POST", "/api/chat", strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	for k, v := range header {
		req.Header[k] = v
	}
	rec := httptest.NewRecorder()
	s.handler.ServeHTTP(rec, req)
	return rec
}

func byName(spans []sdktrace.ReadOnlySpan) map[string]sdktrace.ReadOnlySpan {
	m := map[string]sdktrace.ReadOnlySpan{}
	for _, s := range spans {
		m[s.Name()] = s
	}
	return m
}

var turnSpans = []string{"persona.load", "memory.get", "llm.stream", "memory.append"}

// knownSession is a session id a test's client sends: the turn reads its history (memory.get),
// which a session the server makes for the turn has none of.
const knownSession = "0a0a0a0a-0000-4000-8000-000000000001"

// TestChatTurnTrace: one chat turn is one trace: the server span, and under it one span each for
// persona load, memory load, LLM generation and memory save, with GenAI attributes. A turn that
// starts a session reads no history, so it has no memory.get span.
func TestChatTurnTrace(t *testing.T) {
	for _, streamed := range []bool{false, true} {
		for _, session := range []string{knownSession, ""} {
			t.Run(fmt.Sprintf("stream=%v/session=%q", streamed, session), func(t *testing.T) {
				turnTrace(t, streamed, session)
			})
		}
	}
}

func turnTrace(t *testing.T, streamed bool, session string) {
	t.Helper()
	s := newStack(t, faults{})
	body := fmt.Sprintf(`{"message":"Where do you live?","stream":%v}`, streamed)
	want := turnSpans
	if session != "" {
		body = fmt.Sprintf(`{"message":"Where do you live?","stream":%v,"session_id":%q}`, streamed, session)
	} else {
		want = slices.DeleteFunc(slices.Clone(turnSpans), func(n string) bool { return n == "memory.get" })
	}
	rec := s.chat(t, body, http.Header{"X-Correlation-Id": {"turn-1"}})
	reply := rec.Body.String()
	if streamed { // the guard may release a word across two deltas
		reply = twintest.StreamText(reply)
	}
	if rec.Code != 200 || !strings.Contains(reply, "Lisbon") {
		t.Fatalf("status %d body %s", rec.Code, rec.Body)
	}
	spans := s.spans.Ended()
	named := byName(spans)
	server, ok := named["POST /api/chat"]
	if !ok {
		t.Fatalf("no server span among %v", spanNames(spans))
	}
	if server.Parent().IsValid() || server.SpanKind() != trace.SpanKindServer {
		t.Errorf("server span has parent %v kind %v; want a root server span", server.Parent(), server.SpanKind())
	}
	traceID := server.SpanContext().TraceID()
	if _, ok := named["memory.get"]; ok && session == "" {
		t.Errorf("a turn that starts a session read its history: %v", spanNames(spans))
	}
	for _, name := range want {
		sp, ok := named[name]
		if !ok {
			t.Errorf("no %s span among %v", name, spanNames(spans))
			continue
		}
		if sp.SpanContext().TraceID() != traceID || sp.Parent().SpanID() != server.SpanContext().SpanID() {
			t.Errorf("%s is not a child of the server span in the same trace", name)
		}
		if sp.Status().Code == codes.Error {
			t.Errorf("%s has error status %v", name, sp.Status())
		}
	}
	for _, sp := range spans {
		if sp.SpanContext().TraceID() != traceID {
			t.Errorf("span %s is in another trace", sp.Name())
		}
	}
	llm := attrMap(named["llm.stream"].Attributes())
	for _, k := range []string{"gen_ai.system", "gen_ai.request.model", "gen_ai.usage.input_tokens", "gen_ai.usage.output_tokens", "gen_ai.response.time_to_first_token_ms"} {
		if llm[k] == "" || llm[k] == "0" {
			t.Errorf("llm.stream attribute %s = %q", k, llm[k])
		}
	}
	if llm["gen_ai.system"] != "offline" {
		t.Errorf("gen_ai.system = %q", llm["gen_ai.system"])
	}
	if got := attrMap(server.Attributes())["twin.correlation_id"]; got != "turn-1" {
		t.Errorf("server span twin.correlation_id = %q", got)
	}
	checkLogsAndMetrics(t, s, rec, traceID, "ok")
}

// checkLogsAndMetrics: every line of the turn — the diagnostic log, and on the metrics stream the
// summary line and the one EMF record — carries the response's correlation id and the trace id.
func checkLogsAndMetrics(t *testing.T, s *stack, rec *httptest.ResponseRecorder, traceID trace.TraceID, outcome string) {
	t.Helper()
	corr := rec.Header().Get("X-Correlation-Id")
	if corr == "" {
		t.Fatal("no X-Correlation-Id on the response")
	}
	lines := parseLines(t, s.logs.Bytes())
	if len(lines) == 0 {
		t.Fatal("no log lines")
	}
	var emf []map[string]any
	for _, l := range parseLines(t, s.metrics.Bytes()) {
		if _, ok := l["_aws"]; ok {
			emf = append(emf, l)
		} else {
			lines = append(lines, l)
		}
	}
	summary := 0
	for _, l := range lines {
		if l["correlation_id"] != corr || l["trace_id"] != traceID.String() || l["xray_trace_id"] != telemetry.XRayTraceID(traceID) {
			t.Errorf("log line %q: correlation_id %v trace_id %v, want %s %s", l["msg"], l["correlation_id"], l["trace_id"], corr, traceID)
		}
		if l["msg"] == "chat turn" {
			summary++
			if l["outcome"] != outcome {
				t.Errorf("summary outcome %v, want %s", l["outcome"], outcome)
			}
		}
		if l["level"] == "ERROR" {
			for _, k := range []string{"error", "stack", "method", "path", "span_id"} {
				if s, _ := l[k].(string); s == "" {
					t.Errorf("error line %q without %s", l["msg"], k)
				}
			}
		}
	}
	if summary != 1 {
		t.Errorf("%d summary lines, want 1", summary)
	}
	if len(emf) != 1 {
		t.Fatalf("%d EMF records, want 1", len(emf))
	}
	if emf[0]["correlation_id"] != corr || emf[0]["trace_id"] != traceID.String() || emf[0]["Outcome"] != outcome {
		t.Errorf("EMF record %v", emf[0])
	}
}

// TestChatTurnErrors: a failure in each dependency is recorded on its span (status and exception
// event) and logged at ERROR with error, stack and the correlation id.
func TestChatTurnErrors(t *testing.T) {
	boom := errors.New("injected failure: disk on fire")
	for _, tc := range []struct {
		span    string
		faults  faults
		code    twin.Code
		skipped []string // spans that must not run after the failure
	}{
		// memory.get runs alongside persona.load (the turn reads both at once), so it is not skipped.
		{"persona.load", faults{persona: twin.Wrap(twin.CodePersonaUnavailable, boom, "persona unavailable")}, twin.CodePersonaUnavailable, []string{"llm.stream", "memory.append"}},
		{"memory.get", faults{get: boom}, twin.CodeInternal, []string{"llm.stream", "memory.append"}},
		{"llm.stream", faults{provider: boom}, twin.CodeLLMUnavailable, nil},
		{"memory.append", faults{append: boom}, twin.CodeInternal, nil},
	} {
		t.Run(tc.span, func(t *testing.T) {
			s := newStack(t, tc.faults)
			// A session the client names, so the turn reads its history.
			rec := s.chat(t, `{"message":"Where do you live?","session_id":"`+knownSession+`"}`, nil)
			var body struct {
				Error struct {
					Code          string `json:"code"`
					CorrelationID string `json:"correlation_id"`
				} `json:"error"`
			}
			_ = json.Unmarshal(rec.Body.Bytes(), &body)
			if rec.Code != httpapi.Status(tc.code) || body.Error.Code != string(tc.code) {
				t.Fatalf("status %d body %s, want %s", rec.Code, rec.Body, tc.code)
			}
			corr := rec.Header().Get("X-Correlation-Id")
			if body.Error.CorrelationID != corr {
				t.Errorf("error body correlation_id %q, header %q", body.Error.CorrelationID, corr)
			}
			named := byName(s.spans.Ended())
			sp, ok := named[tc.span]
			if !ok {
				t.Fatalf("no %s span", tc.span)
			}
			if sp.Status().Code != codes.Error {
				t.Errorf("%s status %v, want Error", tc.span, sp.Status())
			}
			recorded := false
			for _, ev := range sp.Events() {
				if ev.Name == "exception" && strings.Contains(attrMap(ev.Attributes)["exception.message"], "disk on fire") {
					recorded = true
				}
			}
			if !recorded {
				t.Errorf("%s: error not recorded as an exception event: %v", tc.span, sp.Events())
			}
			for _, name := range tc.skipped {
				if _, ran := named[name]; ran {
					t.Errorf("%s ran after %s failed", name, tc.span)
				}
			}
			server := named["POST /api/chat"]
			if server == nil || server.Status().Code != codes.Error {
				t.Errorf("server span of a %d is not an error", rec.Code)
			}
			// The failure is logged with its stack and the request's identity.
			found := false
			for _, l := range parseLines(t, s.logs.Bytes()) {
				e, _ := l["error"].(string)
				if l["level"] != "ERROR" || !strings.Contains(e, "disk on fire") {
					continue
				}
				found = true
				if st, _ := l["stack"].(string); !strings.Contains(st, "app/") {
					t.Errorf("stack %q does not show our code", st)
				}
				if l["correlation_id"] != corr || l["trace_id"] != server.SpanContext().TraceID().String() || l["path"] != "/api/chat" || l["method"] != "POST" {
					t.Errorf("error line identity: %v", l)
				}
			}
			if !found {
				t.Errorf("no ERROR line with the cause in:\n%s", s.logs.Bytes())
			}
			checkLogsAndMetrics(t, s, rec, server.SpanContext().TraceID(), string(tc.code))
		})
	}
}

// TestIncomingTraceContinued: a caller's traceparent or X-Amzn-Trace-Id becomes the parent of
// the turn's server span, and the logs carry the caller's trace id.
func TestIncomingTraceContinued(t *testing.T) {
	for name, h := range map[string]http.Header{
		"traceparent": {"Traceparent": {"00-6565b7b1aabbccddeeff001122334455-0102030405060708-01"}},
		"x-ray":       {"X-Amzn-Trace-Id": {"Root=1-6565b7b1-aabbccddeeff001122334455;Parent=0102030405060708;Sampled=1"}},
	} {
		t.Run(name, func(t *testing.T) {
			s := newStack(t, faults{})
			rec := s.chat(t, `{"message":"What do you do on weekends?"}`, h)
			server := byName(s.spans.Ended())["POST /api/chat"]
			if server == nil || server.SpanContext().TraceID().String() != "6565b7b1aabbccddeeff001122334455" || server.Parent().SpanID().String() != "0102030405060708" {
				t.Fatalf("server span does not continue the caller's trace: %v", server)
			}
			checkLogsAndMetrics(t, s, rec, server.SpanContext().TraceID(), "ok")
		})
	}
}

func spanNames(spans []sdktrace.ReadOnlySpan) []string {
	var out []string
	for _, s := range spans {
		out = append(out, s.Name())
	}
	return out
}
