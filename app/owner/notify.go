package owner

import (
	"context"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"time"
)

// EventKind is what happened: its title heads the event in a notification.
type EventKind string

// The events the owner is told about.
const (
	EventLead     EventKind = "New contact request"
	EventQuestion EventKind = "Unanswered question"
)

// Field is one named value of an event; values are visitor text.
type Field struct{ Name, Value string }

// Event is one thing to tell the owner.
type Event struct {
	Kind   EventKind
	Fields []Field
}

// render lays an event out so visitor text can never pass for the template: the title alone
// starts a line; every value sits on its own indented line, made single-line and quoted (Go
// syntax: a quote or backslash inside is escaped), so a forged "New contact request" or
// "SECURITY NOTICE" in a note stays visibly inside the note's quotes.
func (e Event) render(sanitize func(string) string) string {
	var b strings.Builder
	b.WriteString(string(e.Kind))
	for _, f := range e.Fields {
		b.WriteString("\n    ")
		b.WriteString(f.Name)
		b.WriteString(": ")
		b.WriteString(strconv.Quote(sanitize(SingleLine(f.Value))))
	}
	return b.String()
}

// Notifier batches notifications: the first event starts a window, everything that arrives in
// it goes out as one message when it closes, so a chatty visitor produces one email, not ten.
// With a daily cap, a deployment sends at most that many messages a day across all instances;
// past it, events are only counted, and one digest of the counts follows the next day.
// Add never blocks and never fails; publishing runs in the background with a timeout.
type Notifier struct {
	pub      Publisher
	window   time.Duration
	timeout  time.Duration
	logger   *slog.Logger
	sanitize func(string) string
	cap      *DailyCap // nil: no cap

	now     func() time.Time
	mu      sync.Mutex
	pending []Event
	firstAt time.Time // when the oldest pending event arrived
	dropped tally     // past maxPending: counted, not listed
	heldDay string    // a day this instance held events for the digest
	timer   *time.Timer
	wg      sync.WaitGroup
}

// maxPending bounds one batch; beyond it events are counted, not kept.
const maxPending = 50

// NewNotifier returns a notifier publishing through pub after window (0: at once). sanitize,
// if not nil, cleans every value before it leaves (the output guard strips hidden instructions).
// dailyCap, if not nil, shares a daily budget of messages across instances.
func NewNotifier(pub Publisher, window, timeout time.Duration, logger *slog.Logger, sanitize func(string) string, dailyCap *DailyCap) *Notifier {
	if sanitize == nil {
		sanitize = func(s string) string { return s }
	}
	return &Notifier{pub: pub, window: window, timeout: timeout, logger: logger, sanitize: sanitize, cap: dailyCap, now: time.Now}
}

// Add queues one event.
func (n *Notifier) Add(e Event) {
	n.mu.Lock()
	defer n.mu.Unlock()
	if len(n.pending) >= maxPending {
		n.dropped.add(e.Kind)
		return
	}
	if len(n.pending) == 0 {
		n.firstAt = n.now()
	}
	n.pending = append(n.pending, e)
	if n.timer == nil {
		n.wg.Add(1)
		n.timer = time.AfterFunc(n.window, func() {
			defer n.wg.Done()
			ctx, cancel := context.WithTimeout(context.Background(), n.timeout)
			defer cancel()
			n.send(ctx)
		})
	}
}

// Flush publishes what is pending now and waits for batches in flight (at shutdown, or at the
// end of a Lambda invocation).
func (n *Notifier) Flush(ctx context.Context) {
	n.mu.Lock()
	if n.timer != nil && n.timer.Stop() {
		n.wg.Done()
	}
	n.timer = nil
	n.mu.Unlock()
	n.send(ctx)
	n.wg.Wait()
}

// FlushDue publishes the pending batch if its window has passed, and a digest of a past day's
// held events. On Lambda, where a frozen execution environment runs no timers, the bootstrap
// calls it as each invocation ends.
func (n *Notifier) FlushDue(ctx context.Context) {
	n.mu.Lock()
	now := n.now()
	due := len(n.pending) > 0 && now.Sub(n.firstAt) >= n.window || n.heldDay != "" && n.heldDay < day(now)
	n.mu.Unlock()
	if due {
		n.Flush(ctx)
	}
}

