package httpapi

import (
	"log/slog"
	"net/http"
	"time"
)

// Timeouts are the local server's connection limits. They bound what a slow or idle client can
// hold: the headers must arrive within ReadHeader, the whole request (headers and body) within
// Read. There is deliberately no write timeout: a streamed reply may take as long as the model
// does (net/http clears the read deadline once the body is read, so ReadTimeout never cuts a
// long stream: app/cmd/twin tests it).
type Timeouts struct {
	ReadHeader time.Duration
	Read       time.Duration
	Idle       time.Duration
}

// DefaultTimeouts are the production values of the local server.
var DefaultTimeouts = Timeouts{ReadHeader: 10 * time.Second, Read: 30 * time.Second, Idle: 120 * time.Second}

// MaxHeaderBytes caps request headers (the default would be 1 MiB).
const MaxHeaderBytes = 64 << 10

// NewHTTPServer returns an http.Server for h with timeouts t, logging server errors (TLS
// handshakes, malformed requests) as warnings.
func NewHTTPServer(h http.Handler, logger *slog.Logger, t Timeouts) *http.Server {
	return &http.Server{
		Handler:           h,
		ReadHeaderTimeout: t.ReadHeader,
		ReadTimeout:       t.Read,
		IdleTimeout:       t.Idle,
		MaxHeaderBytes:    MaxHeaderBytes,
		ErrorLog:          slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
	}
}
