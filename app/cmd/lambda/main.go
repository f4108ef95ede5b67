// Command lambda is the twin on AWS Lambda (provided.al2023, arm64, built as `bootstrap` by
// `make lambda`). It serves the same http.Handler as the local server, through one of two fronts
// chosen by LAMBDA_FRONT: "http-api" (API Gateway HTTP API, payload 2.0, buffered) or
// "function-url" (a function URL with InvokeMode RESPONSE_STREAM, streamed token by token).
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"time"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/digitaltwin/twin/app/config"
	"github.com/digitaltwin/twin/app/telemetry"
	"github.com/digitaltwin/twin/app/twin"
	"github.com/digitaltwin/twin/app/wire"
)

func main() {
	start, err := setup(context.Background(), os.Getenv, os.Stdout)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	start() // never returns
}

// setup builds the twin and returns the function that hands it to the Lambda runtime. Errors
// here (a bad configuration, an unreadable secret) end the init phase with one clear line.
func setup(ctx context.Context, getenv func(string) string, stdout io.Writer) (start func(), err error) {
	cfg, err := config.Load(getenv)
	if err != nil {
		return nil, err
	}
	logger := telemetry.NewLogger(stdout, cfg.LogLevel, telemetry.RedactFor(cfg.Environment, cfg.LogLevel))
	shutdownTracing, err := telemetry.SetupTracing(ctx, getenv, cfg.Version)
	if err != nil {
		return nil, fmt.Errorf("tracing: %w", err)
	}
	app, err := wire.New(ctx, cfg, logger, stdout)
	if err != nil {
		return nil, err
	}
	onSIGTERM := func() {
		app.Close()
		sctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
		defer cancel()
		_ = shutdownTracing(sctx)
	}
	logger.LogAttrs(ctx, slog.LevelInfo, "twin lambda ready", cfg.LogAttrs()...)
	h := Handler(cfg.LambdaFront, flushingOwnerNotifications(app, interruptBeforeDeadline(app.Handler, deadlineMargin)))
	if h == nil {
		return nil, errors.New("config: LAMBDA_FRONT must be http-api or function-url in Lambda")
	}
	return func() { lambda.StartWithOptions(h, lambda.WithEnableSIGTERM(onSIGTERM)) }, nil
}

// deadlineMargin is how long before the invocation's deadline a turn is interrupted: enough to
// store its partial reply (one S3 PUT) and end the stream before Lambda stops the function.
const deadlineMargin = 3 * time.Second

// interruptBeforeDeadline cuts a request off margin before the invocation's deadline, with the
// cause twin.ErrInterrupted: a chat turn then stores what the visitor was shown, marked
// interrupted, instead of being killed unsaved by the Lambda timeout.
func interruptBeforeDeadline(h http.Handler, margin time.Duration) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if deadline, ok := r.Context().Deadline(); ok {
			ctx, cancel := context.WithDeadlineCause(r.Context(), deadline.Add(-margin), twin.ErrInterrupted)
			defer cancel()
			r = r.WithContext(ctx)
		}
		h.ServeHTTP(w, r)
	})
}

// flushingOwnerNotifications sends owner notifications whose batch window has passed as each
// request ends: between invocations the execution environment is frozen and runs no timers.
func flushingOwnerNotifications(app *wire.App, h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h.ServeHTTP(w, r)
		ctx, cancel := context.WithTimeout(context.WithoutCancel(r.Context()), 3*time.Second)
		defer cancel()
		app.FlushDue(ctx)
	})
}

// Handler returns the Lambda handler function of front for h, or nil for an unknown front.
func Handler(front string, h http.Handler) any {
	switch front {
	case "http-api":
		return HTTPAPI(h)
	case "function-url":
		return FunctionURL(h)
	}
	return nil
}
