package owner

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"
)

// Notifier batches notifications: the first event starts a window, everything that arrives in
// it goes out as one message when it closes, so a chatty visitor produces one email, not ten.
// Add never blocks and never fails; publishing runs in the background with a timeout.
type Notifier struct {
	pub      Publisher
	window   time.Duration
	timeout  time.Duration
	logger   *slog.Logger
	sanitize func(string) string

	now     func() time.Time
	mu      sync.Mutex
	pending []string
	firstAt time.Time // when the oldest pending event arrived
	dropped int
	timer   *time.Timer
	wg      sync.WaitGroup
}

// maxPending bounds one batch; beyond it events are counted, not kept.
const maxPending = 50

// NewNotifier returns a notifier publishing through pub after window (0: at once). sanitize,
// if not nil, cleans every line before it leaves (the output guard strips hidden instructions).
func NewNotifier(pub Publisher, window, timeout time.Duration, logger *slog.Logger, sanitize func(string) string) *Notifier {
	if sanitize == nil {
		sanitize = func(s string) string { return s }
	}
	return &Notifier{pub: pub, window: window, timeout: timeout, logger: logger, sanitize: sanitize, now: time.Now}
}

// Add queues one event.
func (n *Notifier) Add(line string) {
	n.mu.Lock()
	defer n.mu.Unlock()
	if len(n.pending) >= maxPending {
		n.dropped++
		return
	}
	if len(n.pending) == 0 {
		n.firstAt = n.now()
	}
	n.pending = append(n.pending, n.sanitize(line))
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

// FlushDue publishes the pending batch if its window has passed. On Lambda, where a frozen
// execution environment runs no timers, the bootstrap calls it as each invocation ends.
func (n *Notifier) FlushDue(ctx context.Context) {
	n.mu.Lock()
	due := len(n.pending) > 0 && n.now().Sub(n.firstAt) >= n.window
	n.mu.Unlock()
	if due {
		n.Flush(ctx)
	}
}

func (n *Notifier) send(ctx context.Context) {
	n.mu.Lock()
	lines, dropped := n.pending, n.dropped
	n.pending, n.dropped, n.timer = nil, 0, nil
	n.mu.Unlock()
	if len(lines) == 0 {
		return
	}
	subject := "Your digital twin: " + summarize(lines)
	body := strings.Join(lines, "\n\n")
	if dropped > 0 {
		body += fmt.Sprintf("\n\n(and %d more, not listed)", dropped)
	}
	if err := n.pub.Publish(ctx, subject, body); err != nil {
		n.logger.WarnContext(ctx, "owner notification failed", "error", err.Error(), "events", len(lines))
		return
	}
	n.logger.InfoContext(ctx, "owner notified", "events", len(lines)+dropped)
}

func summarize(lines []string) string {
	leads, questions := 0, 0
	for _, l := range lines {
		if strings.HasPrefix(l, "New contact request") {
			leads++
		} else {
			questions++
		}
	}
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
// terminal running `make run`.
type LogPublisher struct{ Logger *slog.Logger }

// Publish logs the notification.
func (p LogPublisher) Publish(ctx context.Context, subject, message string) error {
	p.Logger.InfoContext(ctx, "owner notification (local: not sent anywhere)", "subject", subject, "message", message)
	return nil
}
