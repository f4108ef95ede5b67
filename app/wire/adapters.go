package wire

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"

	"github.com/digitaltwin/twin/app/awsclient"
	"github.com/digitaltwin/twin/app/config"
	"github.com/digitaltwin/twin/app/embedded"
	"github.com/digitaltwin/twin/app/httpapi"
	"github.com/digitaltwin/twin/app/llm/bedrock"
	"github.com/digitaltwin/twin/app/llm/offline"
	"github.com/digitaltwin/twin/app/llm/openai"
	"github.com/digitaltwin/twin/app/memory/filestore"
	"github.com/digitaltwin/twin/app/memory/s3store"
	"github.com/digitaltwin/twin/app/owner"
	"github.com/digitaltwin/twin/app/persona"
	"github.com/digitaltwin/twin/app/persona/s3source"
	"github.com/digitaltwin/twin/app/secrets"
	"github.com/digitaltwin/twin/app/telemetry"
	"github.com/digitaltwin/twin/app/twin"
)

// Store is a conversation store that can also list its most recent sessions (for the owner
// view's "what visitors ask most"): every store can.
type Store interface {
	twin.Store
	owner.SessionLister
}

// adapters returns the store, persona source and provider: those ov gives, else those cfg names.
func adapters(ctx context.Context, cfg config.Config, logger *slog.Logger, ov Overrides, a *App) (Store, twin.PersonaSource, twin.Provider, error) {
	store, persona, provider := ov.Store, ov.Persona, ov.Provider
	var err error
	if store == nil {
		if store, err = newStore(ctx, cfg, a); err != nil {
			return nil, nil, nil, fmt.Errorf("memory store: %w", err)
		}
	}
	if persona == nil {
		if persona, err = newPersona(ctx, cfg, logger, a); err != nil {
			return nil, nil, nil, fmt.Errorf("persona: %w", err)
		}
	}
	if provider == nil {
		if provider, err = newProvider(ctx, cfg, logger, a); err != nil {
			return nil, nil, nil, fmt.Errorf("llm provider: %w", err)
		}
	}
	return store, persona, provider, nil
}

// newStore returns the conversation store: S3 when S3_MEMORY_BUCKET is set, else files.
func newStore(ctx context.Context, cfg config.Config, _ *App) (Store, error) {
	if cfg.MemoryBucket != "" {
		awsCfg, err := loadAWS(ctx)
		if err != nil {
			return nil, err
		}
		return s3store.New(newS3(awsCfg), cfg.MemoryBucket, cfg.MemoryPrefix), nil
	}
	return filestore.New(cfg.MemoryDir)
}

// newPersona returns the persona source: S3 when S3_PERSONA_BUCKET is set (a PERSONA_KEY ending in
// "/" is a prefix read like a folder), else the file or folder PERSONA_FILE names.
func newPersona(ctx context.Context, cfg config.Config, logger *slog.Logger, _ *App) (twin.PersonaSource, error) {
	if cfg.PersonaBucket != "" {
		awsCfg, err := loadAWS(ctx)
		if err != nil {
			return nil, err
		}
		if strings.HasSuffix(cfg.PersonaKey, "/") {
			return s3source.NewPrefix(newS3(awsCfg), cfg.PersonaBucket, cfg.PersonaKey, logger), nil
		}
		return s3source.New(newS3(awsCfg), cfg.PersonaBucket, cfg.PersonaKey, logger), nil
	}
	if _, err := os.Stat(cfg.PersonaFile); errors.Is(err, fs.ErrNotExist) {
		if text := embedded.Persona(); text != nil {
			logger.InfoContext(ctx, "no persona file: using the example persona built into the binary (write "+cfg.PersonaFile+" or set PERSONA_FILE)",
				"persona_file", cfg.PersonaFile)
			return persona.NewStaticSource(text), nil
		}
	}
	return persona.Open(cfg.PersonaFile, logger), nil
}

