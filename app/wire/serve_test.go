package wire

import (
	"context"
	"io"
	"log/slog"
	"net/http/httptest"
	"testing"

	"github.com/digitaltwin/twin/app/config"
)

// ServeForTest builds the twin from the environment env, as the binaries do, and serves it on a
// test server; both are closed when the test ends. (Exported for the wire_test package.)
func ServeForTest(t testing.TB, env map[string]string) (*App, *httptest.Server) {
	t.Helper()
	cfg, err := config.Load(func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	app, err := New(context.Background(), cfg, slog.New(slog.DiscardHandler), io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(app.Close)
	srv := httptest.NewServer(app.Handler)
	t.Cleanup(srv.Close)
	return app, srv
}
