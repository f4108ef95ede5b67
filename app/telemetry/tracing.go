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
	"time"

	"go.opentelemetry.io/contrib/propagators/aws/xray"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace"
	"go.opentelemetry.io/otel/exporters/stdout/stdouttrace"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/sdk/resource"
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
// variables read through getenv:
//
//   - OTEL_TRACES_EXPORTER: "none" (the default when no OTLP endpoint is set: no provider is
//     installed, spans are non-recording no-ops), "console" (pretty JSON on stdout), "otlp"
//     (OTLP/HTTP protobuf, the default when an endpoint is set), or a comma list of them.
//     OTEL_SDK_DISABLED=true turns everything off.
//   - OTEL_EXPORTER_OTLP_TRACES_ENDPOINT (used as is) or OTEL_EXPORTER_OTLP_ENDPOINT (+ /v1/traces),
//     default http://localhost:4318/v1/traces; OTEL_EXPORTER_OTLP_HEADERS,
//     OTEL_EXPORTER_OTLP_COMPRESSION=gzip. An X-Ray endpoint https://xray.<region>.amazonaws.com
//     is signed with SigV4 (service xray) using the default AWS credential chain.
//   - OTEL_EXPORTER_OTLP_(TRACES_)PROTOCOL may only be http/protobuf.
//   - OTEL_SERVICE_NAME, OTEL_RESOURCE_ATTRIBUTES, OTEL_TRACES_SAMPLER (+ _ARG).
//
// Trace and span ids use X-Ray's format (epoch seconds in the first 4 bytes) so traces can be
// stored by X-Ray. The propagator is installed even when no exporter is: an incoming trace id
// still reaches the logs. The returned shutdown flushes and stops the exporter.
func SetupTracing(ctx context.Context, getenv func(string) string, serviceVersion string) (shutdown func(context.Context) error, err error) {
	return setupTracing(ctx, getenv, serviceVersion, os.Stdout)
}

func setupTracing(ctx context.Context, getenv func(string) string, serviceVersion string, console io.Writer) (func(context.Context) error, error) {
	otel.SetTextMapPropagator(Propagator())
	noop := func(context.Context) error { return nil }
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
		opts = append(opts, sdktrace.WithBatcher(exp, sdktrace.WithBatchTimeout(time.Second)))
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
	c := &otlpHTTPClient{endpoint: endpoint, client: &http.Client{Timeout: 10 * time.Second}}
	if h := getenv("OTEL_EXPORTER_OTLP_TRACES_HEADERS") + "," + getenv("OTEL_EXPORTER_OTLP_HEADERS"); h != "," {
		c.headers = parseKV(h)
	}
	comp := getenv("OTEL_EXPORTER_OTLP_TRACES_COMPRESSION")
	if comp == "" {
		comp = getenv("OTEL_EXPORTER_OTLP_COMPRESSION")
	}
	c.gzip = strings.EqualFold(comp, "gzip")
	if region, ok := XRayEndpointRegion(u.Host); ok {
		rt, err := NewSigV4Transport(ctx, xrayBaseTransport, "xray", region)
		if err != nil {
			return nil, err
		}
		c.client.Transport = rt
	}
	return otlptrace.New(ctx, c)
}

// xrayBaseTransport carries signed requests to X-Ray (nil: http.DefaultTransport); tests
// replace it to receive what would go to AWS.
var xrayBaseTransport http.RoundTripper

// XRayEndpointRegion reports whether host is X-Ray's OTLP endpoint (xray.<region>.amazonaws.com)
// and returns its region.
func XRayEndpointRegion(host string) (string, bool) {
	if h, _, ok := strings.Cut(host, ":"); ok {
		host = h
	}
	rest, ok := strings.CutPrefix(host, "xray.")
	if !ok {
		return "", false
	}
	region, ok := strings.CutSuffix(rest, ".amazonaws.com")
	if !ok || region == "" || strings.Contains(region, ".") {
		return "", false
	}
	return region, true
}

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

func resourceFrom(getenv func(string) string, serviceVersion string) *resource.Resource {
	attrs := []attribute.KeyValue{}
	for k, v := range parseKV(getenv("OTEL_RESOURCE_ATTRIBUTES")) {
		attrs = append(attrs, attribute.String(k, v))
	}
	name := getenv("OTEL_SERVICE_NAME")
	if name == "" {
		name = DefaultServiceName
	}
	attrs = append(attrs, attribute.String("service.name", name), attribute.String("service.version", serviceVersion),
		attribute.String("telemetry.sdk.language", "go"))
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
	return resource.NewWithAttributes("", attrs...)
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
