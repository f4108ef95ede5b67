package telemetry

import (
	"encoding/hex"

	"go.opentelemetry.io/otel/trace"
)

// XRayTraceID returns id in X-Ray's form "1-<8 hex epoch seconds>-<24 hex>". With the X-Ray id
// generator the first 4 bytes of an OpenTelemetry trace id are the epoch seconds, so the two
// forms name the same trace and either can be pasted into the X-Ray / CloudWatch trace search.
func XRayTraceID(id trace.TraceID) string {
	if !id.IsValid() {
		return ""
	}
	var b [35]byte
	b[0], b[1] = '1', '-'
	hex.Encode(b[2:10], id[:4])
	b[10] = '-'
	hex.Encode(b[11:], id[4:])
	return string(b[:])
}
