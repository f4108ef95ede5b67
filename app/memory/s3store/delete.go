package s3store

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/digitaltwin/twin/app/twin"
)

// maxDeleteBatch is how many versions one DeleteObjects call may name (S3's limit).
const maxDeleteBatch = 1000

// Delete removes every version of the session's object and every delete marker, not only the
// current copy: in a versioned bucket a plain DELETE would leave the whole history behind a
// marker until the lifecycle rule expires it. It returns CodeSessionNotFound when no current
// version exists (leftover versions of an earlier deletion are removed all the same).
//
// A turn that writes while Delete runs may store a fresh copy with only its own messages; it
// never brings back what was deleted.
func (s *Store) Delete(ctx context.Context, id string) error {
	if !twin.ValidSessionID(id) {
		return twin.Errorf(twin.CodeInvalidSessionID, "session id must be a lowercase UUID")
	}
	key := s.Key(id)
	versions, live, err := s.versions(ctx, key)
	if err != nil {
		return err
	}
	for start := 0; start < len(versions); start += maxDeleteBatch {
		batch := versions[start:min(start+maxDeleteBatch, len(versions))]
		out, err := s.client.DeleteObjects(ctx, &s3.DeleteObjectsInput{
			Bucket: &s.bucket,
			Delete: &types.Delete{Objects: batch, Quiet: aws.Bool(true)},
		})
		if err != nil {
			return fmt.Errorf("s3store: delete s3://%s/%s: %w", s.bucket, key, err)
		}
		if len(out.Errors) > 0 {
			e := out.Errors[0]
			return fmt.Errorf("s3store: delete s3://%s/%s: %d of %d versions not deleted, first %s: %s",
				s.bucket, key, len(out.Errors), len(batch), aws.ToString(e.Code), aws.ToString(e.Message))
		}
	}
	if err := s.verifyGone(ctx, key, versions); err != nil {
		return err
	}
	if !live {
		return twin.Errorf(twin.CodeSessionNotFound, "session not found")
	}
	return nil
}

// verifyGone lists key again and fails if any of the versions Delete removed is still there:
// a server that accepts the request and keeps the data must not look like a deletion. (A
// version a concurrent turn wrote since is not one of them.)
func (s *Store) verifyGone(ctx context.Context, key string, deleted []types.ObjectIdentifier) error {
	if len(deleted) == 0 {
		return nil
	}
	left, _, err := s.versions(ctx, key)
	if err != nil {
		return err
	}
	gone := make(map[string]bool, len(deleted))
	for _, v := range deleted {
		gone[aws.ToString(v.VersionId)] = true
	}
	for _, v := range left {
		if gone[aws.ToString(v.VersionId)] {
			return fmt.Errorf("s3store: delete s3://%s/%s: version %q is still stored after DeleteObjects", s.bucket, key, aws.ToString(v.VersionId))
		}
	}
	return nil
}

// versions lists every version and delete marker of exactly key, and whether its current
// version is an object (not a marker). An unversioned bucket lists its one object as version
// "null".
func (s *Store) versions(ctx context.Context, key string) (all []types.ObjectIdentifier, live bool, err error) {
	in := &s3.ListObjectVersionsInput{Bucket: &s.bucket, Prefix: &key}
	for {
		out, err := s.client.ListObjectVersions(ctx, in)
		if err != nil {
			return nil, false, fmt.Errorf("s3store: list versions of s3://%s/%s: %w", s.bucket, key, err)
		}
		for _, v := range out.Versions {
			if aws.ToString(v.Key) == key {
				all = append(all, types.ObjectIdentifier{Key: v.Key, VersionId: v.VersionId})
				live = live || aws.ToBool(v.IsLatest)
			}
		}
		for _, m := range out.DeleteMarkers {
			if aws.ToString(m.Key) == key {
				all = append(all, types.ObjectIdentifier{Key: m.Key, VersionId: m.VersionId})
			}
		}
		if !aws.ToBool(out.IsTruncated) {
			return all, live, nil
		}
		in.KeyMarker, in.VersionIdMarker = out.NextKeyMarker, out.NextVersionIdMarker
	}
}
