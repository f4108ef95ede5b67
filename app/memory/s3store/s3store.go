// Package s3store keeps conversations in S3, one JSON object per session (docs/decisions/0002),
// with optimistic concurrency: a new session is created with If-None-Match: * and an existing one
// is replaced with If-Match: <etag>, so two turns racing on one session never lose a message. On a
// conflict (412 PreconditionFailed or 409 ConditionalRequestConflict) the store re-reads the object
// and re-applies the turn's messages on top of what is stored; it never calls the model again for
// that. Throttling and 5xx are retried by the SDK's retryer (see app/awsclient). A write whose
// response was lost but which S3 applied is recognised on the re-read and not applied twice.
package s3store

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/digitaltwin/twin/app/awsclient"
	"github.com/digitaltwin/twin/app/memory"
	"github.com/digitaltwin/twin/app/twin"
)

// API is the part of *s3.Client the store uses.
type API interface {
	GetObject(ctx context.Context, in *s3.GetObjectInput, opts ...func(*s3.Options)) (*s3.GetObjectOutput, error)
	PutObject(ctx context.Context, in *s3.PutObjectInput, opts ...func(*s3.Options)) (*s3.PutObjectOutput, error)
	ListObjectsV2(ctx context.Context, in *s3.ListObjectsV2Input, opts ...func(*s3.Options)) (*s3.ListObjectsV2Output, error)
	ListObjectVersions(ctx context.Context, in *s3.ListObjectVersionsInput, opts ...func(*s3.Options)) (*s3.ListObjectVersionsOutput, error)
	DeleteObjects(ctx context.Context, in *s3.DeleteObjectsInput, opts ...func(*s3.Options)) (*s3.DeleteObjectsOutput, error)
}

// Defaults.
const (
	// DefaultMaxConflicts bounds the re-read/re-apply rounds of one Append. Twenty writers racing
	// on one session need at most 19; a real session sees one visitor.
	DefaultMaxConflicts = 32
	// maxObjectBytes caps what Get reads: 500 messages of 4000 characters fit many times over.
	maxObjectBytes = 64 << 20
)

var _ twin.Store = (*Store)(nil)

// Store is a twin.Store on one S3 bucket and key prefix.
type Store struct {
	client API
	bucket string
	prefix string

	// MaxConflicts bounds the conflict retries of one Append (DefaultMaxConflicts when 0).
	MaxConflicts int
	// Now is the clock for created_at/updated_at (time.Now when nil).
	Now func() time.Time
}

// New returns a store writing s3://bucket/{prefix}{session_id}.json through client.
func New(client API, bucket, prefix string) *Store {
	return &Store{client: client, bucket: bucket, prefix: prefix}
}

// Key returns the object key of session id.
func (s *Store) Key(id string) string { return s.prefix + id + ".json" }

// Get returns the stored session with its ETag as Version, or CodeSessionNotFound.
func (s *Store) Get(ctx context.Context, id string) (twin.Session, error) {
	if !twin.ValidSessionID(id) {
		return twin.Session{}, twin.Errorf(twin.CodeInvalidSessionID, "session id must be a lowercase UUID")
	}
	key := s.Key(id)
	out, err := s.client.GetObject(ctx, &s3.GetObjectInput{Bucket: &s.bucket, Key: &key})
	if err != nil {
		if awsclient.IsS3NotFound(err) {
			return twin.Session{}, twin.Wrap(twin.CodeSessionNotFound, err, "session not found")
		}
		return twin.Session{}, fmt.Errorf("s3store: get s3://%s/%s: %w", s.bucket, key, err)
	}
	defer out.Body.Close()
	body, err := io.ReadAll(io.LimitReader(out.Body, maxObjectBytes+1))
	if err != nil {
		return twin.Session{}, fmt.Errorf("s3store: read s3://%s/%s: %w", s.bucket, key, err)
	}
	if len(body) > maxObjectBytes {
		return twin.Session{}, fmt.Errorf("s3store: s3://%s/%s is larger than %d bytes", s.bucket, key, maxObjectBytes)
	}
	var sess twin.Session
	if err := json.Unmarshal(body, &sess); err != nil {
		return twin.Session{}, fmt.Errorf("s3store: decode s3://%s/%s: %w", s.bucket, key, err)
	}
	if sess.ID != id {
		return twin.Session{}, fmt.Errorf("s3store: s3://%s/%s holds session %q", s.bucket, key, sess.ID)
	}
	if sess.Messages == nil {
		sess.Messages = []twin.Message{}
	}
	sess.Version = aws.ToString(out.ETag)
	if sess.Version == "" {
		// Without an ETag no conditional update is possible; refuse rather than risk a blind
		// overwrite later.
		return twin.Session{}, fmt.Errorf("s3store: s3://%s/%s: response has no ETag", s.bucket, key)
	}
	return sess, nil
}

// RecentSessions returns the ids of the limit most recently written sessions, newest first:
// a listing of the prefix (1,000 keys a request) sorted by LastModified, no object read.
func (s *Store) RecentSessions(ctx context.Context, limit int) ([]string, error) {
	var all []memory.Listed
	p := s3.NewListObjectsV2Paginator(s.client, &s3.ListObjectsV2Input{Bucket: &s.bucket, Prefix: &s.prefix})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("s3store: list s3://%s/%s: %w", s.bucket, s.prefix, err)
		}
		for _, o := range page.Contents {
			name := strings.TrimPrefix(aws.ToString(o.Key), s.prefix)
			if id, ok := strings.CutSuffix(name, ".json"); ok && twin.ValidSessionID(id) {
				all = append(all, memory.Listed{ID: id, Modified: aws.ToTime(o.LastModified)})
			}
		}
	}
	return memory.Newest(all, limit), nil
}

