package llm

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync/atomic"
	"time"

	"github.com/digitaltwin/twin/app/telemetry"
	"github.com/digitaltwin/twin/app/twin"
)

// Driver runs the replies of one provider. It is the one place for what every model provider
// does the same way: one deadline per reply, a first-token timer per request, the bounded tool
// loop, answering without tools for a cool-down once a model refuses them, and turning failures into what the
// core expects (twin.Provider's contract). A provider supplies only its wire format, as a Reply.
type Driver struct {
	System            string // gen_ai.system, e.g. "openai"; prefixes the causes it reports
	Model             string
	Timeout           time.Duration // whole reply, all its requests
	FirstTokenTimeout time.Duration // each request, to the model's first text or tool call
	Logger            *slog.Logger  // warnings; nil discards them
	// ToolsCooldown is how long replies go without tools after the model refused them
	// (DefaultToolsCooldown when 0); then tools are offered again, so one refusal (a model
	// swapped behind the same URL, a server restarted without its tool flags) does not switch
	// leads and questions off for the life of the process.
	ToolsCooldown time.Duration
	// Now is the cool-down's clock (time.Now when nil).
	Now func() time.Time

	// toolsRefusedAt is when the model last refused tools (Unix nanoseconds; 0: not refused).
	toolsRefusedAt atomic.Int64
}

// DefaultToolsCooldown is how long a refusal of tools holds.
const DefaultToolsCooldown = 10 * time.Minute

// Reply is a provider's side of one reply.
type Reply struct {
	// Tools reports whether tools are offered (the request has tools and a function to run them).
	Tools bool
	// Round makes request number round (from 0) of the reply and streams its text into out.
	// tools says whether the request offers tools. It calls a.Active on the model's first text
	// or tool call, and returns how many complete tool calls the response made.
	Round func(a *Attempt, round int, tools bool, out *Output) (Round, error)
	// Continue runs the calls of the round just made and adds the model's turn and the results
	// to the next request.
	Continue func(ctx context.Context, round int)
	// Again, optional, is asked once when a request failed before any model output: true makes
	// the same request again (a key re-read after a 401); an error replaces the failure.
	Again func(ctx context.Context, err error) (bool, error)
	// RefusesTools reports whether err is the model refusing the tools offered.
	RefusesTools func(err error) bool
	// RetryAfter is the server's retry hint in err, or 0.
	RetryAfter func(err error) time.Duration
}

// Round is what one request of a reply produced.
type Round struct {
	Usage twin.Usage
	Calls int // complete tool calls, to be run before the next request
}

var (
	errTimeout      = errors.New("reply timed out")
	errNoFirstToken = errors.New("no first token in time")
	errEmpty        = errors.New("the model returned no text")
)

// Stream runs one reply through r, writing its text to emit; usage is summed over its requests.
func (d *Driver) Stream(parent context.Context, emit func(string) error, r Reply) (twin.Usage, error) {
	// One deadline for the whole reply, however many requests the tool loop makes.
	ctx, cancel := context.WithTimeoutCause(parent, d.Timeout, errTimeout)
	defer cancel()
	tools := r.Tools && d.toolsAllowed(parent)
	out := NewOutput(emit)
	var usage twin.Usage
	asked := false
	for round := 0; ; round++ {
		res, active, err := d.attempt(parent, ctx, r, round, tools, out)
		if err != nil && !active && !asked && r.Again != nil && parent.Err() == nil {
			asked = true
			again, aerr := r.Again(parent, err)
			if aerr != nil {
				return usage, d.fail(parent, aerr, false, r)
			}
			if again {
				res, active, err = d.attempt(parent, ctx, r, round, tools, out)
			}
		}
		if err != nil && !active && round == 0 && tools && r.RefusesTools(err) && parent.Err() == nil {
			// A server or model without tool support (Ollama: "... does not support tools"):
			// answer without tools, now and for the cool-down.
			d.refuseTools(parent, err)
			tools = false
			res, _, err = d.attempt(parent, ctx, r, round, tools, out)
		}
		usage = usage.Add(res.Usage)
		if err != nil {
			return usage, d.fail(parent, err, out.Started(), r)
		}
		if !tools || res.Calls == 0 || round >= MaxToolRounds {
			break
		}
		r.Continue(ctx, round)
		out.ToolRoundEnded()
	}
	if !out.Started() {
		return usage, d.fail(parent, errEmpty, false, r)
	}
	return usage, nil
}

