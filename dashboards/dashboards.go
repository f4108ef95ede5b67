// Package dashboards holds the twin's CloudWatch dashboard and alarm definitions as embedded
// templates and renders them for one stack's resource names. The infrastructure (infra/stack)
// deploys what it returns: Dashboard as a cloudwatch.Dashboard body, each Alarm as a
// cloudwatch.MetricAlarm with MetricQueries.
//
// Every metric in the DigitalTwin namespace used here is one app/telemetry emits, with the same
// dimension set; dashboards_test checks it against the real EMF output. Likewise every field a
// Logs Insights widget reads (the operational tables and the owner view) is one the app writes
// on the lines the query filters on, checked against a run of the wired app.
package dashboards

import (
	"bytes"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"text/template"
	"time"
)

//go:embed templates/*.tmpl
var templates embed.FS

// Namespace is the app's CloudWatch namespace (app/telemetry.Namespace).
const Namespace = "DigitalTwin"

// S3MetricsFilterID is the id of the S3 request-metrics configuration the infrastructure must
// create on the memory bucket (aws.s3.BucketMetric, whole bucket): S3 publishes 4xxErrors and
// 5xxErrors per bucket only for such a configuration, under the FilterId dimension.
const S3MetricsFilterID = "EntireBucket"

// Values of the app's event lines the owner view reads (dashboards_test checks them against a
// real run of the app, so this package needs none of it at build time).
const (
	// NotInPersona labels the turns whose question matched no persona section (topic "").
	NotInPersona = "(not in the persona)"
	// RatingDown is a thumbs-down's rating (app/owner.RatingDown).
	RatingDown = "down"
)

// Names are one stack's resource names the dashboard and alarms refer to.
type Names struct {
	Region, Environment          string // Environment as the app emits it: staging | production
	HTTPFunction, StreamFunction string // Lambda function names (http-api and function-url fronts)
	APIID                        string // API Gateway HTTP API id
	MemoryBucket                 string // S3 memory bucket name
	DistributionID               string // CloudFront distribution id (optional: "")

	// Timeouts of the two functions: each duration alarm fires at DurationAlarmAt of its own.
	HTTPTimeout, StreamTimeout time.Duration

	// Log groups of the two functions, for the Logs Insights widgets. Optional: default
	// "/aws/lambda/<function name>".
	HTTPLogGroup, StreamLogGroup string
}

// DurationAlarmAt is the duration at which a function's alarm fires: five sixths of its
// timeout (25 s of the buffered function's 30, 100 s of the streaming function's 120), close
// enough to the limit that a slow model is about to be cut off, early enough to be noticed.
func DurationAlarmAt(timeout time.Duration) time.Duration { return timeout * 5 / 6 }

// withDefaults fills the optional names.
func (n Names) withDefaults() Names {
	if n.HTTPLogGroup == "" {
		n.HTTPLogGroup = "/aws/lambda/" + n.HTTPFunction
	}
	if n.StreamLogGroup == "" {
		n.StreamLogGroup = "/aws/lambda/" + n.StreamFunction
	}
	return n
}

func (n Names) validate() error {
	var missing []string
	for _, f := range []struct{ name, v string }{
		{"Region", n.Region}, {"Environment", n.Environment}, {"HTTPFunction", n.HTTPFunction},
		{"StreamFunction", n.StreamFunction}, {"APIID", n.APIID}, {"MemoryBucket", n.MemoryBucket},
	} {
		if f.v == "" {
			missing = append(missing, f.name)
		}
	}
	if n.HTTPTimeout <= 0 {
		missing = append(missing, "HTTPTimeout")
	}
	if n.StreamTimeout <= 0 {
		missing = append(missing, "StreamTimeout")
	}
	if len(missing) > 0 {
		return fmt.Errorf("dashboards: missing names %v", missing)
	}
	return nil
}

// Alarm is one CloudWatch metric alarm defined by metric math: exactly one of Metrics has
// ReturnData set; that series is compared with Threshold.
type Alarm struct {
	Name               string
	Description        string
	ComparisonOperator string // GreaterThanThreshold, GreaterThanOrEqualToThreshold, ...
	Threshold          float64
	EvaluationPeriods  int
	DatapointsToAlarm  int
	TreatMissingData   string // notBreaching, breaching, ignore, missing
	Metrics            []MetricQuery
}

