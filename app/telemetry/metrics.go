package telemetry

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"sync"
	"time"
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
	MetricInputTokens      = "InputTokens"      // Count
	MetricOutputTokens     = "OutputTokens"     // Count
	MetricEstimatedCostUSD = "EstimatedCostUSD" // None, US dollars
	MetricHistoryTruncated = "HistoryTruncated" // Count of history messages dropped to fit the budget
	MetricS3Retries        = "S3Retries"        // Count of conditional-write retries
	MetricTurnErrors       = "TurnErrors"       // Count, 1 when Outcome != ok
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
	{MetricOutputTokens, UnitCount},
	{MetricEstimatedCostUSD, UnitNone},
	{MetricHistoryTruncated, UnitCount},
	{MetricS3Retries, UnitCount},
	{MetricTurnErrors, UnitCount},
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
	InputTokens      int
	OutputTokens     int
	HistoryTruncated int     // history messages dropped to fit the token budget
	S3Retries        int     // optimistic-write retries
	CostUSD          float64 // 0: estimated from Prices
	Streamed         bool    // streaming response
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

type emfMetric struct {
	Name string `json:"Name"`
	Unit string `json:"Unit"`
}

type emfDirective struct {
	Namespace  string      `json:"Namespace"`
	Dimensions [][]string  `json:"Dimensions"`
	Metrics    []emfMetric `json:"Metrics"`
}

type emfMeta struct {
	Timestamp         int64          `json:"Timestamp"`
	CloudWatchMetrics []emfDirective `json:"CloudWatchMetrics"`
}

func (m *Metrics) encode(ctx context.Context, t Turn) ([]byte, error) {
	outcome := t.Outcome
	if outcome == "" {
		outcome = OutcomeOK
	}
	cost := t.CostUSD
	if cost == 0 {
		cost = m.Prices.Estimate(t.Model, t.InputTokens, t.OutputTokens)
	}
	errCount := 0
	if outcome != OutcomeOK {
		errCount = 1
	}
	values := map[string]any{
		MetricTurns:            1,
		MetricTurnLatency:      millis(t.Latency),
		MetricInputTokens:      t.InputTokens,
		MetricOutputTokens:     t.OutputTokens,
		MetricEstimatedCostUSD: cost,
		MetricHistoryTruncated: t.HistoryTruncated,
		MetricS3Retries:        t.S3Retries,
		MetricTurnErrors:       errCount,
	}
	if t.TimeToFirstToken > 0 {
		values[MetricTimeToFirstToken] = millis(t.TimeToFirstToken)
	}
	defs := make([]emfMetric, 0, len(TurnMetrics))
	for _, d := range TurnMetrics {
		if _, ok := values[d.Name]; ok {
			defs = append(defs, emfMetric(d))
		}
	}
	rec := make(map[string]any, len(values)+10)
	for k, v := range values {
		rec[k] = v
	}
	rec["_aws"] = emfMeta{
		Timestamp: m.now().UnixMilli(),
		CloudWatchMetrics: []emfDirective{{
			Namespace:  Namespace,
			Dimensions: DimensionSets(),
			Metrics:    defs,
		}},
	}
	rec[DimEnvironment] = m.environment
	rec[DimOutcome] = outcome
	// Properties: searchable in Logs Insights, not dimensions (no cardinality cost).
	rec["provider"] = t.Provider
	rec["model"] = t.Model
	rec["streamed"] = t.Streamed
	if id := CorrelationID(ctx); id != "" {
		rec["correlation_id"] = id
	}
	if id := SessionID(ctx); id != "" {
		rec["session_id"] = id
	}
	if sc := spanContext(ctx); sc.IsValid() {
		rec["trace_id"] = sc.TraceID().String()
		rec["xray_trace_id"] = XRayTraceID(sc.TraceID())
	}
	b, err := json.Marshal(rec)
	if err != nil {
		return nil, fmt.Errorf("encode EMF record: %w", err)
	}
	return append(b, '\n'), nil
}

// millis is d in fractional milliseconds (CloudWatch keeps the precision).
func millis(d time.Duration) float64 {
	return float64(d.Microseconds()) / 1000
}
