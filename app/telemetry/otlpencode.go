package telemetry

import (
	"math"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/sdk/instrumentation"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"
	"google.golang.org/protobuf/encoding/protowire"
)

// encodeSpans writes an OTLP ExportTraceServiceRequest for spans straight from the SDK's
// read-only spans into protobuf wire format: what otlptrace's transform to the generated types
// and their marshalling produce (TestEncodeSpansMatchesTransform), without building those types
// (they were a fifth of a chat turn's allocations under load: docs/benchmarks.md, "Hot path").
// Spans are grouped by resource, then by instrumentation scope, in the order first seen. Field
// numbers are those of opentelemetry/proto/trace/v1/trace.proto and common/v1/common.proto.
//
// The request is appended to dst, so a caller can give it the room it will need.
func encodeSpans(dst []byte, spans []sdktrace.ReadOnlySpan) []byte {
	type scopeKey struct {
		res   attribute.Distinct
		scope instrumentation.Scope
	}
	var (
		resources []*resource.Resource // each distinct resource once, in the order first seen
		scopes    = map[attribute.Distinct][]scopeKey{}
		byScope   = map[scopeKey][]sdktrace.ReadOnlySpan{}
	)
	for _, s := range spans {
		if s == nil {
			continue
		}
		k := scopeKey{s.Resource().Equivalent(), s.InstrumentationScope()}
		if _, ok := scopes[k.res]; !ok {
			resources = append(resources, s.Resource())
		}
		if _, ok := byScope[k]; !ok {
			scopes[k.res] = append(scopes[k.res], k)
		}
		byScope[k] = append(byScope[k], s)
	}
	p := pb{b: dst}
	for _, res := range resources {
		rs := p.open(1) // ExportTraceServiceRequest.resource_spans
		if res != nil {
			m := p.open(1) // ResourceSpans.resource
			for it := res.Iter(); it.Next(); {
				p.keyValue(1, it.Attribute()) // Resource.attributes
			}
			p.close(m)
		}
		for _, k := range scopes[res.Equivalent()] {
			ss := p.open(2) // ResourceSpans.scope_spans
			if k.scope != (instrumentation.Scope{}) {
				sc := p.open(1) // ScopeSpans.scope
				p.str(1, k.scope.Name)
				p.str(2, k.scope.Version)
				for it := k.scope.Attributes.Iter(); it.Next(); {
					p.keyValue(3, it.Attribute())
				}
				p.close(sc)
			}
			for _, s := range byScope[k] {
				p.span(s)
			}
			p.str(3, k.scope.SchemaURL) // ScopeSpans.schema_url
			p.close(ss)
		}
		if res != nil {
			p.str(3, res.SchemaURL()) // ResourceSpans.schema_url
		}
		p.close(rs)
	}
	return p.b
}

// span writes ScopeSpans.spans (field 2).
func (p *pb) span(s sdktrace.ReadOnlySpan) {
	m := p.open(2)
	sc := s.SpanContext()
	tid, sid := sc.TraceID(), sc.SpanID()
	p.bytes(1, tid[:])
	p.bytes(2, sid[:])
	p.str(3, sc.TraceState().String())
	parent := s.Parent()
	if psid := parent.SpanID(); psid.IsValid() {
		p.bytes(4, psid[:])
	}
	p.str(5, s.Name())
	p.uint(6, uint64(spanKind(s.SpanKind())))
	p.fixed64(7, unixNano(s.StartTime().UnixNano()))
	p.fixed64(8, unixNano(s.EndTime().UnixNano()))
	for _, kv := range s.Attributes() {
		p.keyValue(9, kv)
	}
	p.uint(10, clamp(s.DroppedAttributes()))
	for _, e := range s.Events() {
		ev := p.open(11)
		p.fixed64(1, unixNano(e.Time.UnixNano()))
		p.str(2, e.Name)
		for _, kv := range e.Attributes {
			p.keyValue(3, kv)
		}
		p.uint(4, clamp(e.DroppedAttributeCount))
		p.close(ev)
	}
	p.uint(12, clamp(s.DroppedEvents()))
	for _, l := range s.Links() {
		lm := p.open(13)
		ltid, lsid := l.SpanContext.TraceID(), l.SpanContext.SpanID()
		p.bytes(1, ltid[:])
		p.bytes(2, lsid[:])
		for _, kv := range l.Attributes {
			p.keyValue(4, kv)
		}
		p.uint(5, clamp(l.DroppedAttributeCount))
		p.fixed32(6, spanFlags(l.SpanContext.TraceFlags(), l.SpanContext))
		p.close(lm)
	}
	p.uint(14, clamp(s.DroppedLinks()))
	st := p.open(15) // always present, as the transform sets it
	p.str(2, s.Status().Description)
	p.uint(3, uint64(statusCode(s.Status().Code)))
	p.close(st)
	p.fixed32(16, spanFlags(sc.TraceFlags(), parent))
	p.close(m)
}

// keyValue writes a KeyValue{key 1, value 2} as field f.
func (p *pb) keyValue(f protowire.Number, kv attribute.KeyValue) {
	m := p.open(f)
	p.str(1, string(kv.Key))
	p.value(2, kv.Value)
	p.close(m)
}

