// Package served builds the whole twin from an environment, exactly as the binaries do
// (app/config, then app/wire), and serves it on a test server, for tests that need the wired
// twin rather than a hand-built part of it.
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

// Build builds the twin from the environment env; it is closed when the test ends.
func Build(t testing.TB, env map[string]string) *wire.App {
	t.Helper()
	cfg, err := config.Load(func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	app, err := wire.New(context.Background(), cfg, slog.New(slog.DiscardHandler), io.Discard)
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
	app := Build(t, env)
	srv := httptest.NewServer(app.Handler)
	t.Cleanup(srv.Close)
	return app, srv
}
