// Command twin is the local server: the API and the exported chat page on one port, with no
// cloud account and no API key needed (offline responder, memory on disk). `twin eval` scores a
// question file against the twin instead (see runEval).
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strconv"
	"syscall"
	"time"

	"github.com/digitaltwin/twin/app/config"
	"github.com/digitaltwin/twin/app/httpapi"
	"github.com/digitaltwin/twin/app/telemetry"
	"github.com/digitaltwin/twin/app/wire"
)

func main() {
	if len(os.Args) > 1 && (os.Args[1] == "-version" || os.Args[1] == "--version") {
		fmt.Println(config.BuildInfo())
		return
	}
	// A .env file in the working folder is read first; the real environment wins over it.
	getenv, err := config.DotEnv(".env", os.LookupEnv)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if len(os.Args) > 1 && os.Args[1] == "eval" {
		code := runEval(ctx, os.Args[2:], getenv, os.Stdout, os.Stderr)
		stop()
		os.Exit(code)
	}
	if err := run(ctx, getenv, os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

// timeouts are the server's connection limits; tests shorten them.
var timeouts = httpapi.DefaultTimeouts

// run starts the server and serves until ctx is done, then shuts down gracefully.
func run(ctx context.Context, getenv func(string) string, stdout, stderr io.Writer) error {
	cfg, err := config.Load(getenv)
	if err != nil {
		return err
	}
	logger := telemetry.NewLogger(stdout, cfg.LogLevel, telemetry.RedactFor(cfg.Environment, cfg.LogLevel))
	shutdownTracing, err := telemetry.SetupTracing(ctx, getenv, cfg.Version)
	if err != nil {
		return fmt.Errorf("tracing: %w", err)
	}
	defer func() {
		sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		_ = shutdownTracing(sctx)
	}()

	app, err := wire.New(ctx, cfg, logger, stdout)
	if err != nil {
		return err
	}
	defer app.Close()

	ln, err := net.Listen("tcp", net.JoinHostPort(cfg.Host, strconv.Itoa(cfg.Port)))
	if err != nil {
		return fmt.Errorf("listen on HOST=%s PORT=%d: %w", cfg.Host, cfg.Port, err)
	}
	srv := httpapi.NewHTTPServer(app.Handler, logger, timeouts)
	logger.LogAttrs(ctx, slog.LevelInfo, "twin started", append(cfg.LogAttrs(), slog.String("addr", "http://"+ln.Addr().String()))...)
	if !httpapi.IsLoopbackHost(cfg.Host) {
		logger.WarnContext(ctx, "the twin is reachable from other machines: HOST="+cfg.Host+" listens beyond loopback, "+
			"so anyone who can reach "+ln.Addr().String()+" can chat with it (the owner view still answers only on this machine)",
			"host", cfg.Host, "addr", ln.Addr().String())
	}
	fmt.Fprintf(stderr, "Digital Twin is running at http://%s\n", browseAddr(cfg.Host, ln.Addr().(*net.TCPAddr).Port))

	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	// Turns in flight get the drain window to finish; after it they are interrupted and store
	// what the visitor was shown, marked interrupted.
	sctx := context.WithoutCancel(ctx)
	logger.InfoContext(sctx, "shutting down", "drain", timeouts.Drain, "save", timeouts.Save)
	if err := srv.Shutdown(sctx); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// browseAddr is the address to open in a browser: localhost unless HOST names one interface.
func browseAddr(host string, port int) string {
	if ip := net.ParseIP(host); httpapi.IsLoopbackHost(host) || (ip != nil && ip.IsUnspecified()) {
		host = "localhost"
	}
	return net.JoinHostPort(host, strconv.Itoa(port))
}
