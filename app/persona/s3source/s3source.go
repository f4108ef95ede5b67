// Package s3source loads the persona (me.txt) from S3. It caches the parsed persona and, once the
// TTL has passed, revalidates it with a conditional GET (If-None-Match: <etag>): a 304 keeps the
// cache, so an owner's edit is picked up within one TTL at the cost of one tiny request.
package s3source

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	smithyhttp "github.com/aws/smithy-go/transport/http"

	"github.com/digitaltwin/twin/app/persona"
	"github.com/digitaltwin/twin/app/twin"
)

// DefaultTTL is how long a loaded persona is served before it is revalidated.
const DefaultTTL = time.Minute

// API is the part of *s3.Client the source uses.
type API interface {
	GetObject(ctx context.Context, in *s3.GetObjectInput, opts ...func(*s3.Options)) (*s3.GetObjectOutput, error)
}

var _ twin.PersonaSource = (*Source)(nil)

// Source is a twin.PersonaSource reading s3://bucket/key.
type Source struct {
	client API
	bucket string
	key    string
	logger *slog.Logger

	Timing

	mu      sync.Mutex
	cached  twin.Persona
	etag    string
	checked time.Time
}

// New returns a source for s3://bucket/key; logger may be nil.
func New(client API, bucket, key string, logger *slog.Logger) *Source {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	return &Source{client: client, bucket: bucket, key: key, logger: logger}
}

// Persona returns the cached persona, revalidating it after the TTL. When S3 cannot be read or
// the new object does not parse, a previously loaded persona keeps being served (and the failure
// is logged); without one the error is CodePersonaUnavailable.
func (s *Source) Persona(ctx context.Context) (twin.Persona, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	if s.etag != "" && s.fresh(s.checked, now) {
		return s.cached, nil
	}
	p, etag, err := s.fetch(ctx)
	switch {
	case err == nil && etag == "": // 304 Not Modified
		s.checked = now
		return s.cached, nil
	case err == nil:
		if s.etag != "" {
			s.logger.InfoContext(ctx, "persona reloaded", "bucket", s.bucket, "key", s.key, "version", p.Version)
		}
		s.cached, s.etag, s.checked = p, etag, now
		return p, nil
	case s.etag != "":
		// Keep serving what we had; try again after another TTL.
		s.checked = now
		s.logger.WarnContext(ctx, "persona revalidation failed; serving the cached copy",
			"bucket", s.bucket, "key", s.key, "error", err.Error())
		return s.cached, nil
	default:
		return twin.Persona{}, unavailable(ctx, s.logger, err, "bucket", s.bucket, "key", s.key)
	}
}

// unavailable logs why there is no persona to serve and returns CodePersonaUnavailable.
func unavailable(ctx context.Context, logger *slog.Logger, err error, attrs ...any) error {
	logger.WarnContext(ctx, "persona unavailable", append(attrs, "error", err.Error())...)
	var te *twin.Error
	if errors.As(err, &te) {
		return err
	}
	return twin.Wrap(twin.CodePersonaUnavailable, err, "the persona is not available")
}

// fetch GETs the object, conditional on the cached ETag. It returns an empty etag for 304.
func (s *Source) fetch(ctx context.Context) (twin.Persona, string, error) {
	in := &s3.GetObjectInput{Bucket: &s.bucket, Key: &s.key}
	if s.etag != "" {
		in.IfNoneMatch = aws.String(s.etag)
	}
	out, err := s.client.GetObject(ctx, in)
	if err != nil {
		if s.etag != "" && isNotModified(err) {
			return twin.Persona{}, "", nil
		}
		return twin.Persona{}, "", fmt.Errorf("get persona s3://%s/%s: %w", s.bucket, s.key, err)
	}
	defer out.Body.Close()
	data, err := io.ReadAll(io.LimitReader(out.Body, persona.MaxBytes+1))
	if err != nil {
		return twin.Persona{}, "", fmt.Errorf("read persona s3://%s/%s: %w", s.bucket, s.key, err)
	}
	p, err := persona.Parse(data)
	if err != nil {
		return twin.Persona{}, "", fmt.Errorf("parse persona s3://%s/%s: %w", s.bucket, s.key, err)
	}
	etag := aws.ToString(out.ETag)
	if etag == "" {
		etag = `"` + p.Version + `"` // no ETag from the server: still cache, revalidation then reloads
	}
	return p, etag, nil
}

// Timing is when a source revalidates what it loaded.
type Timing struct {
	// TTL between revalidations (DefaultTTL when 0).
	TTL time.Duration
	// Now is the clock (time.Now when nil).
	Now func() time.Time
}

func (t Timing) now() time.Time {
	if t.Now != nil {
		return t.Now()
	}
	return time.Now()
}

// fresh reports whether something checked at checked needs no revalidation at now.
func (t Timing) fresh(checked, now time.Time) bool {
	ttl := t.TTL
	if ttl <= 0 {
		ttl = DefaultTTL
	}
	return now.Sub(checked) < ttl
}

func isNotModified(err error) bool {
	var re *smithyhttp.ResponseError
	return errors.As(err, &re) && re.Response != nil && re.Response.StatusCode == http.StatusNotModified
}
