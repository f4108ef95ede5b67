package telemetry

import (
	"github.com/aws/aws-sdk-go-v2/aws"
	"go.opentelemetry.io/contrib/instrumentation/github.com/aws/aws-sdk-go-v2/otelaws"
	"go.opentelemetry.io/contrib/propagators/aws/xray"
)

// InstrumentAWS makes every AWS SDK call made with cfg (S3, Secrets Manager, Bedrock...) a
// client span named "<Service>.<Operation>" (e.g. "S3.GetObject") under the caller's span, with
// the region, request id and HTTP status, errors recorded; the call carries X-Amzn-Trace-Id so
// AWS services that trace join the trace. Call it once on the shared aws.Config, before clients
// are built; the spans go to whatever provider SetupTracing installs (none: no-op).
func InstrumentAWS(cfg *aws.Config) {
	otelaws.AppendMiddlewares(&cfg.APIOptions, otelaws.WithTextMapPropagator(xray.Propagator{}))
}
