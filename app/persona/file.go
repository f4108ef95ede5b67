package persona

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"sync"
	"time"

	"github.com/digitaltwin/twin/app/twin"
)

// FileSource loads the persona from a file, caches it, and re-reads it when the file's size or
// modification time changes, so an owner can edit me.txt without a restart.
type FileSource struct {
	path   string
	logger *slog.Logger

	mu      sync.Mutex
	cached  twin.Persona
	size    int64
	modTime time.Time
}

var _ twin.PersonaSource = (*FileSource)(nil)

// NewFileSource returns a source reading path.
func NewFileSource(path string, logger *slog.Logger) *FileSource {
	return &FileSource{path: path, logger: logger}
}

// Persona returns the current persona; a missing, empty, non-UTF-8 or oversized file returns
// CodePersonaUnavailable and logs a warning.
func (s *FileSource) Persona(ctx context.Context) (twin.Persona, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	info, err := os.Stat(s.path)
	if err != nil {
		return twin.Persona{}, s.fail(ctx, fmt.Errorf("stat persona %q: %w", s.path, err))
	}
	if s.cached.Text != "" && info.Size() == s.size && info.ModTime().Equal(s.modTime) {
		return s.cached, nil
	}
	if info.Size() > MaxBytes {
		return twin.Persona{}, s.fail(ctx, fmt.Errorf("persona %q is %d bytes, over the %d byte limit", s.path, info.Size(), MaxBytes))
	}
	data, err := readLimited(s.path)
	if err != nil {
		return twin.Persona{}, s.fail(ctx, err)
	}
	p, err := Parse(data)
	if err != nil {
		return twin.Persona{}, s.fail(ctx, fmt.Errorf("parse persona %q: %w", s.path, err))
	}
	s.cached, s.size, s.modTime = p, info.Size(), info.ModTime()
	s.logger.InfoContext(ctx, "persona loaded", "source", s.path, "bytes", len(data), "version", p.Version)
	return p, nil
}

func (s *FileSource) fail(ctx context.Context, err error) error {
	s.cached = twin.Persona{}
	s.logger.WarnContext(ctx, "persona unavailable", "path", s.path, "error", err.Error())
	var te *twin.Error
	if errors.As(err, &te) {
		return err
	}
	return unavailable(err)
}

// readLimited reads at most MaxBytes+1 bytes, so a file growing after Stat cannot exhaust memory.
func readLimited(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("open persona %q: %w", path, err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, MaxBytes+1))
	if err != nil {
		return nil, fmt.Errorf("read persona %q: %w", path, err)
	}
	return data, nil
}