// toolsAllowed reports whether tools may be offered: never refused, or the cool-down of the
// last refusal is over (said once in the log).
func (d *Driver) toolsAllowed(ctx context.Context) bool {
	at := d.toolsRefusedAt.Load()
	if at == 0 {
		return true
	}
	if d.now().Sub(time.Unix(0, at)) < d.cooldown() {
		return false
	}
	if d.toolsRefusedAt.CompareAndSwap(at, 0) {
		d.logger().InfoContext(ctx, "the tools cool-down is over; offering tools again", "provider", d.System, "model", d.Model)
	}
	return true
}

// refuseTools turns tools off for the cool-down, with a warning and the ToolsRefused metric.
func (d *Driver) refuseTools(ctx context.Context, err error) {
	now := d.now()
	d.toolsRefusedAt.Store(now.UnixNano())
	telemetry.CountToolsRefused(ctx)
	d.logger().WarnContext(ctx, "the model refused tools: replies go on without them (no leads or questions recorded) until the cool-down ends",
		"provider", d.System, "model", d.Model, "tools_off_until", now.Add(d.cooldown()).UTC().Format(time.RFC3339), "error", err.Error())
}

func (d *Driver) cooldown() time.Duration {
	if d.ToolsCooldown > 0 {
		return d.ToolsCooldown
	}
	return DefaultToolsCooldown
}

func (d *Driver) now() time.Time {
	if d.Now != nil {
		return d.Now()
	}
	return time.Now()
}

func (d *Driver) attempt(parent, ctx context.Context, r Reply, round int, tools bool, out *Output) (Round, bool, error) {
	a := d.start(parent, ctx)
	defer a.end()
	res, err := r.Round(a, round, tools, out)
	return res, a.active, err
}

// fail turns a reply's error into what the core expects: the visitor's emit error as it is (the
// client went away), the caller's cancellation as it is, llm_unavailable with a retry hint
// before any text reached the visitor, and a plain error after.
func (d *Driver) fail(parent context.Context, err error, started bool, r Reply) error {
	emitErr, fromEmit := AsEmitError(err)
	switch {
	case fromEmit:
		return emitErr
	case parent.Err() != nil:
		return parent.Err()
	case !started:
		var after time.Duration
		if r.RetryAfter != nil {
			after = r.RetryAfter(err)
		}
		return d.Unavailable(err, after)
	default:
		return fmt.Errorf("%s %s: stream broke after the first token: %w", d.System, d.Model, err)
	}
}

// Unavailable is the provider's failure before any text: llm_unavailable, with the server's
// retry hint when it gave one.
func (d *Driver) Unavailable(err error, retryAfter time.Duration) error {
	return twin.LLMUnavailable(fmt.Errorf("%s %s: %w", d.System, d.Model, err), retryAfter)
}

func (d *Driver) logger() *slog.Logger {
	if d.Logger == nil {
		return slog.New(slog.DiscardHandler)
	}
	return d.Logger
}

// Attempt is one request of a reply: its context, which ends at the reply's deadline or when
// the model sends nothing within the first-token timeout, and whether the model has answered.
type Attempt struct {
	Ctx    context.Context // for the request
	Parent context.Context // the caller's: tells its cancellation from a timeout
	cancel context.CancelCauseFunc
	timer  *time.Timer
	active bool
	d      *Driver
}

func (d *Driver) start(parent, ctx context.Context) *Attempt {
	a := &Attempt{Parent: parent, d: d}
	a.Ctx, a.cancel = context.WithCancelCause(ctx)
	a.timer = time.AfterFunc(d.FirstTokenTimeout, func() { a.cancel(errNoFirstToken) })
	return a
}

func (a *Attempt) end() {
	a.timer.Stop()
	a.cancel(nil)
}

// Active records the model's first text or tool call: the first-token timer stops.
func (a *Attempt) Active() {
	if !a.active {
		a.active = true
		a.timer.Stop()
	}
}

// Cause adds to err why the request's context ended (the reply's timeout, no first token),
// unless the caller cancelled or err already says so.
func (a *Attempt) Cause(err error) error {
	if c := context.Cause(a.Ctx); c != nil && a.Parent.Err() == nil && !errors.Is(err, c) {
		return fmt.Errorf("%w: %w", c, err)
	}
	return err
}

// StreamEnd judges err, the error that ended a response stream: when the model had answered and
// finished its response, only the stream's tail (usage) was lost, which is logged and is no
// failure; otherwise err is returned with its cause.
func (a *Attempt) StreamEnd(err error, finished bool) error {
	if err == nil {
		return nil
	}
	err = a.Cause(err)
	if !finished || !a.active || a.Parent.Err() != nil {
		return err
	}
	a.d.logger().WarnContext(a.Parent, "the model's stream broke after the reply finished", "provider", a.d.System, "model", a.d.Model, "error", err.Error())
	return nil
}
