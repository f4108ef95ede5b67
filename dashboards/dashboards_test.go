package dashboards_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/digitaltwin/twin/app/telemetry"
	"github.com/digitaltwin/twin/app/twin"
	"github.com/digitaltwin/twin/dashboards"
)

var names = dashboards.Names{
	Region: "eu-west-1", Environment: "production",
	HTTPFunction: "twin-prod-http", StreamFunction: "twin-prod-stream",
	APIID: "a1b2c3d4e5", MemoryBucket: "twin-prod-memory-123", DistributionID: "E2EXAMPLE",
	HTTPTimeout: 30 * time.Second, StreamTimeout: 120 * time.Second,
}

// metricKey is one CloudWatch metric identity: namespace, name and the sorted dimension names.
type metricKey struct{ Namespace, Name, Dims string }

func key(ns, name string, dims []string) metricKey {
	d := slices.Clone(dims)
	slices.Sort(d)
	return metricKey{ns, name, strings.Join(d, ",")}
}

// emitted returns what app/telemetry really writes: every (namespace, metric, dimension set) of
// its EMF record, and the record's top-level keys (for Logs Insights queries).
func emitted(t *testing.T) (map[metricKey]bool, map[string]bool) {
	t.Helper()
	var buf bytes.Buffer
	m := telemetry.NewMetrics(&buf, names.Environment)
	ctx := telemetry.WithSessionID(telemetry.WithCorrelationID(context.Background(), "c1"), "s1")
	if err := m.RecordTurn(ctx, telemetry.Turn{Provider: "openai", Model: "gpt-4o-mini", Latency: time.Second,
		TimeToFirstToken: 200 * time.Millisecond, InputTokens: 10, OutputTokens: 5}); err != nil {
		t.Fatal(err)
	}
	var rec struct {
		AWS struct {
			CloudWatchMetrics []struct {
				Namespace  string
				Dimensions [][]string
				Metrics    []struct{ Name, Unit string }
			}
		} `json:"_aws"`
	}
	if err := json.Unmarshal(buf.Bytes(), &rec); err != nil {
		t.Fatalf("EMF record: %v", err)
	}
	var fields map[string]any
	_ = json.Unmarshal(buf.Bytes(), &fields)
	keys := map[string]bool{}
	for k := range fields {
		keys[k] = true
	}
	out := map[metricKey]bool{}
	for _, d := range rec.AWS.CloudWatchMetrics {
		for _, ds := range d.Dimensions {
			for _, m := range d.Metrics {
				out[key(d.Namespace, m.Name, ds)] = true
			}
		}
	}
	if len(out) == 0 {
		t.Fatal("telemetry emitted no metrics")
	}
	return out, keys
}

func dashboard(t *testing.T, n dashboards.Names) map[string]any {
	t.Helper()
	body, err := dashboards.Dashboard(n)
	if err != nil {
		t.Fatal(err)
	}
	var d map[string]any
	if err := json.Unmarshal([]byte(body), &d); err != nil {
		t.Fatalf("dashboard body is not JSON: %v", err)
	}
	return d
}

// metricRef is one metric a widget or alarm reads.
type metricRef struct {
	where     string
	namespace string
	name      string
	dims      map[string]string // nil for a SEARCH (dimension names only)
	dimNames  []string
}

var searchRe = regexp.MustCompile(`SEARCH\('\{([^}]*)\}\s+MetricName="([^"]+)"`)

// widgetMetrics returns the metrics a metric widget reads, from plain rows and SEARCH expressions.
func widgetMetrics(t *testing.T, title string, rows []any) []metricRef {
	t.Helper()
	var refs []metricRef
	for _, r := range rows {
		row := r.([]any)
		if s, ok := row[0].(string); ok {
			ref := metricRef{where: title, namespace: s, name: row[1].(string), dims: map[string]string{}}
			for i := 2; i+1 < len(row); i += 2 {
				k, ok1 := row[i].(string)
				v, ok2 := row[i+1].(string)
				if !ok1 || !ok2 {
					break
				}
				ref.dims[k] = v
				ref.dimNames = append(ref.dimNames, k)
			}
			refs = append(refs, ref)
			continue
		}
		expr, _ := row[0].(map[string]any)["expression"].(string)
		for _, m := range searchRe.FindAllStringSubmatch(expr, -1) {
			schema := strings.Split(m[1], ",")
			for i := range schema {
				schema[i] = strings.TrimSpace(schema[i])
			}
			refs = append(refs, metricRef{where: title, namespace: schema[0], name: m[2], dimNames: schema[1:]})
		}
	}
	return refs
}