func (n *Notifier) send(ctx context.Context) {
	n.mu.Lock()
	events, dropped, held := n.pending, n.dropped, n.heldDay
	n.pending, n.dropped, n.timer = nil, tally{}, nil
	today := day(n.now())
	n.mu.Unlock()
	if n.cap != nil && held != "" && held < today {
		n.sendDigest(ctx, today)
	}
	if len(events) == 0 {
		return
	}
	all := dropped
	for _, e := range events {
		all.add(e.Kind)
	}
	leads, questions := all.leads, all.questions
	if n.cap != nil {
		ok, err := n.cap.take(ctx, today, leads, questions)
		switch {
		case err != nil:
			// The cap is a flood guard, not a gate: without its state the owner is still told.
			n.logger.WarnContext(ctx, "owner notification cap unavailable", "error", err.Error())
		case !ok:
			n.mu.Lock()
			n.heldDay = today
			n.mu.Unlock()
			n.logger.InfoContext(ctx, "owner notification held for the daily digest", "events", leads+questions)
			return
		}
	}
	lines := make([]string, len(events))
	for i, e := range events {
		lines[i] = e.render(n.sanitize)
	}
	body := strings.Join(lines, "\n\n")
	if n := dropped.leads + dropped.questions; n > 0 {
		body += fmt.Sprintf("\n\n(and %d more, not listed)", n)
	}
	n.publish(ctx, "Your digital twin: "+summarize(leads, questions), body, leads+questions)
}

func (n *Notifier) sendDigest(ctx context.Context, today string) {
	days, err := n.cap.digest(ctx, today)
	if err != nil {
		n.logger.WarnContext(ctx, "owner digest unavailable", "error", err.Error())
		return
	}
	n.mu.Lock()
	n.heldDay = ""
	n.mu.Unlock()
	if len(days) == 0 {
		return // another instance sent it
	}
	var b strings.Builder
	for _, d := range days {
		fmt.Fprintf(&b, "%s: the daily limit of %d notifications was reached; %s were recorded after it.\n",
			d.Day, n.cap.limit, summarize(d.HeldLeads, d.HeldQuestions))
	}
	b.WriteString("They are all in the owner view.")
	n.publish(ctx, "Your digital twin: daily digest", b.String(), 0)
}

func (n *Notifier) publish(ctx context.Context, subject, body string, events int) {
	if err := n.pub.Publish(ctx, subject, body); err != nil {
		n.logger.WarnContext(ctx, "owner notification failed", "error", err.Error(), "events", events)
		return
	}
	n.logger.InfoContext(ctx, "owner notified", "events", events)
}

// tally counts events by kind.
type tally struct{ leads, questions int }

func (t *tally) add(k EventKind) {
	if k == EventLead {
		t.leads++
	} else {
		t.questions++
	}
}

func summarize(leads, questions int) string {
	var parts []string
	if leads > 0 {
		parts = append(parts, plural(leads, "new contact request"))
	}
	if questions > 0 {
		parts = append(parts, plural(questions, "unanswered question"))
	}
	return strings.Join(parts, ", ")
}

func plural(n int, what string) string {
	if n == 1 {
		return "1 " + what
	}
	return fmt.Sprintf("%d %ss", n, what)
}

// LogPublisher "publishes" to the log: the local twin's owner notifications, readable in the
// terminal running `make run`. The body (visitor text) is logged only with LogText (a local
// debug run); otherwise only the subject, which holds counts.
type LogPublisher struct {
	Logger  *slog.Logger
	LogText bool
}

// Publish logs the notification.
func (p LogPublisher) Publish(ctx context.Context, subject, message string) error {
	if !p.LogText {
		message = "(withheld: visitor text is logged only on a local debug run; see the owner view)"
	}
	p.Logger.InfoContext(ctx, "owner notification (not sent anywhere: no OWNER_TOPIC_ARN)", "subject", subject, "message", message)
	return nil
}
