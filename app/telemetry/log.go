package telemetry

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"runtime"
	"slices"
	"strings"

	"github.com/digitaltwin/twin/app/twin"
)

// Log keys the Handler stamps.
const (
	KeyCorrelationID = "correlation_id"
	KeySessionID     = "session_id"
	KeyTraceID       = "trace_id"
	KeySpanID        = "span_id"
	KeyXRayTraceID   = "xray_trace_id"
	KeyMethod        = "method"
	KeyPath          = "path"
	KeyError         = "error"
	KeyErrorCode     = "error_code"
	KeyStack         = "stack"
)

// Handler wraps a slog.Handler and, for every record:
//
//   - stamps the ids found in its context at the top level (even inside WithGroup):
//     correlation_id, session_id, trace_id, span_id, xray_trace_id, method and path — except a
//     key the caller set itself at the top level (a persona's file "path"), so no line has a
//     key twice;
//   - redacts emails and phone numbers from the message and every string attribute (unless
//     built WithoutRedaction, for debugging locally); the stamped ids and stack are left alone;
//   - on records at Error level or above, makes sure there is an "error" (taken from the first
//     error-valued attribute when the caller used another key) and a short "stack" of the
//     logging call site.
type Handler struct {
	next    slog.Handler // never given groups: the Handler nests them itself
	redact  bool
	groups  []groupAttrs // groups opened by WithGroup, outermost first
	topKeys []string     // top-level keys added by WithAttrs
}

// groupAttrs is one open group and the attrs added to it by WithAttrs.
type groupAttrs struct {
	name  string
	attrs []slog.Attr
}

// HandlerOption configures a Handler.
type HandlerOption func(*Handler)

// WithoutRedaction keeps emails and phone numbers in logs (LOG_LEVEL=debug locally only).
func WithoutRedaction() HandlerOption { return func(h *Handler) { h.redact = false } }

// WithRedaction sets whether PII is redacted (the default is true).
func WithRedaction(on bool) HandlerOption { return func(h *Handler) { h.redact = on } }

// NewHandler returns a Handler that stamps ids, redacts PII and passes records on to next.
func NewHandler(next slog.Handler, opts ...HandlerOption) *Handler {
	h := &Handler{next: next, redact: true}
	for _, o := range opts {
		o(h)
	}
	return h
}

// NewLogger returns the twin's logger: JSON lines on w at level, through a Handler.
func NewLogger(w io.Writer, level slog.Leveler, redact bool) *slog.Logger {
	return slog.New(NewHandler(slog.NewJSONHandler(w, &slog.HandlerOptions{Level: level}), WithRedaction(redact)))
}

// ParseLevel parses LOG_LEVEL: debug, info, warn (or warning), error; case-insensitive.
func ParseLevel(s string) (slog.Level, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "debug":
		return slog.LevelDebug, nil
	case "info":
		return slog.LevelInfo, nil
	case "warn", "warning":
		return slog.LevelWarn, nil
	case "error":
		return slog.LevelError, nil
	}
	return 0, fmt.Errorf("LOG_LEVEL: %q is not one of debug, info, warn, error", s)
}

// DefaultLevel is the level when LOG_LEVEL is unset: debug locally, info in staging, warn in
// production (README.md, "Configuration").
func DefaultLevel(environment string) slog.Level {
	switch environment {
	case "production":
		return slog.LevelWarn
	case "staging":
		return slog.LevelInfo
	}
	return slog.LevelDebug
}

// RedactFor reports whether logs must redact PII: always, except locally at debug level.
func RedactFor(environment string, level slog.Level) bool {
	return !((environment == "" || environment == "local") && level <= slog.LevelDebug)
}

// Enabled reports whether next handles level.
func (h *Handler) Enabled(ctx context.Context, level slog.Level) bool {
	return h.next.Enabled(ctx, level)
}

// Handle stamps, redacts and completes r, then passes it on.
func (h *Handler) Handle(ctx context.Context, r slog.Record) error {
	msg := r.Message
	if h.redact {
		msg = Redact(msg)
	}
	out := slog.NewRecord(r.Time, r.Level, msg, r.PC)

	attrs := make([]slog.Attr, 0, r.NumAttrs()+2)
	hasError, hasStack := false, false
	var firstErr error
	var own []string // top-level keys the caller set: a stamped id never duplicates them
	r.Attrs(func(a slog.Attr) bool {
		switch a.Key {
		case KeyError:
			hasError = true
		case KeyStack:
			hasStack = true
		}
		if len(h.groups) == 0 {
			own = append(own, a.Key)
		}
		if err, ok := a.Value.Any().(error); ok && firstErr == nil && a.Value.Kind() == slog.KindAny {
			firstErr = err
		}
		attrs = append(attrs, h.clean(a))
		return true
	})
	if r.Level >= slog.LevelError {
		if !hasError && firstErr != nil {
			attrs = append(attrs, h.clean(slog.Any(KeyError, firstErr)))
			if code := errorCode(firstErr); code != "" {
				attrs = append(attrs, slog.String(KeyErrorCode, code))
			}
		}
		if !hasStack {
			out.AddAttrs(slog.String(KeyStack, Stack(0)))
		}
	}
	for _, id := range h.ids(ctx) {
		if !slices.Contains(own, id.Key) && !slices.Contains(h.topKeys, id.Key) {
			out.AddAttrs(id)
		}
	}
	// Nest the record's attrs in the open groups, innermost first.
	for i := len(h.groups) - 1; i >= 0; i-- {
		g := h.groups[i]
		inner := append(append(make([]slog.Attr, 0, len(g.attrs)+len(attrs)), g.attrs...), attrs...)
		if len(inner) == 0 {
			attrs = nil
			continue
		}
		attrs = []slog.Attr{{Key: g.name, Value: slog.GroupValue(inner...)}}
	}
	out.AddAttrs(attrs...)
	return h.next.Handle(ctx, out)
}

