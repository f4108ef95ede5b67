package telemetry

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"net/http"
	"os"
	"regexp"
	"strconv"
	"strings"
	"time"

	"go.opentelemetry.io/contrib/propagators/aws/xray"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
)

// This file reads the OpenTelemetry SDK's environment variables the way the specification
// says (https://opentelemetry.io/docs/specs/otel/configuration/sdk-environment-variables/):
// a signal-specific variable (OTEL_EXPORTER_OTLP_TRACES_*) replaces its generic form, and
// OTEL_SERVICE_NAME beats a service.name in OTEL_RESOURCE_ATTRIBUTES. One deviation, on
// purpose: a malformed value fails start-up with an error naming the variable (the project's
// rule for all configuration) instead of being ignored with a warning.

// otlpVar returns OTEL_EXPORTER_OTLP_TRACES_<name> when set, else OTEL_EXPORTER_OTLP_<name>, and
// the name of the variable it came from.
func otlpVar(getenv func(string) string, name string) (value, from string) {
	for _, k := range []string{"OTEL_EXPORTER_OTLP_TRACES_" + name, "OTEL_EXPORTER_OTLP_" + name} {
		if v := strings.TrimSpace(getenv(k)); v != "" {
			return v, k
		}
	}
	return "", ""
}

// envMillis reads a duration in milliseconds (the specification's unit for every OTEL_* timeout).
func envMillis(from, v string, def time.Duration) (time.Duration, error) {
	if v == "" {
		return def, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 0 {
		return 0, fmt.Errorf("%s: %q is not a whole number of milliseconds", from, v)
	}
	return time.Duration(n) * time.Millisecond, nil
}

// exportTimeout is OTEL_EXPORTER_OTLP_(TRACES_)TIMEOUT, default 10 s.
func exportTimeout(getenv func(string) string) (time.Duration, error) {
	v, from := otlpVar(getenv, "TIMEOUT")
	return envMillis(from, v, 10*time.Second)
}

// exportHeaders is OTEL_EXPORTER_OTLP_(TRACES_)HEADERS.
func exportHeaders(getenv func(string) string) map[string]string {
	v, _ := otlpVar(getenv, "HEADERS")
	if v == "" {
		return nil
	}
	return parseKV(v)
}

// batchOptions reads OTEL_BSP_* (the SDK's defaults when unset: 5 s delay, 30 s export timeout,
// a queue of 2048 and batches of 512).
func batchOptions(getenv func(string) string) ([]sdktrace.BatchSpanProcessorOption, error) {
	var opts []sdktrace.BatchSpanProcessorOption
	for _, d := range []struct {
		name string
		opt  func(time.Duration) sdktrace.BatchSpanProcessorOption
	}{
		{"OTEL_BSP_SCHEDULE_DELAY", sdktrace.WithBatchTimeout},
		{"OTEL_BSP_EXPORT_TIMEOUT", sdktrace.WithExportTimeout},
	} {
		if v := strings.TrimSpace(getenv(d.name)); v != "" {
			t, err := envMillis(d.name, v, 0)
			if err != nil {
				return nil, err
			}
			opts = append(opts, d.opt(t))
		}
	}
	for _, n := range []struct {
		name string
		opt  func(int) sdktrace.BatchSpanProcessorOption
	}{
		{"OTEL_BSP_MAX_QUEUE_SIZE", sdktrace.WithMaxQueueSize},
		{"OTEL_BSP_MAX_EXPORT_BATCH_SIZE", sdktrace.WithMaxExportBatchSize},
	} {
		if v := strings.TrimSpace(getenv(n.name)); v != "" {
			i, err := strconv.Atoi(v)
			if err != nil || i <= 0 {
				return nil, fmt.Errorf("%s: %q is not a positive whole number", n.name, v)
			}
			opts = append(opts, n.opt(i))
		}
	}
	return opts, nil
}

// tlsTransport returns a transport for the OTLP endpoint when OTEL_EXPORTER_OTLP_(TRACES_)
// CERTIFICATE (a CA bundle to trust) or CLIENT_CERTIFICATE + CLIENT_KEY (mutual TLS) are set, and
// nil when none is.
func tlsTransport(getenv func(string) string) (http.RoundTripper, error) {
	ca, caFrom := otlpVar(getenv, "CERTIFICATE")
	cert, certFrom := otlpVar(getenv, "CLIENT_CERTIFICATE")
	key, keyFrom := otlpVar(getenv, "CLIENT_KEY")
	if ca == "" && cert == "" && key == "" {
		return nil, nil
	}
	cfg := &tls.Config{MinVersion: tls.VersionTLS12}
	if ca != "" {
		pem, err := os.ReadFile(ca)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", caFrom, err)
		}
		cfg.RootCAs = x509.NewCertPool()
		if !cfg.RootCAs.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("%s: %s holds no PEM certificate", caFrom, ca)
		}
	}
	if cert != "" || key != "" {
		if cert == "" || key == "" {
			return nil, fmt.Errorf("OTEL_EXPORTER_OTLP_CLIENT_CERTIFICATE and OTEL_EXPORTER_OTLP_CLIENT_KEY go together (got only %s)", certFrom+keyFrom)
		}
		pair, err := tls.LoadX509KeyPair(cert, key)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", certFrom, err)
		}
		cfg.Certificates = []tls.Certificate{pair}
	}
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.TLSClientConfig = cfg
	return t, nil
}