func alarmMetrics(a dashboards.Alarm) []metricRef {
	var refs []metricRef
	for _, q := range a.Metrics {
		if q.MetricName == "" {
			continue
		}
		ref := metricRef{where: a.Name, namespace: q.Namespace, name: q.MetricName, dims: q.Dimensions}
		for k := range q.Dimensions {
			ref.dimNames = append(ref.dimNames, k)
		}
		refs = append(refs, ref)
	}
	return refs
}

// TestConsistency: every DigitalTwin metric a widget or alarm uses is one the app emits, with
// the same dimension set, the stack's environment, and an Outcome that is a real error code.
func TestConsistency(t *testing.T) {
	emits, _ := emitted(t)
	d := dashboard(t, names)
	var refs []metricRef
	for _, w := range d["widgets"].([]any) {
		w := w.(map[string]any)
		if w["type"] != "metric" {
			continue
		}
		p := w["properties"].(map[string]any)
		refs = append(refs, widgetMetrics(t, p["title"].(string), p["metrics"].([]any))...)
	}
	for _, a := range dashboards.Alarms(names) {
		refs = append(refs, alarmMetrics(a)...)
	}
	outcomes := map[string]bool{telemetry.OutcomeOK: true}
	for _, c := range []twin.Code{twin.CodeInvalidRequest, twin.CodeInvalidSessionID, twin.CodeMessageTooLong,
		twin.CodeSessionNotFound, twin.CodeSessionFull, twin.CodeRateLimited, twin.CodePersonaUnavailable,
		twin.CodeLLMUnavailable, twin.CodeInternal} {
		outcomes[string(c)] = true
	}
	used := map[string]bool{}
	for _, r := range refs {
		if r.namespace != telemetry.Namespace {
			if strings.HasPrefix(r.namespace, "AWS/") {
				continue
			}
			t.Errorf("%s: unknown namespace %q", r.where, r.namespace)
			continue
		}
		k := key(r.namespace, r.name, r.dimNames)
		if !emits[k] {
			t.Errorf("%s: %s %s with dimensions [%s] is not emitted by app/telemetry", r.where, r.namespace, r.name, k.Dims)
		}
		used[r.name] = true
		if r.dims != nil {
			if got := r.dims[telemetry.DimEnvironment]; got != names.Environment {
				t.Errorf("%s: %s Environment = %q, want %q", r.where, r.name, got, names.Environment)
			}
			if o, ok := r.dims[telemetry.DimOutcome]; ok && !outcomes[o] {
				t.Errorf("%s: %s Outcome = %q is not an error code", r.where, r.name, o)
			}
		}
	}
	// And the other way round: the dashboard shows every metric the app emits.
	for _, m := range telemetry.TurnMetrics {
		if !used[m.Name] {
			t.Errorf("metric %s is emitted but no widget or alarm uses it", m.Name)
		}
	}
}

var (
	idRe   = regexp.MustCompile(`^[a-z][a-zA-Z0-9_]*$`)
	statRe = regexp.MustCompile(`^(SampleCount|Average|Sum|Minimum|Maximum|IQM|p\d{1,2}(\.\d+)?|p100|tm\d{1,2}|tc\d{1,2}|ts\d{1,2}|wm\d{1,2})$`)
)

func checkKeys(t *testing.T, where string, m map[string]any, allowed ...string) {
	t.Helper()
	for k := range m {
		if !slices.Contains(allowed, k) {
			t.Errorf("%s: unknown key %q", where, k)
		}
	}
}

func num(t *testing.T, where string, v any) int {
	t.Helper()
	f, ok := v.(float64)
	if !ok || f != float64(int(f)) {
		t.Fatalf("%s: %v is not an integer", where, v)
	}
	return int(f)
}

