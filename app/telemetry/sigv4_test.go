package telemetry

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/trace/noop"
)

var authRe = regexp.MustCompile(`^AWS4-HMAC-SHA256 Credential=AKIDTEST/(\d{8})/([a-z0-9-]+)/xray/aws4_request, SignedHeaders=([a-z0-9;-]+), Signature=([0-9a-f]{64})$`)

// sigv4Receiver checks each request is signed for xray: the Authorization header's shape, the
// date, and that re-signing the received request with the same key gives the same signature.
func sigv4Receiver(t *testing.T, region string, got chan<- []byte) *httptest.Server {
	t.Helper()
	return httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		m := authRe.FindStringSubmatch(r.Header.Get("Authorization"))
		if m == nil {
			t.Errorf("Authorization = %q", r.Header.Get("Authorization"))
			http.Error(w, "unsigned", http.StatusForbidden)
			return
		}
		if m[2] != region || !strings.Contains(m[3], "host") || !strings.Contains(m[3], "x-amz-date") {
			t.Errorf("region %q signed headers %q", m[2], m[3])
		}
		if r.Header.Get("X-Amz-Security-Token") != "SESSION" {
			t.Error("session token missing")
		}
		date, err := time.Parse("20060102T150405Z", r.Header.Get("X-Amz-Date"))
		if err != nil || date.Format("20060102") != m[1] {
			t.Errorf("X-Amz-Date %q vs credential date %s", r.Header.Get("X-Amz-Date"), m[1])
		}
		// Verify: sign the same request again as AWS would and compare.
		check, _ := http.NewRequest(r.Method, "http://"+r.Host+r.URL.RequestURI(), bytes.NewReader(body))
		for _, h := range strings.Split(m[3], ";") {
			if h != "host" {
				check.Header.Set(h, r.Header.Get(h))
			}
		}
		sum := sha256.Sum256(body)
		creds := aws.Credentials{AccessKeyID: "AKIDTEST", SecretAccessKey: "SECRET", SessionToken: "SESSION"}
		if err := v4.NewSigner().SignHTTP(context.Background(), creds, check, hex.EncodeToString(sum[:]), "xray", region, date); err != nil {
			t.Fatal(err)
		}
		if want := authRe.FindStringSubmatch(check.Header.Get("Authorization")); want == nil || want[4] != m[4] {
			t.Errorf("signature does not verify: got %s", m[4])
		}
		got <- body
	}))
}

func TestSigV4Transport(t *testing.T) {
	got := make(chan []byte, 1)
	srv := sigv4Receiver(t, "eu-west-1", got)
	defer srv.Close()
	rt := &SigV4Transport{
		Credentials: credentials.NewStaticCredentialsProvider("AKIDTEST", "SECRET", "SESSION"),
		Service:     "xray", Region: "eu-west-1",
	}
	body := []byte("payload bytes")
	req, _ := http.NewRequest("POST", srv.URL+"/v1/traces", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/x-protobuf")
	resp, err := (&http.Client{Transport: rt}).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("status %d", resp.StatusCode)
	}
	if b := <-got; !bytes.Equal(b, body) {
		t.Errorf("body %q, want %q", b, body)
	}
}

// redirect sends every request to srv, keeping the Host the request was signed for.
type redirect struct{ srv *url.URL }

func (r redirect) RoundTrip(req *http.Request) (*http.Response, error) {
	out := req.Clone(req.Context())
	out.Host = req.URL.Host
	out.URL.Scheme, out.URL.Host = r.srv.Scheme, r.srv.Host
	return http.DefaultTransport.RoundTrip(out)
}

// TestXRayOTLPIsSigned: with the X-Ray OTLP endpoint, the exporter's requests are SigV4-signed
// with credentials from the default chain (here the environment).
func TestXRayOTLPIsSigned(t *testing.T) {
	t.Setenv("AWS_ACCESS_KEY_ID", "AKIDTEST")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "SECRET")
	t.Setenv("AWS_SESSION_TOKEN", "SESSION")
	t.Setenv("AWS_CONFIG_FILE", "/nonexistent")
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent")
	got := make(chan []byte, 4)
	srv := sigv4Receiver(t, "us-west-2", got)
	defer srv.Close()
	u, _ := url.Parse(srv.URL)
	xrayBaseTransport = redirect{u}
	defer func() { xrayBaseTransport = nil }()

	shutdown, err := SetupTracing(context.Background(), func(k string) string {
		return map[string]string{"OTEL_TRACES_EXPORTER": "otlp",
			"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": "https://xray.us-west-2.amazonaws.com/v1/traces"}[k]
	}, "t")
	if err != nil {
		t.Fatal(err)
	}
	defer otel.SetTracerProvider(noop.NewTracerProvider())
	_, span := otel.Tracer(TracerName).Start(context.Background(), "persona.load")
	span.End()
	if err := shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	select {
	case b := <-got:
		if len(b) == 0 {
			t.Error("empty export")
		}
	default:
		t.Fatal("nothing reached the X-Ray endpoint")
	}
}

func TestXRayEndpointRegion(t *testing.T) {
	for host, want := range map[string]string{
		"xray.us-east-1.amazonaws.com": "us-east-1", "xray.eu-west-3.amazonaws.com:443": "eu-west-3",
		"xray-fips.us-gov-west-1.amazonaws.com": "us-gov-west-1", "xray.cn-north-1.amazonaws.com.cn": "cn-north-1",
		"xray-fips.us-east-2.amazonaws.com": "us-east-2", "xray.us-iso-east-1.c2s.ic.gov": "us-iso-east-1",
		"xray.us-isob-east-1.sc2s.sgov.gov": "us-isob-east-1", "xray.eu-west-1.api.aws": "eu-west-1",
		"localhost:4318": "", "xray.amazonaws.com": "", "collector.xray.us-east-1.amazonaws.com": "", "xray.a.b.amazonaws.com": "",
		"xray.us-east-1.amazonaws.com.evil.example": "", "xray.us-east-1.example.com": "",
	} {
		got, ok := XRayEndpointRegion(host)
		if got != want || ok != (want != "") {
			t.Errorf("XRayEndpointRegion(%q) = %q, %v", host, got, ok)
		}
	}
}

func TestConsoleExporter(t *testing.T) {
	var buf bytes.Buffer
	shutdown, err := setupTracing(context.Background(), func(k string) string {
		return map[string]string{"OTEL_TRACES_EXPORTER": "console"}[k]
	}, "t", &buf)
	if err != nil {
		t.Fatal(err)
	}
	defer otel.SetTracerProvider(noop.NewTracerProvider())
	_, span := otel.Tracer(TracerName).Start(context.Background(), "llm.stream")
	span.End()
	if err := shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(buf.String(), `"Name": "llm.stream"`) {
		t.Errorf("console output: %s", buf.String())
	}
}