// ids returns the context's ids as attributes.
func (h *Handler) ids(ctx context.Context) []slog.Attr {
	if ctx == nil {
		return nil
	}
	ids := make([]slog.Attr, 0, 7)
	if id := CorrelationID(ctx); id != "" {
		ids = append(ids, slog.String(KeyCorrelationID, id))
	}
	if id := SessionID(ctx); id != "" {
		ids = append(ids, slog.String(KeySessionID, id))
	}
	if sc := spanContext(ctx); sc.IsValid() {
		ids = append(ids, slog.String(KeyTraceID, sc.TraceID().String()), slog.String(KeySpanID, sc.SpanID().String()),
			slog.String(KeyXRayTraceID, XRayTraceID(sc.TraceID())))
	}
	if m, p := Request(ctx); m != "" {
		path := p
		if h.redact {
			path = Redact(path)
		}
		ids = append(ids, slog.String(KeyMethod, m), slog.String(KeyPath, path))
	}
	return ids
}

// WithAttrs returns a Handler with attrs added (to the innermost open group, if any).
func (h *Handler) WithAttrs(attrs []slog.Attr) slog.Handler {
	if len(attrs) == 0 {
		return h
	}
	cleaned := make([]slog.Attr, len(attrs))
	for i, a := range attrs {
		cleaned[i] = h.clean(a)
	}
	h2 := *h
	if len(h.groups) == 0 {
		h2.next = h.next.WithAttrs(cleaned)
		h2.topKeys = slices.Clone(h.topKeys)
		for _, a := range cleaned {
			h2.topKeys = append(h2.topKeys, a.Key)
		}
		return &h2
	}
	h2.groups = append([]groupAttrs(nil), h.groups...)
	last := &h2.groups[len(h2.groups)-1]
	last.attrs = append(append([]slog.Attr(nil), last.attrs...), cleaned...)
	return &h2
}

// WithGroup returns a Handler that nests later attrs in group name; the stamped ids stay at
// the top level.
func (h *Handler) WithGroup(name string) slog.Handler {
	if name == "" {
		return h
	}
	h2 := *h
	h2.groups = append(append([]groupAttrs(nil), h.groups...), groupAttrs{name: name})
	return &h2
}

// clean resolves a and, when redacting, removes PII from its strings (and errors' texts).
func (h *Handler) clean(a slog.Attr) slog.Attr {
	a.Value = a.Value.Resolve()
	if !h.redact {
		return a
	}
	switch a.Key {
	case KeyCorrelationID, KeySessionID, KeyTraceID, KeySpanID, KeyXRayTraceID, KeyStack:
		return a
	}
	switch a.Value.Kind() {
	case slog.KindString:
		if s := a.Value.String(); mayHavePII(s) {
			a.Value = slog.StringValue(Redact(s))
		}
	case slog.KindGroup:
		g := a.Value.Group()
		out := make([]slog.Attr, len(g))
		for i, ga := range g {
			out[i] = h.clean(ga)
		}
		a.Value = slog.GroupValue(out...)
	case slog.KindAny:
		if err, ok := a.Value.Any().(error); ok {
			a.Value = slog.StringValue(Redact(err.Error()))
		}
	}
	return a
}

// LogError logs err at Error level with msg and attrs: the record gets "error", "error_code"
// (for a *twin.Error-like cause), a short "stack" of the caller, and, through the Handler, the
// request's ids, method and path from ctx.
func LogError(ctx context.Context, logger *slog.Logger, msg string, err error, attrs ...slog.Attr) {
	if logger == nil || !logger.Enabled(ctx, slog.LevelError) {
		return
	}
	all := make([]slog.Attr, 0, len(attrs)+3)
	if err != nil {
		all = append(all, slog.String(KeyError, err.Error()))
		if code := errorCode(err); code != "" {
			all = append(all, slog.String(KeyErrorCode, code))
		}
	}
	all = append(all, slog.String(KeyStack, Stack(1)))
	all = append(all, attrs...)
	logger.LogAttrs(ctx, slog.LevelError, msg, all...)
}

// errorCode returns the code of the domain error in err's chain, or "".
func errorCode(err error) string {
	var te *twin.Error
	if errors.As(err, &te) {
		return string(te.Code)
	}
	return ""
}

// maxStackFrames bounds the stack on error lines: enough to see the path through our code.
const maxStackFrames = 8

// Stack returns a short stack of the caller of the function calling Stack (skip more frames
// with skip), one "function file:line" per line, frames of slog, this package and the runtime
// left out, module paths shortened.
func Stack(skip int) string {
	var pcs [32]uintptr
	n := runtime.Callers(2+skip, pcs[:])
	frames := runtime.CallersFrames(pcs[:n])
	var b strings.Builder
	count := 0
	for {
		f, more := frames.Next()
		if keepFrame(f.Function) {
			if count > 0 {
				b.WriteByte('\n')
			}
			fn := strings.TrimPrefix(f.Function, "github.com/digitaltwin/twin/")
			file := f.File
			if i := strings.LastIndexByte(file, '/'); i >= 0 {
				if j := strings.LastIndexByte(file[:i], '/'); j >= 0 {
					file = file[j+1:]
				}
			}
			fmt.Fprintf(&b, "%s %s:%d", fn, file, f.Line)
			count++
		}
		if !more || count == maxStackFrames {
			break
		}
	}
	return b.String()
}

func keepFrame(fn string) bool {
	for _, p := range []string{"runtime.", "log/slog.", "testing.", "github.com/digitaltwin/twin/app/telemetry."} {
		if strings.HasPrefix(fn, p) {
			return false
		}
	}
	return true
}
