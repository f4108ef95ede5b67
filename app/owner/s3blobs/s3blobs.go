// Package s3blobs keeps owner records (leads/, questions/, feedback/, owner/) in the memory bucket.
package s3blobs

import (
	"bytes"
	"context"
	"fmt"
	"io"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/digitaltwin/twin/app/awsclient"
	"github.com/digitaltwin/twin/app/owner"
)

// Blobs is an owner.Blobs over one bucket.
type Blobs struct {
	client *s3.Client
	bucket string
}

var _ owner.Blobs = (*Blobs)(nil)

// New returns records stored in bucket.
func New(client *s3.Client, bucket string) *Blobs { return &Blobs{client: client, bucket: bucket} }

// Put writes key unconditionally.
func (b *Blobs) Put(ctx context.Context, key string, data []byte) error {
	return b.put(ctx, &s3.PutObjectInput{Key: aws.String(key)}, data)
}

// PutIf writes key only if its ETag is still version (If-Match), or, with version "", only if
// it does not exist (If-None-Match: *). A 412 or 409 answer is ErrConflict.
func (b *Blobs) PutIf(ctx context.Context, key string, data []byte, version string) error {
	in := &s3.PutObjectInput{Key: aws.String(key)}
	if version == "" {
		in.IfNoneMatch = aws.String("*")
	} else {
		in.IfMatch = aws.String(version)
	}
	return b.put(ctx, in, data)
}

func (b *Blobs) put(ctx context.Context, in *s3.PutObjectInput, data []byte) error {
	in.Bucket, in.Body, in.ContentType = aws.String(b.bucket), bytes.NewReader(data), aws.String("application/json")
	if _, err := b.client.PutObject(ctx, in); err != nil {
		if awsclient.IsS3Conflict(err) {
			return fmt.Errorf("put s3://%s/%s: %w", b.bucket, aws.ToString(in.Key), owner.ErrConflict)
		}
		return fmt.Errorf("put s3://%s/%s: %w", b.bucket, aws.ToString(in.Key), err)
	}
	return nil
}

// maxObject bounds what Get reads (the index is tens of KiB; records are far smaller).
const maxObject = 4 << 20

// Get reads key and its ETag.
func (b *Blobs) Get(ctx context.Context, key string) ([]byte, string, error) {
	out, err := b.client.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(b.bucket), Key: aws.String(key)})
	if err != nil {
		if awsclient.IsS3NotFound(err) {
			return nil, "", fmt.Errorf("%s: %w", key, owner.ErrNoBlob)
		}
		return nil, "", fmt.Errorf("get s3://%s/%s: %w", b.bucket, key, err)
	}
	defer out.Body.Close()
	data, err := io.ReadAll(io.LimitReader(out.Body, maxObject))
	if err != nil {
		return nil, "", fmt.Errorf("read s3://%s/%s: %w", b.bucket, key, err)
	}
	return data, aws.ToString(out.ETag), nil
}

// List returns every key under prefix.
func (b *Blobs) List(ctx context.Context, prefix string) ([]string, error) {
	var keys []string
	p := s3.NewListObjectsV2Paginator(b.client, &s3.ListObjectsV2Input{Bucket: aws.String(b.bucket), Prefix: aws.String(prefix)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("list s3://%s/%s: %w", b.bucket, prefix, err)
		}
		for _, o := range page.Contents {
			keys = append(keys, aws.ToString(o.Key))
		}
	}
	return keys, nil
}