// TestDashboardSchema checks the body against CloudWatch's dashboard body structure: known
// widget types and keys, the 24-column grid without overlaps, well-formed metrics arrays,
// expressions with unique ids, valid stats and periods, log widgets with a SOURCE.
func TestDashboardSchema(t *testing.T) {
	for _, tc := range []struct {
		name string
		n    dashboards.Names
	}{
		{"with CloudFront", names},
		{"without CloudFront", func() dashboards.Names { n := names; n.DistributionID = ""; return n }()},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := dashboard(t, tc.n)
			checkKeys(t, "body", d, "widgets", "start", "end", "periodOverride")
			widgets := d["widgets"].([]any)
			var grid [24][100]bool
			for i, w := range widgets {
				w := w.(map[string]any)
				where := fmt.Sprintf("widget %d", i)
				checkKeys(t, where, w, "type", "x", "y", "width", "height", "properties")
				x, y := num(t, where, w["x"]), num(t, where, w["y"])
				width, height := num(t, where, w["width"]), num(t, where, w["height"])
				if x < 0 || width < 1 || x+width > 24 || y < 0 || height < 1 || y+height > 100 {
					t.Fatalf("%s: outside the grid: x=%d y=%d w=%d h=%d", where, x, y, width, height)
				}
				for c := x; c < x+width; c++ {
					for r := y; r < y+height; r++ {
						if grid[c][r] {
							t.Errorf("%s overlaps another widget at (%d,%d)", where, c, r)
						}
						grid[c][r] = true
					}
				}
				p, ok := w["properties"].(map[string]any)
				if !ok {
					t.Fatalf("%s: no properties", where)
				}
				if title, ok := p["title"].(string); ok {
					where += " " + title
				}
				switch w["type"] {
				case "text":
					checkKeys(t, where, p, "markdown", "background")
					if s, _ := p["markdown"].(string); s == "" {
						t.Errorf("%s: empty markdown", where)
					}
				case "log":
					checkKeys(t, where, p, "query", "region", "title", "view", "stacked")
					if q, _ := p["query"].(string); !strings.HasPrefix(q, "SOURCE '") {
						t.Errorf("%s: query must start with SOURCE: %q", where, q)
					}
					if !slices.Contains([]any{"table", "timeSeries", "bar", "pie"}, p["view"]) {
						t.Errorf("%s: view %v", where, p["view"])
					}
					if p["region"] != tc.n.Region {
						t.Errorf("%s: region %v", where, p["region"])
					}
				case "metric":
					checkMetricWidget(t, where, p, tc.n)
				default:
					t.Errorf("%s: unknown widget type %v", where, w["type"])
				}
			}
			hasCF := strings.Contains(fmt.Sprint(d), "AWS/CloudFront")
			if hasCF != (tc.n.DistributionID != "") {
				t.Errorf("CloudFront widget present = %v with DistributionID %q", hasCF, tc.n.DistributionID)
			}
		})
	}
}

