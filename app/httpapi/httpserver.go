package httpapi

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/digitaltwin/twin/app/twin"
)

// Timeouts are the local server's connection limits. They bound what a slow or idle client can
// hold: the headers must arrive within ReadHeader, the whole request (headers and body) within
// Read. There is deliberately no write timeout: a streamed reply may take as long as the model
// does (net/http clears the read deadline once the body is read, so ReadTimeout never cuts a
// long stream: app/cmd/twin tests it).
//
// Drain and Save are the shutdown's two windows: turns in flight get Drain to finish, then are
// interrupted and get Save to store their partial replies (docs/reliability.md).
type Timeouts struct {
	ReadHeader time.Duration
	Read       time.Duration
	Idle       time.Duration
	Drain      time.Duration
	Save       time.Duration
}

// DefaultTimeouts are the production values of the local server. Drain + Save stay under the
// ten seconds most supervisors (docker stop, systemd's default is longer) wait before SIGKILL.
var DefaultTimeouts = Timeouts{ReadHeader: 10 * time.Second, Read: 30 * time.Second, Idle: 120 * time.Second,
	Drain: 5 * time.Second, Save: 3 * time.Second}

// MaxHeaderBytes caps request headers (the default would be 1 MiB).
const MaxHeaderBytes = 64 << 10

// Server is an http.Server whose Shutdown interrupts the turns that outlive the drain window,
// so they store what the visitor was shown instead of being cut off unsaved.
type Server struct {
	*http.Server
	timeouts  Timeouts
	interrupt context.CancelCauseFunc
}

// NewHTTPServer returns a Server for h with timeouts t, logging server errors (TLS handshakes,
// malformed requests) as warnings.
func NewHTTPServer(h http.Handler, logger *slog.Logger, t Timeouts) *Server {
	// Every request's context derives from base, so Shutdown can interrupt them all with a cause
	// the chat turn recognises (twin.ErrInterrupted).
	base, interrupt := context.WithCancelCause(context.Background())
	return &Server{
		Server: &http.Server{
			Handler:           h,
			ReadHeaderTimeout: t.ReadHeader,
			ReadTimeout:       t.Read,
			IdleTimeout:       t.Idle,
			MaxHeaderBytes:    MaxHeaderBytes,
			ErrorLog:          slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
			BaseContext:       func(net.Listener) context.Context { return base },
		},
		timeouts:  t,
		interrupt: interrupt,
	}
}

// Shutdown stops accepting connections and waits for the requests in flight: for the Drain
// window, then it interrupts them (a chat turn stores its partial reply as interrupted) and
// waits the Save window more (zero windows mean DefaultTimeouts'). It fails only when requests
// outlive both windows; ctx can cut the wait short.
func (s *Server) Shutdown(ctx context.Context) error {
	drain, save := cmp.Or(s.timeouts.Drain, DefaultTimeouts.Drain), cmp.Or(s.timeouts.Save, DefaultTimeouts.Save)
	drained := time.AfterFunc(drain, func() { s.interrupt(twin.ErrInterrupted) })
	defer drained.Stop()
	ctx, cancel := context.WithTimeout(ctx, drain+save)
	defer cancel()
	err := s.Server.Shutdown(ctx)
	if errors.Is(err, context.DeadlineExceeded) {
		_ = s.Server.Close()
		return fmt.Errorf("shutdown: requests still running after %s to drain and %s to save", drain, save)
	}
	return err
}
