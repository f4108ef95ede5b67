// Package secrets reads the LLM provider's API key from AWS Secrets Manager
// (LLM_API_KEY_SECRET_ID). The key is cached for a TTL, re-read early when the provider rejects
// it (a rotated key), and never logged. Outside ENVIRONMENT=local this is the only way a key
// reaches the twin; locally Static wraps OPENAI_API_KEY.
package secrets

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
)

// DefaultTTL is how long a key read from Secrets Manager is reused.
const DefaultTTL = 15 * time.Minute

// API is the part of *secretsmanager.Client the source uses.
type API interface {
	GetSecretValue(ctx context.Context, in *secretsmanager.GetSecretValueInput, opts ...func(*secretsmanager.Options)) (*secretsmanager.GetSecretValueOutput, error)
}

// Source is a key source backed by one secret. The secret is either the bare key or a JSON
// object holding it under "api_key" (or "OPENAI_API_KEY", or "key").
type Source struct {
	client API
	id     string

	// TTL of the cached key (DefaultTTL when 0).
	TTL time.Duration
	// Now is the clock (time.Now when nil).
	Now func() time.Time

	mu      sync.Mutex
	key     string
	fetched time.Time
}

// New returns a source reading secret id through client.
func New(client API, id string) *Source { return &Source{client: client, id: id} }

// Key returns the cached key, reading the secret when the cache is empty or older than the TTL.
// When that re-read fails, the cached key is kept (a Secrets Manager outage must not take a
// working key away); with nothing cached the error is returned.
func (s *Source) Key(ctx context.Context) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	ttl := s.TTL
	if ttl <= 0 {
		ttl = DefaultTTL
	}
	if s.key != "" && s.now().Sub(s.fetched) < ttl {
		return s.key, nil
	}
	key, err := s.fetch(ctx)
	if err != nil && s.key != "" {
		// Secrets Manager is unreachable but we hold a key that worked: keep using it and try
		// again in a minute rather than on every turn. A rotation still lands through Refresh.
		s.fetched = s.now().Add(-ttl + staleRetry)
		return s.key, nil
	}
	return key, err
}

// staleRetry is how long a cached key is reused after a failed re-read before trying again.
const staleRetry = time.Minute

// Refresh re-reads the secret now: the provider calls it once when the key is refused.
func (s *Source) Refresh(ctx context.Context) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.fetch(ctx)
}

func (s *Source) fetch(ctx context.Context) (string, error) {
	out, err := s.client.GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: &s.id})
	if err != nil {
		return "", fmt.Errorf("read the LLM API key from Secrets Manager secret %q (LLM_API_KEY_SECRET_ID): %w", s.id, err)
	}
	var raw string
	switch {
	case out.SecretString != nil:
		raw = *out.SecretString
	case len(out.SecretBinary) > 0:
		raw = string(out.SecretBinary)
	}
	key, err := parse(raw)
	if err != nil {
		return "", fmt.Errorf("parse the LLM API key in Secrets Manager secret %q (LLM_API_KEY_SECRET_ID): %w", s.id, err)
	}
	s.key, s.fetched = key, s.now()
	return key, nil
}

// parse extracts the key from a secret value.
func parse(raw string) (string, error) {
	raw = strings.TrimSpace(raw)
	if strings.HasPrefix(raw, "{") {
		var m map[string]any
		if err := json.Unmarshal([]byte(raw), &m); err != nil {
			return "", errors.New("the secret looks like JSON but does not parse")
		}
		for _, name := range []string{"api_key", "OPENAI_API_KEY", "key"} {
			if v, ok := m[name].(string); ok && strings.TrimSpace(v) != "" {
				return strings.TrimSpace(v), nil
			}
		}
		return "", errors.New(`the secret is a JSON object without an "api_key" string`)
	}
	if raw == "" {
		return "", errors.New("the secret is empty")
	}
	return raw, nil
}

func (s *Source) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

// Static is a fixed key (OPENAI_API_KEY, accepted only when ENVIRONMENT=local). Refresh cannot
// find a newer one, so it returns the same key.
type Static string

// Key returns the key.
func (k Static) Key(context.Context) (string, error) { return string(k), nil }

// Refresh returns the same key.
func (k Static) Refresh(context.Context) (string, error) { return string(k), nil }

// String masks the key.
func (k Static) String() string { return "********" }