func checkMetricWidget(t *testing.T, where string, p map[string]any, n dashboards.Names) {
	t.Helper()
	checkKeys(t, where, p, "metrics", "title", "region", "view", "stacked", "period", "stat", "yAxis",
		"annotations", "legend", "liveData", "setPeriodToTimeRange", "sparkline", "timezone", "labels", "table")
	if r, _ := p["region"].(string); r == "" {
		t.Errorf("%s: no region", where)
	}
	if !slices.Contains([]any{"timeSeries", "singleValue", "gauge", "bar", "pie", "table"}, p["view"]) {
		t.Errorf("%s: view %v", where, p["view"])
	}
	if per, ok := p["period"]; ok {
		if v := num(t, where, per); v%60 != 0 && !slices.Contains([]int{1, 5, 10, 30}, v) {
			t.Errorf("%s: period %d", where, v)
		}
	}
	if s, ok := p["stat"].(string); ok && !statRe.MatchString(s) {
		t.Errorf("%s: stat %q", where, s)
	}
	rows, ok := p["metrics"].([]any)
	if !ok || len(rows) == 0 {
		t.Fatalf("%s: no metrics", where)
	}
	ids := map[string]bool{}
	var exprs []string
	for j, r := range rows {
		row, ok := r.([]any)
		rw := fmt.Sprintf("%s row %d", where, j)
		if !ok || len(row) == 0 {
			t.Fatalf("%s: not a non-empty array", rw)
		}
		last, hasOpts := row[len(row)-1].(map[string]any)
		plain := row
		if hasOpts {
			plain = row[:len(row)-1]
			checkKeys(t, rw, last, "id", "label", "stat", "period", "visible", "yAxis", "color", "region", "expression", "accountId")
			if id, ok := last["id"].(string); ok {
				if !idRe.MatchString(id) || ids[id] {
					t.Errorf("%s: bad or duplicate id %q", rw, id)
				}
				ids[id] = true
			}
			if s, ok := last["stat"].(string); ok && !statRe.MatchString(s) {
				t.Errorf("%s: stat %q", rw, s)
			}
			if y, ok := last["yAxis"]; ok && y != "left" && y != "right" {
				t.Errorf("%s: yAxis %v", rw, y)
			}
		}
		if expr, ok := last["expression"].(string); hasOpts && ok {
			if len(row) != 1 {
				t.Errorf("%s: an expression row has only its options object", rw)
			}
			if _, ok := last["id"]; !ok {
				t.Errorf("%s: expression without id", rw)
			}
			exprs = append(exprs, expr)
			continue
		}
		// [Namespace, MetricName, (DimName, DimValue)*]
		if len(plain) < 2 || len(plain)%2 != 0 {
			t.Fatalf("%s: want namespace, name and dimension pairs, got %v", rw, row)
		}
		for _, v := range plain {
			s, ok := v.(string)
			if !ok || s == "" || s == "." || s == "..." {
				t.Errorf("%s: element %v must be a non-empty explicit string", rw, v)
			}
		}
	}
	for _, e := range exprs {
		if strings.HasPrefix(e, "SEARCH(") {
			if !strings.Contains(e, `Environment="`+n.Environment+`"`) {
				t.Errorf("%s: SEARCH not scoped to the environment: %s", where, e)
			}
			continue
		}
		for _, tok := range regexp.MustCompile(`\b[a-z][a-zA-Z0-9_]*\b`).FindAllString(e, -1) {
			if !ids[tok] && !slices.Contains([]string{"e"}, tok) {
				t.Errorf("%s: expression %q refers to unknown id %q", where, e, tok)
			}
		}
	}
}

func TestAlarms(t *testing.T) {
	alarms := dashboards.Alarms(names)
	ops := []string{"GreaterThanThreshold", "GreaterThanOrEqualToThreshold", "LessThanThreshold", "LessThanOrEqualToThreshold"}
	missing := []string{"notBreaching", "breaching", "ignore", "missing"}
	seen := map[string]bool{}
	for _, a := range alarms {
		if seen[a.Name] || a.Name == "" || len(a.Name) > 255 || !strings.HasPrefix(a.Name, "twin-production-") {
			t.Errorf("alarm name %q: empty, duplicate, too long or without the stack prefix", a.Name)
		}
		seen[a.Name] = true
		if a.Description == "" || len(a.Description) > 1024 {
			t.Errorf("%s: description length %d", a.Name, len(a.Description))
		}
		if !slices.Contains(ops, a.ComparisonOperator) || !slices.Contains(missing, a.TreatMissingData) {
			t.Errorf("%s: operator %q / missing data %q", a.Name, a.ComparisonOperator, a.TreatMissingData)
		}
		if a.EvaluationPeriods < 1 || a.DatapointsToAlarm < 1 || a.DatapointsToAlarm > a.EvaluationPeriods {
			t.Errorf("%s: %d of %d datapoints", a.Name, a.DatapointsToAlarm, a.EvaluationPeriods)
		}
		ids, returns := map[string]bool{}, 0
		for _, q := range a.Metrics {
			if !idRe.MatchString(q.ID) || ids[q.ID] {
				t.Errorf("%s: bad or duplicate id %q", a.Name, q.ID)
			}
			ids[q.ID] = true
			if q.ReturnData {
				returns++
			}
			if q.MetricName != "" && (q.Period%60 != 0 || q.Period == 0 || !statRe.MatchString(q.Stat) || q.Namespace == "" || len(q.Dimensions) == 0) {
				t.Errorf("%s/%s: metric needs namespace, dimensions, stat and a period multiple of 60: %+v", a.Name, q.ID, q)
			}
		}
		if returns != 1 {
			t.Errorf("%s: %d queries return data, want exactly 1", a.Name, returns)
		}
		for _, q := range a.Metrics {
			for _, tok := range regexp.MustCompile(`\b[a-z][a-zA-Z0-9_]*\b`).FindAllString(q.Expression, -1) {
				if !ids[tok] {
					t.Errorf("%s: expression %q refers to unknown id %q", a.Name, q.Expression, tok)
				}
			}
		}
	}
	// Lambda error rate > 5 %, API 5xx > 1 %, duration near each function's own timeout (30 s
	// buffered, 120 s streaming), S3 errors, throttles.
	for name, threshold := range map[string]float64{
		"lambda-http-error-rate": 5, "lambda-stream-error-rate": 5, "api-5xx-rate": 1,
		"lambda-http-duration": 25000, "lambda-stream-duration": 100000, "s3-memory-errors": 0,
		"lambda-throttles": 0, "llm-unavailable": 3,
	} {
		i := slices.IndexFunc(alarms, func(a dashboards.Alarm) bool { return a.Name == "twin-production-"+name })
		if i < 0 {
			t.Errorf("no alarm %s", name)
			continue
		}
		if alarms[i].Threshold != threshold {
			t.Errorf("%s: threshold %v, want %v", name, alarms[i].Threshold, threshold)
		}
	}
}

