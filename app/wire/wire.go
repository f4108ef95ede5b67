// Package wire builds the twin from its configuration: it picks the store, persona source and
// provider the config names and assembles the HTTP handler. The local server and the Lambda
// bootstrap both start here, so they serve the same thing.
package wire

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"

	"github.com/digitaltwin/twin/app/chat"
	"github.com/digitaltwin/twin/app/config"
	"github.com/digitaltwin/twin/app/httpapi"
	"github.com/digitaltwin/twin/app/owner"
	"github.com/digitaltwin/twin/app/prompt"
	"github.com/digitaltwin/twin/app/telemetry"
	"github.com/digitaltwin/twin/app/twin"
)

// App is the assembled twin.
type App struct {
	Handler http.Handler
	Chat    *chat.Service
	Owner   *owner.Service
	closers []func()
}

// Close releases what New opened.
func (a *App) Close() {
	for i := len(a.closers) - 1; i >= 0; i-- {
		a.closers[i]()
	}
}

// Overrides are adapters given to NewWith instead of the ones the configuration names: the
// load tool and the tests run the wired twin on fakes or with faults injected this way
// (app/twintest/served, app/cmd/load). A nil field leaves the configuration's choice.
type Overrides struct {
	Store    Store              // instead of files (MEMORY_DIR) or S3 (S3_MEMORY_BUCKET)
	Persona  twin.PersonaSource // instead of PERSONA_FILE or S3_PERSONA_BUCKET
	Provider twin.Provider      // instead of LLM_PROVIDER's
	// MaxNewSessions and MaxInFlightTurns are the HTTP limits that have no setting
	// (httpapi.Options; 0: their defaults).
	MaxNewSessions, MaxInFlightTurns int
}

// New assembles the twin for cfg. Metrics (CloudWatch EMF lines) and the per-turn summaries go
// to metricsOut.
func New(ctx context.Context, cfg config.Config, logger *slog.Logger, metricsOut io.Writer) (*App, error) {
	return NewWith(ctx, cfg, logger, metricsOut, Overrides{})
}

// NewWith is New with the adapters ov gives in place of those cfg names.
func NewWith(ctx context.Context, cfg config.Config, logger *slog.Logger, metricsOut io.Writer, ov Overrides) (*App, error) {
	a := &App{}
	store, persona, provider, err := adapters(ctx, cfg, logger, ov, a)
	if err != nil {
		return nil, err
	}
	// Per-turn summaries and owner events feed the dashboards: logged at info even when the
	// diagnostic level is warn, as production's is.
	events := telemetry.NewLogger(metricsOut, min(cfg.LogLevel, slog.LevelInfo), telemetry.RedactFor(cfg.Environment, cfg.LogLevel))
	own, access, err := newOwner(ctx, cfg, store, events, a)
	if err != nil {
		return nil, fmt.Errorf("owner features: %w", err)
	}
	a.Owner = own
	origin, err := originSecrets(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("origin secret: %w", err)
	}
	a.Chat = &chat.Service{
		Persona:            persona,
		Store:              store,
		Provider:           provider,
		Budget:             prompt.DefaultBudget,
		MaxSessionMessages: cfg.MaxSessionMessages,
		FirstTokenTimeout:  cfg.FirstTokenTimeout,
		Logger:             logger,
		Events:             events,
		Metrics:            telemetry.NewMetrics(metricsOut, cfg.Environment),
		LogContent:         cfg.Environment == config.EnvLocal && cfg.LogLevel <= slog.LevelDebug,
		Owner:              own,
		CanaryKey:          canaryKey(origin),
	}
	a.Handler = httpapi.NewServer(httpapi.Deps{
		Chat:        a.Chat,
		Store:       store,
		Persona:     persona,
		Logger:      logger,
		Owner:       own,
		OwnerAccess: access,
		Options: httpapi.Options{
			Environment:         cfg.Environment,
			Version:             cfg.Version,
			MaxMessageChars:     cfg.MaxMessageChars,
			CORSAllowedOrigins:  cfg.CORSAllowedOrigins,
			EmbedAllowedOrigins: cfg.EmbedAllowedOrigins,
			RateLimitPerMinute:  cfg.RateLimitPerMinute,
			MaxNewSessions:      ov.MaxNewSessions,
			MaxInFlightTurns:    ov.MaxInFlightTurns,
			Frontend:            frontend(cfg),
			OriginSecrets:       origin,
		},
	})
	return a, nil
}

// canaryKey is the deployment's key for the system prompt's canary: the origin secret's current
// value on AWS (the same in every instance of both functions, and secret), none locally
// (docs/decisions/0029-cacheable-prompt-prefix.md).
func canaryKey(origin []string) []byte {
	if len(origin) == 0 {
		return nil
	}
	return []byte(origin[0])
}

// Flush sends pending owner notifications now.
func (a *App) Flush(ctx context.Context) {
	if a.Owner != nil && a.Owner.Notifier != nil {
		a.Owner.Notifier.Flush(ctx)
	}
}

// FlushDue sends pending owner notifications whose batch window has passed (the Lambda
// bootstrap calls it as each invocation ends, since a frozen environment runs no timers).
func (a *App) FlushDue(ctx context.Context) {
	if a.Owner != nil && a.Owner.Notifier != nil {
		a.Owner.Notifier.FlushDue(ctx)
	}
}
