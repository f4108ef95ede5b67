package telemetry

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"sync/atomic"

	"go.opentelemetry.io/contrib/propagators/aws/xray"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/exporters/stdout/stdouttrace"
	"go.opentelemetry.io/otel/propagation"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
)

// TracerName is the instrumentation scope of the twin's own spans:
// otel.Tracer(telemetry.TracerName).
const TracerName = "github.com/digitaltwin/twin"

// DefaultServiceName is service.name when OTEL_SERVICE_NAME is unset.
const DefaultServiceName = "digital-twin"

// provider is the TracerProvider SetupTracing installed, for ForceFlush; nil when tracing is off.
var provider atomic.Pointer[sdktrace.TracerProvider]

// flushOnEnd makes TraceHTTP flush spans as each request ends (set on Lambda, where the
// execution environment may be frozen right after the response and never thawed).
var flushOnEnd atomic.Bool

// Propagator is the composite propagator the twin installs: W3C traceparent/tracestate and
// baggage, then X-Ray's X-Amzn-Trace-Id (the later one wins when both are present on a request).
func Propagator() propagation.TextMapPropagator {
	return propagation.NewCompositeTextMapPropagator(propagation.TraceContext{}, propagation.Baggage{}, xray.Propagator{})
}

// SetupTracing installs the global TracerProvider and propagator from the standard OTEL_*
// variables read through getenv, as the OpenTelemetry specification defines them (otelenv.go):
//
//   - OTEL_TRACES_EXPORTER: "none" (the default when no OTLP endpoint is set: no provider is
//     installed, spans are non-recording no-ops), "console" (pretty JSON on stdout), "otlp"
//     (OTLP/HTTP protobuf, the default when an endpoint is set), or a comma list of them.
//     OTEL_SDK_DISABLED=true turns everything off.
//   - OTEL_EXPORTER_OTLP_TRACES_ENDPOINT (used as is) or OTEL_EXPORTER_OTLP_ENDPOINT (+ /v1/traces),
//     default http://localhost:4318/v1/traces. HEADERS, COMPRESSION=gzip, TIMEOUT (ms),
//     CERTIFICATE, CLIENT_CERTIFICATE and CLIENT_KEY, each as OTEL_EXPORTER_OTLP_TRACES_<X>
//     (which wins) or OTEL_EXPORTER_OTLP_<X>. An X-Ray endpoint (xray.<region>.<partition>) is
//     signed with SigV4 (service xray) using the default AWS credential chain.
//   - OTEL_EXPORTER_OTLP_(TRACES_)PROTOCOL may only be http/protobuf.
//   - OTEL_SERVICE_NAME, OTEL_RESOURCE_ATTRIBUTES, OTEL_TRACES_SAMPLER (+ _ARG), OTEL_PROPAGATORS,
//     OTEL_BSP_SCHEDULE_DELAY, OTEL_BSP_EXPORT_TIMEOUT, OTEL_BSP_MAX_QUEUE_SIZE,
//     OTEL_BSP_MAX_EXPORT_BATCH_SIZE.
//
// Trace and span ids use X-Ray's format (epoch seconds in the first 4 bytes) so traces can be
// stored by X-Ray. The propagator is installed even when no exporter is: an incoming trace id
// still reaches the logs. The returned shutdown flushes and stops the exporter.
func SetupTracing(ctx context.Context, getenv func(string) string, serviceVersion string) (shutdown func(context.Context) error, err error) {
	return setupTracing(ctx, getenv, serviceVersion, os.Stdout)
}

func setupTracing(ctx context.Context, getenv func(string) string, serviceVersion string, console io.Writer) (func(context.Context) error, error) {
	noop := func(context.Context) error { return nil }
	prop, err := propagatorFrom(getenv)
	if err != nil {
		return noop, err
	}
	otel.SetTextMapPropagator(prop)
	if strings.EqualFold(getenv("OTEL_SDK_DISABLED"), "true") {
		return noop, nil
	}
	exporters, err := exporterNames(getenv)
	if err != nil {
		return noop, err
	}
	if len(exporters) == 0 {
		return noop, nil
	}
	sampler, err := samplerFrom(getenv)
	if err != nil {
		return noop, err
	}
	batch, err := batchOptions(getenv)
	if err != nil {
		return noop, err
	}
	opts := []sdktrace.TracerProviderOption{
		sdktrace.WithIDGenerator(xray.NewIDGenerator()),
		sdktrace.WithResource(resourceFrom(getenv, serviceVersion)),
		sdktrace.WithSampler(sampler),
	}
	for _, name := range exporters {
		var exp sdktrace.SpanExporter
		switch name {
		case "console":
			exp, err = stdouttrace.New(stdouttrace.WithWriter(console), stdouttrace.WithPrettyPrint())
		case "otlp":
			exp, err = otlpExporter(ctx, getenv)
		}
		if err != nil {
			return noop, err
		}
		opts = append(opts, sdktrace.WithBatcher(exp, batch...))
	}
	tp := sdktrace.NewTracerProvider(opts...)
	otel.SetTracerProvider(tp)
	provider.Store(tp)
	flushOnEnd.Store(getenv("AWS_LAMBDA_FUNCTION_NAME") != "")
	return func(ctx context.Context) error {
		provider.CompareAndSwap(tp, nil)
		return tp.Shutdown(ctx)
	}, nil
}