// propagatorFrom is OTEL_PROPAGATORS: a comma list of tracecontext, baggage, xray and none;
// unset means tracecontext,baggage,xray (Propagator).
func propagatorFrom(getenv func(string) string) (propagation.TextMapPropagator, error) {
	v := strings.TrimSpace(getenv("OTEL_PROPAGATORS"))
	if v == "" {
		return Propagator(), nil
	}
	var ps []propagation.TextMapPropagator
	for _, name := range strings.Split(v, ",") {
		switch name = strings.ToLower(strings.TrimSpace(name)); name {
		case "tracecontext":
			ps = append(ps, propagation.TraceContext{})
		case "baggage":
			ps = append(ps, propagation.Baggage{})
		case "xray":
			ps = append(ps, xray.Propagator{})
		case "none":
			return propagation.NewCompositeTextMapPropagator(), nil
		default:
			return nil, fmt.Errorf("OTEL_PROPAGATORS: %q is not supported (want tracecontext, baggage, xray or none)", name)
		}
	}
	return propagation.NewCompositeTextMapPropagator(ps...), nil
}

// resourceFrom describes this process: what the twin knows (version, environment, Lambda), then
// OTEL_RESOURCE_ATTRIBUTES over it, then OTEL_SERVICE_NAME over that; service.name falls back to
// DefaultServiceName only when neither variable names one.
func resourceFrom(getenv func(string) string, serviceVersion string) *resource.Resource {
	attrs := []attribute.KeyValue{
		attribute.String("service.name", DefaultServiceName),
		attribute.String("service.version", serviceVersion),
		attribute.String("telemetry.sdk.language", "go"),
		attribute.String("telemetry.sdk.name", "opentelemetry"),
	}
	if env := getenv("ENVIRONMENT"); env != "" {
		attrs = append(attrs, attribute.String("deployment.environment.name", env))
	}
	if fn := getenv("AWS_LAMBDA_FUNCTION_NAME"); fn != "" {
		attrs = append(attrs,
			attribute.String("cloud.provider", "aws"),
			attribute.String("cloud.platform", "aws_lambda"),
			attribute.String("cloud.region", getenv("AWS_REGION")),
			attribute.String("faas.name", fn),
			attribute.String("faas.version", getenv("AWS_LAMBDA_FUNCTION_VERSION")),
		)
	}
	for k, v := range parseKV(getenv("OTEL_RESOURCE_ATTRIBUTES")) {
		attrs = append(attrs, attribute.String(k, v))
	}
	if name := strings.TrimSpace(getenv("OTEL_SERVICE_NAME")); name != "" {
		attrs = append(attrs, attribute.String("service.name", name))
	}
	// A set keeps the last value of a repeated key: later sources win.
	return resource.NewWithAttributes("", attrs...)
}

// xrayHost matches X-Ray's endpoints in every AWS partition: xray.<region> or xray-fips.<region>
// under amazonaws.com (commercial, GovCloud), amazonaws.com.cn (China), api.aws (dual-stack),
// amazonaws.eu (European Sovereign Cloud), c2s.ic.gov, sc2s.sgov.gov, cloud.adc-e.uk and
// csp.hci.ic.gov (the isolated partitions).
var xrayHost = regexp.MustCompile(`^xray(?:-fips)?\.([a-z]{2}(?:-[a-z]+)+-[0-9]+)\.(?:amazonaws\.com|amazonaws\.com\.cn|api\.aws|amazonaws\.eu|c2s\.ic\.gov|sc2s\.sgov\.gov|cloud\.adc-e\.uk|csp\.hci\.ic\.gov)$`)

// XRayEndpointRegion reports whether host (with or without a port) is an X-Ray endpoint, whose
// OTLP requests must be signed with SigV4, and returns its region.
func XRayEndpointRegion(host string) (string, bool) {
	if h, _, ok := strings.Cut(host, ":"); ok {
		host = h
	}
	m := xrayHost.FindStringSubmatch(strings.ToLower(host))
	if m == nil {
		return "", false
	}
	return m[1], true
}