// frontend returns the exported chat page: FRONTEND_DIR when it holds one, else the copy built
// into the binary, else nil (the server shows how to build it).
func frontend(cfg config.Config) fs.FS {
	if dir := os.DirFS(cfg.FrontendDir); cfg.FrontendDir != "" && httpapi.HasIndex(dir) {
		return dir
	}
	return embedded.Site()
}

// newProvider returns the LLM provider LLM_PROVIDER names.
func newProvider(ctx context.Context, cfg config.Config, logger *slog.Logger, _ *App) (twin.Provider, error) {
	switch cfg.LLMProvider {
	case "offline":
		return offline.New(cfg.OfflineTokenDelay), nil
	case "openai":
		keys, err := openAIKeys(ctx, cfg)
		if err != nil {
			return nil, err
		}
		return openai.New(openai.Config{BaseURL: cfg.OpenAIBaseURL, Model: cfg.OpenAIModel, Keys: keys, Logger: logger})
	case "bedrock":
		awsCfg, err := loadAWS(ctx)
		if err != nil {
			return nil, err
		}
		return bedrock.New(bedrockruntime.NewFromConfig(awsCfg, bedrock.BufferRequests), bedrock.Config{ModelID: cfg.BedrockModelID, PromptCache: cfg.BedrockPromptCache, Logger: logger})
	default:
		return nil, fmt.Errorf("LLM_PROVIDER=%s is not wired yet", cfg.LLMProvider)
	}
}

// openAIKeys picks the key source: OPENAI_API_KEY (config accepts it only locally), else the
// Secrets Manager secret, read once now so a bad secret fails the start with a clear line; a
// local server without either (Ollama, llama.cpp) sends a placeholder.
func openAIKeys(ctx context.Context, cfg config.Config) (openai.KeySource, error) {
	switch {
	case cfg.OpenAIAPIKey != "":
		return secrets.Static(cfg.OpenAIAPIKey.Value()), nil
	case cfg.LLMAPIKeySecretID != "":
		awsCfg, err := loadAWS(ctx)
		if err != nil {
			return nil, err
		}
		keys := secrets.New(secretsmanager.NewFromConfig(awsCfg), cfg.LLMAPIKeySecretID)
		if _, err := keys.Key(ctx); err != nil {
			return nil, err
		}
		return keys, nil
	default:
		return secrets.Static("no-key"), nil
	}
}

// originSecrets reads the origin secret's accepted values once, at start (a cold start on
// Lambda), when ORIGIN_SECRET_ID names one: a missing or malformed secret fails the start with
// one clear line instead of refusing every request.
func originSecrets(ctx context.Context, cfg config.Config) ([]string, error) {
	if cfg.OriginSecretID == "" {
		return nil, nil
	}
	awsCfg, err := loadAWS(ctx)
	if err != nil {
		return nil, err
	}
	return secrets.OriginValues(ctx, secretsmanager.NewFromConfig(awsCfg), cfg.OriginSecretID)
}

// loadAWS loads the SDK configuration (AWS_REGION, AWS_ENDPOINT_URL[_S3], profiles, the Lambda
// role) with the twin's retryer, and traces every AWS call.
func loadAWS(ctx context.Context) (aws.Config, error) {
	cfg, err := awsclient.Load(ctx, awsclient.Options{})
	if err != nil {
		return aws.Config{}, err
	}
	telemetry.InstrumentAWS(&cfg)
	return cfg, nil
}

// newS3 returns an S3 client; with a custom endpoint (AWS_ENDPOINT_URL_S3: MinIO, versitygw,
// LocalStack…) it addresses buckets by path, which those servers need.
func newS3(awsCfg aws.Config) *s3.Client {
	c := s3.NewFromConfig(awsCfg)
	if c.Options().BaseEndpoint != nil {
		c = s3.NewFromConfig(awsCfg, func(o *s3.Options) { o.UsePathStyle = true })
	}
	return c
}
