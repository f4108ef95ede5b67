package telemetry

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"go.opentelemetry.io/otel/propagation"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
)

func envOf(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

// TestResourceServiceName: OTEL_SERVICE_NAME beats OTEL_RESOURCE_ATTRIBUTES, which beats the
// default; OTEL_RESOURCE_ATTRIBUTES beats what the twin detects itself.
func TestResourceServiceName(t *testing.T) {
	for _, c := range []struct {
		env  map[string]string
		want map[string]string
	}{
		{nil, map[string]string{"service.name": DefaultServiceName, "service.version": "v9"}},
		{map[string]string{"OTEL_RESOURCE_ATTRIBUTES": "service.name=x"}, map[string]string{"service.name": "x"}},
		{map[string]string{"OTEL_RESOURCE_ATTRIBUTES": "service.name=x", "OTEL_SERVICE_NAME": "y"}, map[string]string{"service.name": "y"}},
		{map[string]string{"OTEL_SERVICE_NAME": "y"}, map[string]string{"service.name": "y"}},
		{map[string]string{"ENVIRONMENT": "staging", "OTEL_RESOURCE_ATTRIBUTES": "deployment.environment.name=blue,team=a%20b"},
			map[string]string{"deployment.environment.name": "blue", "team": "a b"}},
	} {
		got := map[string]string{}
		for _, kv := range resourceFrom(envOf(c.env), "v9").Attributes() {
			got[string(kv.Key)] = kv.Value.String()
		}
		for k, v := range c.want {
			if got[k] != v {
				t.Errorf("%v: %s = %q, want %q", c.env, k, got[k], v)
			}
		}
	}
}

// TestOTLPSignalSpecificWins: for each OTLP setting the traces-specific variable replaces the
// generic one.
func TestOTLPSignalSpecificWins(t *testing.T) {
	both := envOf(map[string]string{
		"OTEL_EXPORTER_OTLP_HEADERS": "a=generic,b=generic", "OTEL_EXPORTER_OTLP_TRACES_HEADERS": "a=traces",
		"OTEL_EXPORTER_OTLP_TIMEOUT": "1000", "OTEL_EXPORTER_OTLP_TRACES_TIMEOUT": "2500",
	})
	if h := exportHeaders(both); h["a"] != "traces" || h["b"] != "" {
		t.Errorf("headers = %v, want only the traces-specific ones", h)
	}
	if d, err := exportTimeout(both); err != nil || d != 2500*time.Millisecond {
		t.Errorf("timeout = %v, %v; want 2.5s", d, err)
	}
	generic := envOf(map[string]string{"OTEL_EXPORTER_OTLP_HEADERS": "a=generic", "OTEL_EXPORTER_OTLP_TIMEOUT": "1000"})
	if h := exportHeaders(generic); h["a"] != "generic" {
		t.Errorf("headers = %v", h)
	}
	if d, _ := exportTimeout(generic); d != time.Second {
		t.Errorf("timeout = %v, want 1s", d)
	}
	if d, _ := exportTimeout(envOf(nil)); d != 10*time.Second {
		t.Errorf("default timeout = %v, want 10s", d)
	}
}

// TestBatchOptions: OTEL_BSP_* reach the batch span processor (no fixed batch timeout overrides
// them).
func TestBatchOptions(t *testing.T) {
	opts, err := batchOptions(envOf(map[string]string{
		"OTEL_BSP_SCHEDULE_DELAY": "250", "OTEL_BSP_EXPORT_TIMEOUT": "4000",
		"OTEL_BSP_MAX_QUEUE_SIZE": "64", "OTEL_BSP_MAX_EXPORT_BATCH_SIZE": "8",
	}))
	if err != nil {
		t.Fatal(err)
	}
	var o sdktrace.BatchSpanProcessorOptions
	for _, opt := range opts {
		opt(&o)
	}
	if o.BatchTimeout != 250*time.Millisecond || o.ExportTimeout != 4*time.Second || o.MaxQueueSize != 64 || o.MaxExportBatchSize != 8 {
		t.Errorf("batch options %+v", o)
	}
	if opts, _ := batchOptions(envOf(nil)); len(opts) != 0 {
		t.Errorf("unset OTEL_BSP_* gave %d options, want the SDK's defaults", len(opts))
	}
}

// TestPropagators: OTEL_PROPAGATORS chooses the propagators; none disables them.
func TestPropagators(t *testing.T) {
	for v, want := range map[string][]string{
		"":                      {"traceparent", "tracestate", "baggage", "X-Amzn-Trace-Id"},
		"tracecontext":          {"traceparent", "tracestate"},
		"xray":                  {"X-Amzn-Trace-Id"},
		"baggage, tracecontext": {"baggage", "traceparent", "tracestate"},
		"none":                  nil,
	} {
		p, err := propagatorFrom(envOf(map[string]string{"OTEL_PROPAGATORS": v}))
		if err != nil {
			t.Fatalf("%q: %v", v, err)
		}
		got := p.Fields()
		slices.Sort(got)
		slices.Sort(want)
		if !slices.Equal(got, want) {
			t.Errorf("OTEL_PROPAGATORS=%q fields %v, want %v", v, got, want)
		}
	}
	var _ propagation.TextMapPropagator = Propagator()
}

// TestCertificates: a CA bundle and a client pair build a TLS transport; half a pair or a file
// that is not PEM is an error naming the variable.
func TestCertificates(t *testing.T) {
	dir := t.TempDir()
	certPEM, keyPEM := selfSigned(t)
	ca, crt, key, junk := filepath.Join(dir, "ca.pem"), filepath.Join(dir, "c.pem"), filepath.Join(dir, "k.pem"), filepath.Join(dir, "junk")
	for p, b := range map[string][]byte{ca: certPEM, crt: certPEM, key: keyPEM, junk: []byte("nope")} {
		if err := os.WriteFile(p, b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	rt, err := tlsTransport(envOf(map[string]string{
		"OTEL_EXPORTER_OTLP_TRACES_CERTIFICATE": ca, "OTEL_EXPORTER_OTLP_CLIENT_CERTIFICATE": crt, "OTEL_EXPORTER_OTLP_CLIENT_KEY": key,
	}))
	if err != nil {
		t.Fatal(err)
	}
	cfg := rt.(*http.Transport).TLSClientConfig
	if cfg.RootCAs == nil || len(cfg.Certificates) != 1 || cfg.MinVersion != tls.VersionTLS12 {
		t.Errorf("tls config %+v", cfg)
	}
	if rt, err := tlsTransport(envOf(nil)); rt != nil || err != nil {
		t.Errorf("no certificate variables: %v, %v; want nil, nil", rt, err)
	}
	for name, env := range map[string]map[string]string{
		"OTEL_EXPORTER_OTLP_CERTIFICATE":        {"OTEL_EXPORTER_OTLP_CERTIFICATE": junk},
		"OTEL_EXPORTER_OTLP_TRACES_CERTIFICATE": {"OTEL_EXPORTER_OTLP_TRACES_CERTIFICATE": filepath.Join(dir, "missing")},
		"OTEL_EXPORTER_OTLP_CLIENT_KEY":         {"OTEL_EXPORTER_OTLP_CLIENT_CERTIFICATE": crt},
	} {
		if _, err := tlsTransport(envOf(env)); err == nil || !strings.Contains(err.Error(), name) {
			t.Errorf("%v: err = %v, want one naming %s", env, err, name)
		}
	}
}

// TestOTELEnvErrors: a malformed value fails set-up with an error naming the variable.
func TestOTELEnvErrors(t *testing.T) {
	for name, env := range map[string]map[string]string{
		"OTEL_PROPAGATORS":                  {"OTEL_PROPAGATORS": "tracecontext,b3"},
		"OTEL_BSP_SCHEDULE_DELAY":           {"OTEL_TRACES_EXPORTER": "console", "OTEL_BSP_SCHEDULE_DELAY": "1s"},
		"OTEL_BSP_MAX_QUEUE_SIZE":           {"OTEL_TRACES_EXPORTER": "console", "OTEL_BSP_MAX_QUEUE_SIZE": "0"},
		"OTEL_EXPORTER_OTLP_TRACES_TIMEOUT": {"OTEL_TRACES_EXPORTER": "otlp", "OTEL_EXPORTER_OTLP_TRACES_TIMEOUT": "-5"},
	} {
		if _, err := setupTracing(context.Background(), envOf(env), "t", nil); err == nil || !strings.Contains(err.Error(), name) {
			t.Errorf("%v: err = %v, want one naming %s", env, err, name)
		}
	}
}

// selfSigned returns a throwaway certificate and its key, PEM-encoded.
func selfSigned(t *testing.T) (certPEM, keyPEM []byte) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "collector"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour), IsCA: true, BasicConstraintsValid: true}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	kb, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kb})
}
