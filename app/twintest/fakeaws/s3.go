// Package fakeaws holds in-process fakes of the AWS services the twin uses, speaking their real
// wire protocols so tests run the real aws-sdk-go-v2 code paths (signing, retries, errors): S3
// (gofakes3 with a request counter, scripted faults and an optional fault-injecting front, and
// versitygw for a real gateway) and Secrets Manager (a secret that rotates, is refused or is down).
package fakeaws

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
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

// Fault answers one request instead of the fake; it returns false to let the request through.
type Fault func(w http.ResponseWriter, r *http.Request) bool

// forwarder is set on a request's context so a Fault can pass it to the fake first.
type forwardKey struct{}

// AfterForward returns a fault that lets a request with method reach the fake (so its effect
// happens) and then answers with then instead of the fake's response — e.g. a connection cut
// after the write took effect.
func AfterForward(method string, then func(w http.ResponseWriter)) Fault {
	return func(w http.ResponseWriter, r *http.Request) bool {
		if method != "" && r.Method != method {
			return false
		}
		forward := r.Context().Value(forwardKey{}).(http.Handler)
		forward.ServeHTTP(discardWriter{h: http.Header{}}, r)
		then(w)
		return true
	}
}

type discardWriter struct{ h http.Header }

func (d discardWriter) Header() http.Header         { return d.h }
func (d discardWriter) Write(p []byte) (int, error) { return len(p), nil }
func (d discardWriter) WriteHeader(int)             {}

// S3 is an in-process S3.
type S3 struct {
	*httptest.Server
	Backend *s3mem.Backend

	mu     sync.Mutex
	counts map[string]int // by method
	faults []Fault
}

// NewS3 starts a fake S3 with the given buckets; it stops when t ends.
func NewS3(t testing.TB, buckets ...string) *S3 {
	t.Helper()
	s, err := StartS3(nil, buckets...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	return s
}

// StartS3 starts a fake S3 with the given buckets, behind front when it is not nil (a fault
// injector such as faults.NewS3 wrapping the fake); Close stops it.
func StartS3(front func(http.Handler) http.Handler, buckets ...string) (*S3, error) {
	backend := s3mem.New()
	for _, b := range buckets {
		if err := backend.CreateBucket(b); err != nil {
			return nil, fmt.Errorf("create bucket %s: %w", b, err)
		}
	}
	faker := gofakes3.New(backend, gofakes3.WithTimeSkewLimit(0)).Server()
	s := &S3{Backend: backend, counts: map[string]int{}}
	var h http.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		s.counts[r.Method]++
		var fault Fault
		if len(s.faults) > 0 {
			fault, s.faults = s.faults[0], s.faults[1:]
		}
		s.mu.Unlock()
		if fault != nil && s.apply(fault, w, r.WithContext(context.WithValue(r.Context(), forwardKey{}, faker))) {
			return
		}
		faker.ServeHTTP(w, r)
	})
	if front != nil {
		h = front(h)
	}
	s.Server = httptest.NewServer(h)
	return s, nil
}

// apply runs fault, already taken off the queue (so requests the fault itself makes pass
// through), and puts it back when it let the request through.
func (s *S3) apply(fault Fault, w http.ResponseWriter, r *http.Request) (answered bool) {
	answered = true // a panic (http.ErrAbortHandler) answers too
	defer func() {
		if !answered {
			s.mu.Lock()
			s.faults = append([]Fault{fault}, s.faults...)
			s.mu.Unlock()
		}
	}()
	answered = fault(w, r)
	return answered
}

// Count returns how many requests with method reached the server (faulted ones included).
func (s *S3) Count(method string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.counts[method]
}

// ResetCounts zeroes the request counters.
func (s *S3) ResetCounts() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.counts = map[string]int{}
}

// Inject queues faults; each one is consumed by the first request it answers.
func (s *S3) Inject(faults ...Fault) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = append(s.faults, faults...)
}

// Clear drops the faults still queued.
func (s *S3) Clear() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = nil
}

// Pending returns how many injected faults are still queued.
func (s *S3) Pending() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.faults)
}

// Error returns a fault answering requests with method (any when "") with an S3 XML error.
func Error(method string, status int, code string) Fault {
	return func(w http.ResponseWriter, r *http.Request) bool {
		if method != "" && r.Method != method {
			return false
		}
		w.Header().Set("Content-Type", "application/xml")
		w.WriteHeader(status)
		fmt.Fprintf(w, `<?xml version="1.0" encoding="UTF-8"?><Error><Code>%s</Code><Message>injected</Message><RequestId>fake</RequestId></Error>`, code)
		return true
	}
}

// DropBefore returns a fault cutting the connection of a request with method (any when "")
// before it reaches the fake: the request has no effect.
func DropBefore(method string) Fault {
	return func(w http.ResponseWriter, r *http.Request) bool {
		if method != "" && r.Method != method {
			return false
		}
		panic(http.ErrAbortHandler)
	}
}

// DropAfter returns a fault letting a request with method reach the fake and then cutting the
// connection: the request took effect, the client cannot know.
func DropAfter(method string) Fault {
	return AfterForward(method, func(http.ResponseWriter) { panic(http.ErrAbortHandler) })
}

// SlowDown is the 503 S3 sends when throttling.
func SlowDown(method string) Fault { return Error(method, http.StatusServiceUnavailable, "SlowDown") }

// Times repeats f n times.
func Times(n int, f Fault) []Fault {
	out := make([]Fault, n)
	for i := range out {
		out[i] = f
	}
	return out
}

// Config returns an aws.Config for the fakes: static credentials, us-east-1, and the twin's
// retryer with millisecond backoffs so fault tests run fast.
func Config(t testing.TB) aws.Config {
	t.Helper()
	cfg, err := LoadConfig(context.Background(), time.Millisecond, 5*time.Millisecond)
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

// LoadConfig returns an aws.Config for the fakes with the twin's retryer (app/awsclient: bounded
// attempts, full-jitter backoff) scaled to baseDelay and maxBackoff, and room for many connections.
func LoadConfig(ctx context.Context, baseDelay, maxBackoff time.Duration) (aws.Config, error) {
	return awsclient.Load(ctx, awsclient.Options{
		BaseDelay:  baseDelay,
		MaxBackoff: maxBackoff,
		LoadOptions: []func(*config.LoadOptions) error{
			config.WithRegion("us-east-1"),
			config.WithCredentialsProvider(credentials.NewStaticCredentialsProvider("AKIDFAKE", "fake-secret", "")),
			config.WithHTTPClient(awshttp.NewBuildableClient().WithTransportOptions(func(tr *http.Transport) {
				tr.MaxIdleConnsPerHost = 256
			})),
		},
	})
}

// Client returns a real S3 client for endpoint (path-style, as S3-compatible servers need).
func Client(cfg aws.Config, endpoint string) *s3.Client {
	return s3.NewFromConfig(cfg, func(o *s3.Options) {
		o.BaseEndpoint = aws.String(endpoint)
		o.UsePathStyle = true
	})
}

// Client returns a real S3 client for this server.
func (s *S3) Client(t testing.TB) *s3.Client {
	t.Helper()
	return Client(Config(t), s.URL)
}
