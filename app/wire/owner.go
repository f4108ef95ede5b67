package wire

import (
	"context"
	"log/slog"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/sns"

	"github.com/digitaltwin/twin/app/config"
	"github.com/digitaltwin/twin/app/owner"
	"github.com/digitaltwin/twin/app/owner/s3blobs"
	"github.com/digitaltwin/twin/app/owner/snspub"
	"github.com/digitaltwin/twin/app/secrets"
)

// notifyTimeout bounds one owner notification.
const notifyTimeout = 5 * time.Second

// newOwner builds the owner features: records in the memory bucket (or in DATA_DIR: leads/,
// questions/, feedback/, owner/), notifications to OWNER_TOPIC_ARN (or the log) under a daily
// cap, and access to the owner view (open locally, else the OWNER_TOKEN_SECRET_ID bearer token).
func newOwner(ctx context.Context, cfg config.Config, store Store, logger *slog.Logger, a *App) (*owner.Service, owner.Access, error) {
	logText := cfg.Environment == config.EnvLocal && cfg.LogLevel <= slog.LevelDebug
	s := &owner.Service{
		Sessions: store, Recent: store, Logger: logger, PerClientPerDay: cfg.OwnerRecordsPerClientDay, LogText: logText,
	}
	access := owner.Access{Local: cfg.Environment == config.EnvLocal}
	var pub owner.Publisher = owner.LogPublisher{Logger: logger, LogText: logText}

	needAWS := cfg.MemoryBucket != "" || cfg.OwnerTopicARN != "" || cfg.OwnerTokenSecretID != ""
	if needAWS {
		awsCfg, err := loadAWS(ctx)
		if err != nil {
			return nil, access, err
		}
		if cfg.MemoryBucket != "" {
			s.Blobs = s3blobs.New(newS3(awsCfg), cfg.MemoryBucket)
		}
		if cfg.OwnerTopicARN != "" {
			pub = snspub.New(sns.NewFromConfig(awsCfg), cfg.OwnerTopicARN)
		}
		if cfg.OwnerTokenSecretID != "" {
			access.Token = secrets.New(secretsmanager.NewFromConfig(awsCfg), cfg.OwnerTokenSecretID)
		}
	}
	if s.Blobs == nil {
		s.Blobs = owner.NewDirBlobs(cfg.DataDir)
	}
	s.Notifier = owner.NewNotifier(pub, cfg.OwnerNotifyWindow, notifyTimeout, logger, nil,
		owner.NewDailyCap(s.Blobs, cfg.OwnerNotifyDailyCap))
	a.closers = append(a.closers, func() {
		fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), notifyTimeout)
		defer cancel()
		s.Notifier.Flush(fctx)
	})
	return s, access, nil
}