// ForceFlush exports every ended span now. Call it before a Lambda invocation ends (TraceHTTP
// does when SetupTracing ran inside Lambda). It is a no-op when tracing is off.
func ForceFlush(ctx context.Context) error {
	if tp := provider.Load(); tp != nil {
		return tp.ForceFlush(ctx)
	}
	return nil
}

func exporterNames(getenv func(string) string) ([]string, error) {
	v := strings.TrimSpace(getenv("OTEL_TRACES_EXPORTER"))
	if v == "" {
		if getenv("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT") != "" || getenv("OTEL_EXPORTER_OTLP_ENDPOINT") != "" {
			return []string{"otlp"}, nil
		}
		return nil, nil
	}
	var names []string
	for _, n := range strings.Split(v, ",") {
		switch n = strings.ToLower(strings.TrimSpace(n)); n {
		case "none":
			return nil, nil
		case "console", "otlp":
			names = append(names, n)
		default:
			return nil, fmt.Errorf("OTEL_TRACES_EXPORTER: unknown exporter %q (want otlp, console or none)", n)
		}
	}
	return names, nil
}

// TracesEndpoint returns the OTLP/HTTP traces URL the OTEL_* variables select.
func TracesEndpoint(getenv func(string) string) string {
	if v := getenv("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"); v != "" {
		return v
	}
	if v := getenv("OTEL_EXPORTER_OTLP_ENDPOINT"); v != "" {
		return strings.TrimSuffix(v, "/") + "/v1/traces"
	}
	return "http://localhost:4318/v1/traces"
}

func otlpExporter(ctx context.Context, getenv func(string) string) (sdktrace.SpanExporter, error) {
	for _, k := range []string{"OTEL_EXPORTER_OTLP_TRACES_PROTOCOL", "OTEL_EXPORTER_OTLP_PROTOCOL"} {
		if v := getenv(k); v != "" && v != "http/protobuf" {
			return nil, fmt.Errorf("%s: %q is not supported (only http/protobuf)", k, v)
		}
	}
	endpoint := TracesEndpoint(getenv)
	u, err := url.Parse(endpoint)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("OTEL_EXPORTER_OTLP_ENDPOINT: %q is not an http(s) URL", endpoint)
	}
	timeout, err := exportTimeout(getenv)
	if err != nil {
		return nil, err
	}
	base, err := tlsTransport(getenv)
	if err != nil {
		return nil, err
	}
	c := &otlpHTTPClient{endpoint: endpoint, headers: exportHeaders(getenv), client: &http.Client{Timeout: timeout, Transport: base}}
	comp, _ := otlpVar(getenv, "COMPRESSION")
	c.gzip = strings.EqualFold(comp, "gzip")
	if region, ok := XRayEndpointRegion(u.Host); ok {
		if base == nil {
			base = xrayBaseTransport
		}
		rt, err := NewSigV4Transport(ctx, base, "xray", region)
		if err != nil {
			return nil, err
		}
		c.client.Transport = rt
	}
	return c, nil
}

// xrayBaseTransport carries signed requests to X-Ray (nil: http.DefaultTransport); tests
// replace it to receive what would go to AWS.
var xrayBaseTransport http.RoundTripper

// parseKV parses the OTEL list form "k1=v1,k2=v2" (values URL-encoded).
func parseKV(s string) map[string]string {
	m := map[string]string{}
	for _, kv := range strings.Split(s, ",") {
		k, v, ok := strings.Cut(kv, "=")
		k = strings.TrimSpace(k)
		if !ok || k == "" {
			continue
		}
		if dv, err := url.PathUnescape(strings.TrimSpace(v)); err == nil {
			v = dv
		}
		m[k] = strings.TrimSpace(v)
	}
	return m
}

func samplerFrom(getenv func(string) string) (sdktrace.Sampler, error) {
	arg := 1.0
	if a := getenv("OTEL_TRACES_SAMPLER_ARG"); a != "" {
		f, err := strconv.ParseFloat(a, 64)
		if err != nil || f < 0 || f > 1 {
			return nil, errors.New("OTEL_TRACES_SAMPLER_ARG: want a ratio between 0 and 1")
		}
		arg = f
	}
	switch s := getenv("OTEL_TRACES_SAMPLER"); s {
	case "", "parentbased_always_on":
		return sdktrace.ParentBased(sdktrace.AlwaysSample()), nil
	case "always_on":
		return sdktrace.AlwaysSample(), nil
	case "always_off":
		return sdktrace.NeverSample(), nil
	case "traceidratio":
		return sdktrace.TraceIDRatioBased(arg), nil
	case "parentbased_always_off":
		return sdktrace.ParentBased(sdktrace.NeverSample()), nil
	case "parentbased_traceidratio":
		return sdktrace.ParentBased(sdktrace.TraceIDRatioBased(arg)), nil
	default:
		return nil, fmt.Errorf("OTEL_TRACES_SAMPLER: unsupported sampler %q", s)
	}
}
