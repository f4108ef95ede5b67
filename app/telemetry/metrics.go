package telemetry

import (
	"context"
	"io"
	"math"
	"strconv"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/digitaltwin/twin/app/twin"
)

// Namespace is the CloudWatch namespace of every metric the twin emits.
const Namespace = "DigitalTwin"

// Dimension names. Environment is staging | production | local; Outcome is "ok" or the turn's
// error code (llm_unavailable, persona_unavailable, internal, session_full, rate_limited, ...).
const (
	DimEnvironment = "Environment"
	DimOutcome     = "Outcome"
)

// OutcomeOK is the Outcome of a turn that produced a reply.
const OutcomeOK = "ok"

// Metric names, one EMF record per chat turn carries all of them (TimeToFirstToken only when a
// first token arrived, so a failed turn does not drag the percentiles to zero).
const (
	MetricTurns            = "Turns"            // Count, always 1
	MetricTurnLatency      = "TurnLatency"      // Milliseconds, request to last byte
	MetricTimeToFirstToken = "TimeToFirstToken" // Milliseconds, request to first model token
	MetricInputTokens      = "InputTokens"      // Count, every input token (cached ones included)
	// MetricCachedInputTokens counts the input tokens read from the model's prompt cache; with
	// InputTokens it gives the cache hit share.
	MetricCachedInputTokens = "CachedInputTokens" // Count
	MetricOutputTokens      = "OutputTokens"      // Count
	MetricEstimatedCostUSD  = "EstimatedCostUSD"  // None, US dollars
	MetricHistoryTruncated  = "HistoryTruncated"  // Count of history messages dropped to fit the budget
	MetricS3Retries         = "S3Retries"         // Count of conditional-write retries
	MetricTurnErrors        = "TurnErrors"        // Count, 1 when Outcome != ok
	MetricToolsRefused      = "ToolsRefused"      // Count, 1 when the model refused tools (off for a cool-down)
)

// CloudWatch units used by the metrics.
const (
	UnitCount        = "Count"
	UnitMilliseconds = "Milliseconds"
	UnitNone         = "None"
)

// MetricDef is one metric of the per-turn record.
type MetricDef struct {
	Name string
	Unit string
}

// TurnMetrics lists every metric of the per-turn record, in the order they are declared.
var TurnMetrics = []MetricDef{
	{MetricTurns, UnitCount},
	{MetricTurnLatency, UnitMilliseconds},
	{MetricTimeToFirstToken, UnitMilliseconds},
	{MetricInputTokens, UnitCount},
	{MetricCachedInputTokens, UnitCount},
	{MetricOutputTokens, UnitCount},
	{MetricEstimatedCostUSD, UnitNone},
	{MetricHistoryTruncated, UnitCount},
	{MetricS3Retries, UnitCount},
	{MetricTurnErrors, UnitCount},
	{MetricToolsRefused, UnitCount},
}

// DimensionSets are the EMF dimension sets: every metric is published per environment, and per
// environment and outcome (so the dashboard can split errors by class).
func DimensionSets() [][]string {
	return [][]string{{DimEnvironment}, {DimEnvironment, DimOutcome}}
}

// Turn is what one chat turn did, recorded once at its end.
type Turn struct {
	Provider, Model  string        // gen_ai.system and model id
	Outcome          string        // "ok" or the error code; "" means ok
	Latency          time.Duration // whole turn
	TimeToFirstToken time.Duration // 0 when no token came
	InputTokens      int           // every input token, cached ones included
	OutputTokens     int
	// CachedInputTokens were read from the prompt cache, CacheWriteTokens written to it (both
	// are part of InputTokens and priced apart).
	CachedInputTokens int
	CacheWriteTokens  int
	HistoryTruncated  int     // history messages dropped to fit the token budget
	S3Retries         int     // retries of AWS calls and optimistic writes; 0: AddRetries' count in ctx
	CostUSD           float64 // 0: estimated from Prices
	Streamed          bool    // streaming response
}

// Metrics writes one CloudWatch EMF JSON line per turn to w (stdout on Lambda, where CloudWatch
// Logs turns it into metrics with no API call). It is safe for concurrent use.
type Metrics struct {
	mu          sync.Mutex
	w           io.Writer
	environment string
	// Prices estimates cost when Turn.CostUSD is 0; defaults to DefaultPrices.
	Prices PriceTable
	now    func() time.Time
}

// NewMetrics returns a recorder writing to w for environment (staging, production or local).
// A nil w discards the records.
func NewMetrics(w io.Writer, environment string) *Metrics {
	if w == nil {
		w = io.Discard
	}
	if environment == "" {
		environment = "local"
	}
	return &Metrics{w: w, environment: environment, Prices: DefaultPrices, now: time.Now}
}

// RecordTurn writes the EMF record of one turn; ids come from ctx. Write errors are returned
// for tests, callers normally ignore them (a metric must never fail a turn).
func (m *Metrics) RecordTurn(ctx context.Context, t Turn) error {
	if m == nil {
		return nil
	}
	line, err := m.encode(ctx, t)
	if err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	_, err = m.w.Write(line)
	return err
}

