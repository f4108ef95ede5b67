package faults

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"

	"github.com/digitaltwin/twin/app/awsclient"
)

// FakeS3 is an in-process S3 (gofakes3, which honours If-Match / If-None-Match) on a loopback
// port, behind the fault injector.
type FakeS3 struct {
	*httptest.Server
	Faults *S3
}

// NewFakeS3 starts a fake S3 holding the given (empty) buckets, faulted as cfg says.
func NewFakeS3(cfg S3Config, buckets ...string) (*FakeS3, error) {
	backend := s3mem.New()
	for _, b := range buckets {
		if err := backend.CreateBucket(b); err != nil {
			return nil, fmt.Errorf("create bucket %s: %w", b, err)
		}
	}
	f := NewS3(gofakes3.New(backend, gofakes3.WithTimeSkewLimit(0)).Server(), cfg)
	return &FakeS3{Server: httptest.NewServer(f), Faults: f}, nil
}

// Client returns a real S3 client for the fake with the twin's retryer (app/awsclient: bounded
// attempts, full-jitter backoff), its delays scaled down by the given base delay.
func (f *FakeS3) Client(ctx context.Context, baseDelay time.Duration) (*s3.Client, error) {
	cfg, err := awsclient.Load(ctx, awsclient.Options{
		BaseDelay:  baseDelay,
		MaxBackoff: 20 * baseDelay,
		LoadOptions: []func(*config.LoadOptions) error{
			config.WithRegion("us-east-1"),
			config.WithCredentialsProvider(credentials.NewStaticCredentialsProvider("AKIDFAKE", "fake-secret", "")),
			config.WithHTTPClient(awshttp.NewBuildableClient().WithTransportOptions(func(tr *http.Transport) {
				tr.MaxIdleConnsPerHost = 256
			})),
		},
	})
	if err != nil {
		return nil, err
	}
	return s3.NewFromConfig(cfg, func(o *s3.Options) {
		o.BaseEndpoint = aws.String(f.URL)
		o.UsePathStyle = true
	}), nil
}