// value writes an AnyValue as field f. Its one-of member is written even when zero: a one-of
// has presence.
func (p *pb) value(f protowire.Number, v attribute.Value) {
	m := p.open(f)
	switch v.Type() {
	case attribute.BOOL:
		p.tag(2, protowire.VarintType)
		p.b = protowire.AppendVarint(p.b, protowire.EncodeBool(v.AsBool()))
	case attribute.INT64:
		p.tag(3, protowire.VarintType)
		p.b = protowire.AppendVarint(p.b, uint64(v.AsInt64()))
	case attribute.FLOAT64:
		p.tag(4, protowire.Fixed64Type)
		p.b = protowire.AppendFixed64(p.b, math.Float64bits(v.AsFloat64()))
	case attribute.STRING:
		p.tag(1, protowire.BytesType)
		p.b = protowire.AppendString(p.b, v.AsString())
	case attribute.BYTESLICE:
		p.tag(7, protowire.BytesType)
		p.b = protowire.AppendBytes(p.b, v.AsByteSlice())
	case attribute.BOOLSLICE:
		array(p, v.AsBoolSlice(), attribute.BoolValue)
	case attribute.INT64SLICE:
		array(p, v.AsInt64Slice(), attribute.Int64Value)
	case attribute.FLOAT64SLICE:
		array(p, v.AsFloat64Slice(), attribute.Float64Value)
	case attribute.STRINGSLICE:
		array(p, v.AsStringSlice(), attribute.StringValue)
	case attribute.SLICE:
		array(p, v.AsSlice(), func(x attribute.Value) attribute.Value { return x })
	case attribute.MAP:
		kv := p.open(6) // AnyValue.kvlist_value
		for _, x := range v.AsMap() {
			p.keyValue(1, x)
		}
		p.close(kv)
	case attribute.EMPTY:
	default:
		p.tag(1, protowire.BytesType)
		p.b = protowire.AppendString(p.b, "INVALID")
	}
	p.close(m)
}

// array writes AnyValue.array_value (field 5): each of xs as an AnyValue.
func array[T any](p *pb, xs []T, value func(T) attribute.Value) {
	m := p.open(5)
	for _, x := range xs {
		p.value(1, value(x))
	}
	p.close(m)
}

// pb appends protobuf fields to b. A message field is opened with one byte kept for its length
// and closed once its body is written, moving the body along when the length needs more bytes.
type pb struct{ b []byte }

func (p *pb) tag(f protowire.Number, t protowire.Type) { p.b = protowire.AppendTag(p.b, f, t) }

func (p *pb) open(f protowire.Number) int {
	p.tag(f, protowire.BytesType)
	p.b = append(p.b, 0)
	return len(p.b)
}

func (p *pb) close(start int) {
	n := len(p.b) - start
	size := protowire.SizeVarint(uint64(n))
	if size > 1 {
		p.b = append(p.b, make([]byte, size-1)...)
		copy(p.b[start+size-1:], p.b[start:start+n])
	}
	protowire.AppendVarint(p.b[:start-1], uint64(n)) // in place: the slice has room
}

// str, bytes, uint, fixed32 and fixed64 write a scalar field, omitted when zero (proto3).
func (p *pb) str(f protowire.Number, s string) {
	if s != "" {
		p.tag(f, protowire.BytesType)
		p.b = protowire.AppendString(p.b, s)
	}
}

func (p *pb) bytes(f protowire.Number, b []byte) {
	if len(b) > 0 {
		p.tag(f, protowire.BytesType)
		p.b = protowire.AppendBytes(p.b, b)
	}
}

func (p *pb) uint(f protowire.Number, v uint64) {
	if v != 0 {
		p.tag(f, protowire.VarintType)
		p.b = protowire.AppendVarint(p.b, v)
	}
}

func (p *pb) fixed32(f protowire.Number, v uint32) {
	if v != 0 {
		p.tag(f, protowire.Fixed32Type)
		p.b = protowire.AppendFixed32(p.b, v)
	}
}

func (p *pb) fixed64(f protowire.Number, v uint64) {
	if v != 0 {
		p.tag(f, protowire.Fixed64Type)
		p.b = protowire.AppendFixed64(p.b, v)
	}
}

func unixNano(n int64) uint64 { return uint64(max(0, n)) }

func clamp(n int) uint64 { return uint64(min(max(0, n), math.MaxUint32)) }

// spanKind is the OTLP Span.SpanKind of k (UNSPECIFIED 0, INTERNAL 1, SERVER 2, CLIENT 3,
// PRODUCER 4, CONSUMER 5).
func spanKind(k trace.SpanKind) int {
	switch k {
	case trace.SpanKindInternal:
		return 1
	case trace.SpanKindServer:
		return 2
	case trace.SpanKindClient:
		return 3
	case trace.SpanKindProducer:
		return 4
	case trace.SpanKindConsumer:
		return 5
	}
	return 0
}

// statusCode is the OTLP Status.StatusCode of c (UNSET 0, OK 1, ERROR 2).
func statusCode(c codes.Code) int {
	switch c {
	case codes.Ok:
		return 1
	case codes.Error:
		return 2
	}
	return 0
}

// spanFlags are the W3C trace flags in the low byte, and bits 8 and 9 saying that whether the
// parent is remote is known, and that it is (SpanFlags in trace.proto).
func spanFlags(tf trace.TraceFlags, parent trace.SpanContext) uint32 {
	flags := uint32(tf) | 0x100
	if parent.IsRemote() {
		flags |= 0x200
	}
	return flags
}
