package telemetry

import (
	"context"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsmiddleware "github.com/aws/aws-sdk-go-v2/aws/middleware"
	"github.com/aws/smithy-go/middleware"
	smithyhttp "github.com/aws/smithy-go/transport/http"
	"go.opentelemetry.io/contrib/propagators/aws/xray"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"
)

// InstrumentAWS makes every AWS SDK call made with cfg (S3, Secrets Manager, Bedrock...) a
// client span named "<Service>.<Operation>" (e.g. "S3.GetObject") under the caller's span, with
// the region, request id and HTTP status, errors recorded; the call carries X-Amzn-Trace-Id so
// AWS services that trace join the trace. Call it once on the shared aws.Config, before clients
// are built; the spans go to whatever provider SetupTracing installs (none: no-op).
//
// It is two small smithy middlewares rather than the contrib otelaws module, which is deprecated
// upstream and links the DynamoDB and SQS clients into the binary
// (docs/decisions/0026-aws-sdk-spans.md).
func InstrumentAWS(cfg *aws.Config) {
	cfg.APIOptions = append(cfg.APIOptions, addAWSTracing)
}

func addAWSTracing(stack *middleware.Stack) error {
	// After the SDK's own initialize steps, so the service, operation and region are known.
	if err := stack.Initialize.Add(middleware.InitializeMiddlewareFunc("TwinAWSSpan", awsSpan), middleware.After); err != nil {
		return err
	}
	// Before signing, so the header is part of the signed request like any other.
	return stack.Finalize.Add(middleware.FinalizeMiddlewareFunc("TwinAWSTraceHeader", injectXRayHeader), middleware.Before)
}

func awsSpan(ctx context.Context, in middleware.InitializeInput, next middleware.InitializeHandler) (middleware.InitializeOutput, middleware.Metadata, error) {
	service, op := awsmiddleware.GetServiceID(ctx), awsmiddleware.GetOperationName(ctx)
	ctx, span := otel.Tracer(TracerName).Start(ctx, service+"."+op,
		trace.WithSpanKind(trace.SpanKindClient),
		trace.WithAttributes(
			attribute.String("rpc.system", "aws-api"),
			attribute.String("rpc.service", service),
			attribute.String("rpc.method", service+"/"+op),
			attribute.String("cloud.region", awsmiddleware.GetRegion(ctx)),
		))
	defer span.End()
	out, md, err := next.HandleInitialize(ctx, in)
	if id, ok := awsmiddleware.GetRequestIDMetadata(md); ok {
		span.SetAttributes(attribute.String("aws.request_id", id))
	}
	if resp, ok := awsmiddleware.GetRawResponse(md).(*smithyhttp.Response); ok && resp != nil {
		span.SetAttributes(attribute.Int("http.response.status_code", resp.StatusCode))
	}
	if err != nil {
		span.RecordError(err)
		span.SetStatus(codes.Error, err.Error())
	}
	return out, md, err
}

func injectXRayHeader(ctx context.Context, in middleware.FinalizeInput, next middleware.FinalizeHandler) (middleware.FinalizeOutput, middleware.Metadata, error) {
	if req, ok := in.Request.(*smithyhttp.Request); ok {
		xray.Propagator{}.Inject(ctx, propagation.HeaderCarrier(req.Header))
	}
	return next.HandleFinalize(ctx, in)
}
