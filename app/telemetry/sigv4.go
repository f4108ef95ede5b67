package telemetry

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/config"
)

// SigV4Transport is an http.RoundTripper that signs every request with AWS Signature Version 4
// before sending it: how the OTLP exporter talks to X-Ray's OTLP endpoint with no collector.
type SigV4Transport struct {
	Base        http.RoundTripper // nil: http.DefaultTransport
	Credentials aws.CredentialsProvider
	Service     string // "xray"
	Region      string
	Signer      *v4.Signer
	Now         func() time.Time // nil: time.Now
}

// NewSigV4Transport returns a transport signing for service in region with the default AWS
// credential chain (environment, shared config, the Lambda role...), cached.
func NewSigV4Transport(ctx context.Context, base http.RoundTripper, service, region string) (*SigV4Transport, error) {
	cfg, err := config.LoadDefaultConfig(ctx, config.WithRegion(region))
	if err != nil {
		return nil, fmt.Errorf("load AWS config for SigV4 (%s): %w", service, err)
	}
	return &SigV4Transport{Base: base, Credentials: cfg.Credentials, Service: service, Region: region, Signer: v4.NewSigner()}, nil
}

// RoundTrip signs a copy of req and sends it.
func (t *SigV4Transport) RoundTrip(req *http.Request) (*http.Response, error) {
	var body []byte
	if req.Body != nil && req.Body != http.NoBody {
		var err error
		body, err = io.ReadAll(req.Body)
		_ = req.Body.Close()
		if err != nil {
			return nil, fmt.Errorf("sigv4: read body: %w", err)
		}
	}
	sum := sha256.Sum256(body)
	signed := req.Clone(req.Context())
	signed.Body = io.NopCloser(bytes.NewReader(body))
	signed.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(body)), nil }
	signed.ContentLength = int64(len(body))
	creds, err := t.Credentials.Retrieve(req.Context())
	if err != nil {
		return nil, fmt.Errorf("sigv4: credentials: %w", err)
	}
	now := time.Now
	if t.Now != nil {
		now = t.Now
	}
	signer := t.Signer
	if signer == nil {
		signer = v4.NewSigner()
	}
	if err := signer.SignHTTP(req.Context(), creds, signed, hex.EncodeToString(sum[:]), t.Service, t.Region, now().UTC()); err != nil {
		return nil, fmt.Errorf("sigv4: sign: %w", err)
	}
	base := t.Base
	if base == nil {
		base = http.DefaultTransport
	}
	return base.RoundTrip(signed)
}