func TestMissingNames(t *testing.T) {
	if _, err := dashboards.Dashboard(dashboards.Names{Region: "eu-west-1"}); err == nil || !strings.Contains(err.Error(), "HTTPFunction") {
		t.Errorf("Dashboard with missing names: err = %v, want one naming HTTPFunction", err)
	}
	if a := dashboards.Alarms(dashboards.Names{}); a != nil {
		t.Errorf("Alarms with no names = %d alarms, want nil", len(a))
	}
}

func TestCustomLogGroups(t *testing.T) {
	n := names
	n.HTTPLogGroup, n.StreamLogGroup = "/twin/http", "/twin/stream"
	body, err := dashboards.Dashboard(n)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(body, "SOURCE '/twin/http' | SOURCE '/twin/stream'") {
		t.Error("custom log groups not used")
	}
}

// TestAlarmShapeIndependentOfNames: infra renders the alarm list once with placeholder names to
// declare the resources, then again with the real ones; the set and order must not change.
func TestAlarmShapeIndependentOfNames(t *testing.T) {
	other := dashboards.Names{Region: "us-east-1", Environment: names.Environment, HTTPFunction: "a", StreamFunction: "b",
		APIID: "c", MemoryBucket: "d", HTTPTimeout: time.Second, StreamTimeout: 900 * time.Second}
	a, b := dashboards.Alarms(names), dashboards.Alarms(other)
	if len(a) != len(b) {
		t.Fatalf("%d alarms vs %d", len(a), len(b))
	}
	for i := range a {
		if a[i].Name != b[i].Name || len(a[i].Metrics) != len(b[i].Metrics) {
			t.Errorf("alarm %d: %q (%d queries) vs %q (%d)", i, a[i].Name, len(a[i].Metrics), b[i].Name, len(b[i].Metrics))
		}
	}
}

// TestDurationAlarmPerFunction: each function's duration alarm follows its own timeout, so a
// streaming function with a long timeout does not alarm on every ordinary stream, and a short
// buffered one alarms before API Gateway gives up.
func TestDurationAlarmPerFunction(t *testing.T) {
	n := names
	n.HTTPTimeout, n.StreamTimeout = 12*time.Second, 300*time.Second
	got := map[string]float64{}
	for _, a := range dashboards.Alarms(n) {
		got[a.Name] = a.Threshold
	}
	if got["twin-production-lambda-http-duration"] != 10000 || got["twin-production-lambda-stream-duration"] != 250000 {
		t.Errorf("duration thresholds %v, want 10000 (http, 12 s timeout) and 250000 (stream, 300 s)", got)
	}
	body, err := dashboards.Dashboard(n)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`"value":10000`, `"value":250000`} {
		if !strings.Contains(body, want) {
			t.Errorf("the duration widget has no %s annotation", want)
		}
	}
	n.StreamTimeout = 0
	if _, err := dashboards.Dashboard(n); err == nil || !strings.Contains(err.Error(), "StreamTimeout") {
		t.Errorf("no stream timeout: err = %v, want one naming StreamTimeout", err)
	}
}
