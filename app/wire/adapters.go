package wire

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/digitaltwin/twin/app/config"
	"github.com/digitaltwin/twin/app/llm/offline"
	"github.com/digitaltwin/twin/app/memory/filestore"
	"github.com/digitaltwin/twin/app/persona"
	"github.com/digitaltwin/twin/app/twin"
)

// newStore returns the conversation store: S3 when S3_MEMORY_BUCKET is set, else files.
func newStore(_ context.Context, cfg config.Config, _ *App) (twin.Store, error) {
	if cfg.MemoryBucket != "" {
		return nil, fmt.Errorf("S3_MEMORY_BUCKET: the S3 store is not wired yet")
	}
	return filestore.New(cfg.MemoryDir)
}

// newPersona returns the persona source: S3 when S3_PERSONA_BUCKET is set, else the file.
func newPersona(_ context.Context, cfg config.Config, logger *slog.Logger, _ *App) (twin.PersonaSource, error) {
	if cfg.PersonaBucket != "" {
		return nil, fmt.Errorf("S3_PERSONA_BUCKET: the S3 persona source is not wired yet")
	}
	return persona.NewFileSource(cfg.PersonaFile, logger), nil
}

// newProvider returns the LLM provider LLM_PROVIDER names.
func newProvider(_ context.Context, cfg config.Config, _ *slog.Logger, _ *App) (twin.Provider, error) {
	switch cfg.LLMProvider {
	case "offline":
		return offline.New(cfg.OfflineTokenDelay), nil
	default:
		return nil, fmt.Errorf("LLM_PROVIDER=%s is not wired yet", cfg.LLMProvider)
	}
}