// bufPool recycles record buffers: a turn's record is written on the hot path of every turn.
var bufPool = sync.Pool{New: func() any { b := make([]byte, 0, 1024); return &b }}

// encode writes the record by hand: it is on every turn's path, and a map through
// encoding/json cost more than the rest of the record-keeping together.
func (m *Metrics) encode(ctx context.Context, t Turn) ([]byte, error) {
	outcome := t.Outcome
	if outcome == "" {
		outcome = OutcomeOK
	}
	cost := t.CostUSD
	if cost == 0 {
		cost = m.Prices.Estimate(t.Model, twin.Usage{InputTokens: t.InputTokens, OutputTokens: t.OutputTokens,
			CachedInputTokens: t.CachedInputTokens, CacheWriteTokens: t.CacheWriteTokens})
	}
	errCount := 0
	if outcome != OutcomeOK {
		errCount = 1
	}
	hasTTFT := t.TimeToFirstToken > 0
	if t.S3Retries == 0 {
		t.S3Retries = Retries(ctx)
	}

	bp := bufPool.Get().(*[]byte)
	b := (*bp)[:0]
	b = append(b, `{"_aws":{"Timestamp":`...)
	b = strconv.AppendInt(b, m.now().UnixMilli(), 10)
	b = append(b, `,"CloudWatchMetrics":[{"Namespace":"`+Namespace+`","Dimensions":[["`+DimEnvironment+`"],["`+DimEnvironment+`","`+DimOutcome+`"]],"Metrics":[`...)
	first := true
	for _, d := range TurnMetrics {
		if d.Name == MetricTimeToFirstToken && !hasTTFT {
			continue
		}
		if !first {
			b = append(b, ',')
		}
		first = false
		b = append(b, `{"Name":"`...)
		b = append(b, d.Name...)
		b = append(b, `","Unit":"`...)
		b = append(b, d.Unit...)
		b = append(b, `"}`...)
	}
	b = append(b, `]}]}`...)
	b = appendStringField(b, DimEnvironment, m.environment)
	b = appendStringField(b, DimOutcome, outcome)
	// Properties: searchable in Logs Insights, not dimensions (no cardinality cost).
	b = appendStringField(b, "provider", t.Provider)
	b = appendStringField(b, "model", t.Model)
	b = append(b, `,"streamed":`...)
	b = strconv.AppendBool(b, t.Streamed)
	if id := CorrelationID(ctx); id != "" {
		b = appendStringField(b, KeyCorrelationID, id)
	}
	if id := SessionID(ctx); id != "" {
		b = appendStringField(b, KeySessionID, id)
	}
	if sc := spanContext(ctx); sc.IsValid() {
		b = appendStringField(b, KeyTraceID, sc.TraceID().String())
		b = appendStringField(b, KeyXRayTraceID, XRayTraceID(sc.TraceID()))
	}
	b = appendNumField(b, MetricTurns, 1)
	b = appendNumField(b, MetricTurnLatency, millis(t.Latency))
	if hasTTFT {
		b = appendNumField(b, MetricTimeToFirstToken, millis(t.TimeToFirstToken))
	}
	b = appendNumField(b, MetricInputTokens, float64(t.InputTokens))
	b = appendNumField(b, MetricCachedInputTokens, float64(t.CachedInputTokens))
	b = appendNumField(b, MetricOutputTokens, float64(t.OutputTokens))
	b = appendNumField(b, MetricEstimatedCostUSD, cost)
	b = appendNumField(b, MetricHistoryTruncated, float64(t.HistoryTruncated))
	b = appendNumField(b, MetricS3Retries, float64(t.S3Retries))
	b = appendNumField(b, MetricTurnErrors, float64(errCount))
	b = appendNumField(b, MetricToolsRefused, float64(ToolsRefused(ctx)))
	b = append(b, "}\n"...)
	out := append([]byte(nil), b...)
	*bp = b
	bufPool.Put(bp)
	return out, nil
}

func appendStringField(b []byte, key, v string) []byte {
	b = append(b, ',', '"')
	b = append(b, key...)
	b = append(b, '"', ':')
	return appendJSONString(b, v)
}

func appendNumField(b []byte, key string, v float64) []byte {
	b = append(b, ',', '"')
	b = append(b, key...)
	b = append(b, '"', ':')
	if math.IsNaN(v) || math.IsInf(v, 0) {
		v = 0
	}
	return strconv.AppendFloat(b, v, 'g', -1, 64)
}

// appendJSONString appends s as a JSON string: quotes, backslashes and control characters
// escaped, invalid UTF-8 replaced by U+FFFD.
func appendJSONString(b []byte, s string) []byte {
	const hex = "0123456789abcdef"
	b = append(b, '"')
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			switch {
			case c == '"' || c == '\\':
				b = append(b, '\\', c)
			case c < 0x20:
				b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
			default:
				b = append(b, c)
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, "\\ufffd"...)
		} else {
			b = append(b, s[i:i+size]...)
		}
		i += size
	}
	return append(b, '"')
}

// millis is d in fractional milliseconds (CloudWatch keeps the precision).
func millis(d time.Duration) float64 {
	return float64(d.Microseconds()) / 1000
}
