package awsclient_test

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/digitaltwin/twin/app/awsclient"
	"github.com/digitaltwin/twin/app/telemetry"
	"github.com/digitaltwin/twin/app/twintest/fakeaws"
)

func TestBackoffIsBoundedFullJitter(t *testing.T) {
	b := awsclient.Backoff(100*time.Millisecond, 2*time.Second)
	for attempt := 1; attempt <= 40; attempt++ {
		ceil := min(100*time.Millisecond<<min(attempt-1, 20), 2*time.Second)
		for range 50 {
			d, err := b.BackoffDelay(attempt, nil)
			if err != nil || d < 0 || d > ceil {
				t.Fatalf("attempt %d: delay %v (err %v), want within [0, %v]", attempt, d, err, ceil)
			}
		}
	}
}

func TestRetriesAreCounted(t *testing.T) {
	srv := fakeaws.NewS3(t, "b")
	client := srv.Client(t)
	ctx := awsclient.WithRetryCounter(telemetry.WithRequest(context.Background(), "GET", "/x"))
	srv.Inject(fakeaws.Times(2, fakeaws.SlowDown(http.MethodPut))...)
	if _, err := client.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("b"), Key: aws.String("k")}); err != nil {
		t.Fatal(err)
	}
	if got := awsclient.Retries(ctx); got != 2 {
		t.Errorf("awsclient.Retries = %d, want 2", got)
	}
	if got := telemetry.Retries(ctx); got != 2 {
		t.Errorf("telemetry.Retries = %d, want 2", got)
	}
	if got := awsclient.Retries(context.Background()); got != 0 {
		t.Errorf("Retries without a counter = %d", got)
	}
}