// MetricQuery is one metric or expression of an alarm (cloudwatch.MetricAlarmMetricQuery):
// either Expression is set, or Namespace/MetricName/Stat/Period/Dimensions are.
type MetricQuery struct {
	ID, Expression, Label string
	ReturnData            bool
	Namespace, MetricName string
	Stat                  string
	Period                int // seconds
	Dimensions            map[string]string
}

// Dashboard returns the CloudWatch dashboard body (JSON) for n.
func Dashboard(n Names) (string, error) {
	if err := n.validate(); err != nil {
		return "", err
	}
	out, err := render("dashboard.json.tmpl", n)
	if err != nil {
		return "", err
	}
	var compact bytes.Buffer
	if err := json.Compact(&compact, out); err != nil {
		return "", fmt.Errorf("dashboards: dashboard is not JSON: %w", err)
	}
	return compact.String(), nil
}

// Alarms returns the alarm definitions for n: Lambda error rate > 5 % and duration past
// DurationAlarmAt of its own timeout per function, Lambda throttles, API 5xx > 1 %, S3 5xx errors on the memory bucket, and
// the app's own llm_unavailable turns. Names are prefixed "twin-<environment>-". It returns nil
// when n lacks a required name (Dashboard reports which).
func Alarms(n Names) []Alarm {
	a, err := alarms(n)
	if err != nil {
		return nil
	}
	return a
}

func alarms(n Names) ([]Alarm, error) {
	if err := n.validate(); err != nil {
		return nil, err
	}
	out, err := render("alarms.json.tmpl", n)
	if err != nil {
		return nil, err
	}
	var as []Alarm
	dec := json.NewDecoder(bytes.NewReader(out))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&as); err != nil {
		return nil, fmt.Errorf("dashboards: alarms: %w", err)
	}
	for _, a := range as {
		if err := a.check(); err != nil {
			return nil, err
		}
	}
	return as, nil
}

func (a Alarm) check() error {
	returns := 0
	for _, q := range a.Metrics {
		if q.ReturnData {
			returns++
		}
		if (q.Expression == "") == (q.MetricName == "") {
			return fmt.Errorf("dashboards: alarm %s query %s: set exactly one of Expression and MetricName", a.Name, q.ID)
		}
	}
	if returns != 1 {
		return fmt.Errorf("dashboards: alarm %s: %d queries return data, want 1", a.Name, returns)
	}
	return nil
}

// function is one Lambda front as the alarm template ranges over them.
type function struct {
	Key, Value string // front ("http", "stream") and function name
	Timeout    time.Duration
}

func render(name string, n Names) ([]byte, error) {
	n = n.withDefaults()
	t, err := template.New(name).Funcs(template.FuncMap{
		// json quotes a value as a JSON string (names are AWS identifiers, but be exact).
		"json": func(v any) (string, error) {
			b, err := json.Marshal(v)
			return string(b), err
		},
		// esc escapes a value for use inside a JSON string literal.
		"esc": func(v string) (string, error) {
			b, err := json.Marshal(v)
			return string(b[1 : len(b)-1]), err
		},
		"s3filter":     func() string { return S3MetricsFilterID },
		"notInPersona": func() string { return NotInPersona },
		"ratingDown":   func() string { return RatingDown },
		"function":     func(k, v string, timeout time.Duration) function { return function{k, v, timeout} },
		"functions":    func(fs ...function) []function { return fs },
		"alarmAt":      DurationAlarmAt,
		"ms":           func(d time.Duration) int64 { return d.Milliseconds() },
		"secs":         func(d time.Duration) float64 { return d.Seconds() },
	}).ParseFS(templates, "templates/"+name)
	if err != nil {
		return nil, fmt.Errorf("dashboards: parse %s: %w", name, err)
	}
	var buf bytes.Buffer
	if err := t.Execute(&buf, n); err != nil {
		return nil, fmt.Errorf("dashboards: render %s: %w", name, err)
	}
	if !json.Valid(buf.Bytes()) {
		return nil, errors.New("dashboards: " + name + " did not render valid JSON")
	}
	return buf.Bytes(), nil
}