// Append writes base plus msgs with a conditional PUT. On a conflict it re-reads the stored
// session (a failed read ends the Append: nothing is written) and re-applies msgs, at most
// MaxConflicts times. The limit is checked against every copy it writes on top of.
func (s *Store) Append(ctx context.Context, base twin.Session, msgs []twin.Message, limit int) (twin.Session, error) {
	if !twin.ValidSessionID(base.ID) {
		return twin.Session{}, twin.Errorf(twin.CodeInvalidSessionID, "session id must be a lowercase UUID")
	}
	maxConflicts := s.MaxConflicts
	if maxConflicts <= 0 {
		maxConflicts = DefaultMaxConflicts
	}
	cur := base
	for conflicts := 0; ; conflicts++ {
		next, err := s.put(ctx, cur, msgs, limit)
		if err == nil {
			return next, nil
		}
		// An update (If-Match) of an object deleted since it was read fails with 404, as on AWS:
		// that is a conflict too, resolved by the re-read below.
		if !awsclient.IsS3Conflict(err) && !(cur.Version != "" && awsclient.IsS3NotFound(err)) {
			return twin.Session{}, err
		}
		if conflicts >= maxConflicts {
			return twin.Session{}, fmt.Errorf("s3store: append to %s: still conflicting after %d re-reads: %w", base.ID, conflicts, err)
		}
		awsclient.AddRetries(ctx, 1)
		if err := sleepJitter(ctx, conflicts); err != nil {
			return twin.Session{}, err
		}
		cur, err = s.Get(ctx, base.ID)
		switch {
		case err == nil:
			if containsRun(cur.Messages, msgs) {
				// Our own write took effect although its response was lost (the connection broke
				// after S3 stored it, and the SDK's retry then failed the precondition; another
				// turn may even have appended after it): applying msgs again would store the
				// turn twice.
				return cur, nil
			}
		case twin.ErrorCode(err) == twin.CodeSessionNotFound:
			// The object went away between our read and write (deleted by its owner): start it
			// afresh, again only if nobody else creates it first.
			cur = twin.Session{ID: base.ID}
		default:
			return twin.Session{}, fmt.Errorf("s3store: re-read after conflict: %w", err)
		}
	}
}

// put writes cur+msgs conditioned on cur.Version and returns what was stored.
func (s *Store) put(ctx context.Context, cur twin.Session, msgs []twin.Message, limit int) (twin.Session, error) {
	if limit > 0 && len(cur.Messages)+len(msgs) > limit {
		return twin.Session{}, twin.Errorf(twin.CodeSessionFull, "this conversation has reached its limit of %d messages; start a new one", limit)
	}
	now := s.now()
	next := twin.Session{
		ID:        cur.ID,
		CreatedAt: cur.CreatedAt,
		UpdatedAt: now,
		Messages:  memory.Merge(cur.Messages, msgs),
	}
	if cur.Version == "" || next.CreatedAt.IsZero() {
		next.CreatedAt = now
	}
	body, err := json.Marshal(next)
	if err != nil {
		return twin.Session{}, fmt.Errorf("s3store: encode session %s: %w", cur.ID, err)
	}
	key := s.Key(cur.ID)
	in := &s3.PutObjectInput{
		Bucket:        &s.bucket,
		Key:           &key,
		Body:          bytes.NewReader(body),
		ContentLength: aws.Int64(int64(len(body))),
		ContentType:   aws.String("application/json"),
	}
	if cur.Version == "" {
		in.IfNoneMatch = aws.String("*")
	} else {
		in.IfMatch = aws.String(cur.Version)
	}
	out, err := s.client.PutObject(ctx, in)
	if err != nil {
		return twin.Session{}, fmt.Errorf("s3store: put s3://%s/%s: %w", s.bucket, key, err)
	}
	// A missing ETag leaves Version empty: the next Append then creates with If-None-Match,
	// fails, re-reads and so recovers the real ETag.
	next.Version = aws.ToString(out.ETag)
	return next, nil
}

func (s *Store) now() time.Time {
	if s.Now != nil {
		return s.Now().UTC()
	}
	return time.Now().UTC()
}

// containsRun reports whether msgs occur in stored as a contiguous run, ids and timestamps
// included. The core gives every message a random id and its own time to the nanosecond, so
// another turn never matches by accident.
func containsRun(stored, msgs []twin.Message) bool {
	if len(msgs) == 0 {
		return false
	}
	for start := len(stored) - len(msgs); start >= 0; start-- {
		match := true
		for i, m := range msgs {
			if s := stored[start+i]; s.ID != m.ID || s.Role != m.Role || s.Content != m.Content || !s.Timestamp.Equal(m.Timestamp) {
				match = false
				break
			}
		}
		if match {
			return true
		}
	}
	return false
}

// sleepJitter spreads racing writers apart: a uniform wait in [0, 2ms·2^n), capped at 100ms.
func sleepJitter(ctx context.Context, n int) error {
	ceil := 2 * time.Millisecond << min(n, 6)
	ceil = min(ceil, 100*time.Millisecond)
	t := time.NewTimer(time.Duration(rand.Int64N(int64(ceil))))
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
