// Package served builds the whole twin from an environment, exactly as the binaries do
// (app/config, then app/wire), and serves it on a test server, for tests that need the wired
// twin rather than a hand-built part of it. Faults and observers go in through With.
package served

import (
	"context"
	"io"
	"log/slog"
	"net/http/httptest"
	"testing"

	"github.com/digitaltwin/twin/app/config"
	"github.com/digitaltwin/twin/app/wire"
)

// With is what a test gives the wiring besides the environment: where the logs and the metrics
// go, and adapters in place of those the environment names. The zero value discards the logs
// and metrics and replaces nothing.
type With struct {
	Logger  *slog.Logger // the diagnostic log; nil: discarded
	Metrics io.Writer    // EMF records, per-turn summaries and owner events; nil: discarded
	wire.Overrides
}

// Build builds the twin from the environment env; it is closed when the test ends.
func Build(t testing.TB, env map[string]string) *wire.App {
	t.Helper()
	return BuildWith(t, env, With{})
}

// BuildWith is Build with w's logs, metrics and adapters.
func BuildWith(t testing.TB, env map[string]string, w With) *wire.App {
	t.Helper()
	cfg, err := config.Load(func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	if w.Logger == nil {
		w.Logger = slog.New(slog.DiscardHandler)
	}
	if w.Metrics == nil {
		w.Metrics = io.Discard
	}
	app, err := wire.NewWith(context.Background(), cfg, w.Logger, w.Metrics, w.Overrides)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(app.Close)
	return app
}

// Serve builds the twin from the environment env and serves it on a test server; both are
// closed when the test ends.
func Serve(t testing.TB, env map[string]string) (*wire.App, *httptest.Server) {
	t.Helper()
	return ServeWith(t, env, With{})
}

// ServeWith is Serve with w's logs, metrics and adapters.
func ServeWith(t testing.TB, env map[string]string, w With) (*wire.App, *httptest.Server) {
	t.Helper()
	app := BuildWith(t, env, w)
	srv := httptest.NewServer(app.Handler)
	t.Cleanup(srv.Close)
	return app, srv
}
