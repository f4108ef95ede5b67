package s3source

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/digitaltwin/twin/app/persona"
	"github.com/digitaltwin/twin/app/twin"
)

// ListAPI is the part of *s3.Client a Prefix source uses.
type ListAPI interface {
	API
	ListObjectsV2(ctx context.Context, in *s3.ListObjectsV2Input, opts ...func(*s3.Options)) (*s3.ListObjectsV2Output, error)
}

// maxObjects bounds how many objects a persona prefix may hold.
const maxObjects = 200

var _ twin.PersonaSource = (*Prefix)(nil)

// Prefix is a twin.PersonaSource reading every .txt, .md and .pdf object under s3://bucket/prefix
// (a PERSONA_KEY ending in "/"), in key order, plus an optional persona.yaml, the way a folder is
// read on disk. Once the TTL has passed it lists the prefix again (one request) and GETs only the
// objects whose ETag changed; when S3 cannot be read, the last good persona keeps being served.
type Prefix struct {
	client ListAPI
	bucket string
	prefix string
	logger *slog.Logger

	Timing

	mu      sync.Mutex
	objects map[string]object // by name relative to the prefix
	cached  twin.Persona
	good    bool
	checked time.Time
}

type object struct {
	etag string
	text string
	err  error
}

// NewPrefix returns a source for every persona object under s3://bucket/prefix; logger may be nil.
func NewPrefix(client ListAPI, bucket, prefix string, logger *slog.Logger) *Prefix {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	return &Prefix{client: client, bucket: bucket, prefix: prefix, logger: logger, objects: map[string]object{}}
}

// Persona returns the cached persona, revalidating it after the TTL.
func (s *Prefix) Persona(ctx context.Context) (twin.Persona, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	if s.good && s.fresh(s.checked, now) {
		return s.cached, nil
	}
	p, err := s.load(ctx)
	switch {
	case err == nil:
		if s.good && p.Version != s.cached.Version {
			s.logger.InfoContext(ctx, "persona reloaded", "bucket", s.bucket, "prefix", s.prefix, "version", p.Version)
		}
		s.cached, s.good, s.checked = p, true, now
		return p, nil
	case s.good:
		s.checked = now
		s.logger.WarnContext(ctx, "persona revalidation failed; serving the cached copy", "bucket", s.bucket, "prefix", s.prefix, "error", err.Error())
		return s.cached, nil
	default:
		return twin.Persona{}, unavailable(ctx, s.logger, err, "bucket", s.bucket, "prefix", s.prefix)
	}
}

// load lists the prefix, fetches what changed and assembles the persona. A failed GET of an
// object read before keeps its earlier text (an outage is not an edit).
func (s *Prefix) load(ctx context.Context) (twin.Persona, error) {
	listed, err := s.list(ctx)
	if err != nil {
		return twin.Persona{}, err
	}
	next := map[string]object{}
	var docs []persona.Doc
	var meta []byte
	var skipped []persona.Skipped
	for _, o := range listed {
		cur, ok := s.objects[o.name]
		if !ok || cur.etag != o.etag {
			text, err := s.get(ctx, o.name)
			switch {
			case err != nil && ok && cur.err == nil && isTransient(err):
				s.logger.WarnContext(ctx, "persona object unreadable; keeping its last good copy", "key", s.prefix+o.name, "error", err.Error())
			default:
				cur = object{etag: o.etag, text: text, err: err}
			}
		}
		next[o.name] = cur
		switch {
		case cur.err != nil:
			skipped = append(skipped, persona.Skipped{Name: o.name, Reason: cur.err})
		case o.name == persona.MetaFile:
			meta = []byte(cur.text)
		default:
			docs = append(docs, persona.Doc{Name: o.name, Text: cur.text})
		}
	}
	p, more, err := persona.Assemble(docs, meta)
	for _, sk := range append(skipped, more...) {
		s.logger.WarnContext(ctx, "persona source skipped", "key", s.prefix+sk.Name, "error", sk.Reason.Error())
	}
	if err != nil {
		return twin.Persona{}, err
	}
	s.objects = next
	return p, nil
}

type listed struct{ name, etag string }

// list returns the persona objects under the prefix in key order (S3 lists keys in order).
func (s *Prefix) list(ctx context.Context) ([]listed, error) {
	var out []listed
	in := &s3.ListObjectsV2Input{Bucket: &s.bucket, Prefix: &s.prefix}
	for {
		page, err := s.client.ListObjectsV2(ctx, in)
		if err != nil {
			return nil, fmt.Errorf("list persona s3://%s/%s: %w", s.bucket, s.prefix, err)
		}
		for _, o := range page.Contents {
			name := strings.TrimPrefix(aws.ToString(o.Key), s.prefix)
			if name != persona.MetaFile && !persona.Readable(name) {
				continue
			}
			if len(out) == maxObjects {
				return nil, fmt.Errorf("more than %d persona objects under s3://%s/%s", maxObjects, s.bucket, s.prefix)
			}
			out = append(out, listed{name: name, etag: aws.ToString(o.ETag)})
		}
		if !aws.ToBool(page.IsTruncated) {
			return out, nil
		}
		in.ContinuationToken = page.NextContinuationToken
	}
}

// errTransient marks a failure to reach S3, as opposed to an object that is no good.
var errTransient = errors.New("s3 unavailable")

func isTransient(err error) bool { return errors.Is(err, errTransient) }

// get reads one object and extracts its text.
func (s *Prefix) get(ctx context.Context, name string) (string, error) {
	key := s.prefix + name
	out, err := s.client.GetObject(ctx, &s3.GetObjectInput{Bucket: &s.bucket, Key: &key})
	if err != nil {
		return "", fmt.Errorf("get s3://%s/%s: %w: %w", s.bucket, key, errTransient, err)
	}
	defer out.Body.Close()
	limit := int64(persona.MaxBytes)
	if strings.HasSuffix(strings.ToLower(name), ".pdf") {
		limit = persona.MaxPDFBytes
	}
	data, err := io.ReadAll(io.LimitReader(out.Body, limit+1))
	if err != nil {
		return "", fmt.Errorf("read s3://%s/%s: %w: %w", s.bucket, key, errTransient, err)
	}
	if int64(len(data)) > limit {
		return "", fmt.Errorf("over the %d byte limit", limit)
	}
	if name == persona.MetaFile {
		return string(data), nil
	}
	return persona.Extract(name, data)
}
