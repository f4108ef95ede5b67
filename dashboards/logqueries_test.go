package dashboards_test

import (
	"bufio"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/digitaltwin/twin/app/config"
	"github.com/digitaltwin/twin/app/owner"
	"github.com/digitaltwin/twin/app/telemetry"
	"github.com/digitaltwin/twin/app/twintest"
	"github.com/digitaltwin/twin/app/wire"
	"github.com/digitaltwin/twin/dashboards"
)

// appOutput is what a real run of the app wrote, as Logs Insights would discover it.
type appOutput struct {
	lines []map[string]any            // every JSON line, EMF records included
	byMsg map[string][]map[string]any // the lines with each msg
	raw   string
}

// runApp runs the wired twin as production logs it (LOG_LEVEL=warn: only the event lines stay
// at info; redaction on), with the offline responder and file storage: turns about the persona
// and outside it, a lead, an unanswered question, feedback up and down, and a turn that fails.
// Requests carry a trace header as Lambda's do, so the trace ids are on the lines.
func runApp(t *testing.T) appOutput {
	t.Helper()
	data := t.TempDir()
	cfg, err := config.Load(func(k string) string {
		return map[string]string{
			"DATA_DIR": data, "PERSONA_FILE": "../me.txt", "LOG_LEVEL": "warn",
			"OFFLINE_TOKEN_DELAY_MS": "0", "OWNER_NOTIFY_WINDOW_SECONDS": "3600",
		}[k]
	})
	if err != nil {
		t.Fatal(err)
	}
	// As the app's run does: the propagators (tracing itself stays off without OTEL_* variables).
	shutdown, err := telemetry.SetupTracing(context.Background(), func(string) string { return "" }, "test")
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = shutdown(context.Background()) }()
	out := &twintest.Logs{}
	logger := telemetry.NewLogger(out, cfg.LogLevel, telemetry.RedactFor(cfg.Environment, cfg.LogLevel))
	app, err := wire.New(context.Background(), cfg, logger, out)
	if err != nil {
		t.Fatal(err)
	}
	defer app.Close()

	const sid = "22222222-2222-4222-8222-222222222222"
	post := func(path, body string, status int) string {
		t.Helper()
		r := httptest.NewRequest(http.MethodPost, path, strings.NewReader(body))
		r.Header.Set("Content-Type", "application/json")
		r.Header.Set("traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01")
		w := httptest.NewRecorder()
		app.Handler.ServeHTTP(w, r)
		if w.Code != status {
			t.Fatalf("POST %s %s: %d %s", path, body, w.Code, w.Body)
		}
		return w.Body.String()
	}
	// chat returns the stored reply's id.
	chat := func(sid, msg string, status int) string {
		t.Helper()
		body, _ := json.Marshal(map[string]string{"message": msg, "session_id": sid})
		var out struct {
			MessageID string `json:"message_id"`
		}
		_ = json.Unmarshal([]byte(post("/api/chat", string(body), status)), &out)
		return out.MessageID
	}
	first := chat(sid, "Where do you live?", 200)                   // 0, 1
	chat(sid, "I'd like to get in touch with you", 200)             // 2, 3
	chat(sid, "Sure: bob@example.com", 200)                         // 4, 5: a lead
	last := chat(sid, "What is your favourite football team?", 200) // 6, 7: an unanswered question
	post("/api/feedback", `{"session_id":"`+sid+`","message_id":"`+first+`","rating":"up"}`, http.StatusNoContent)
	post("/api/feedback", `{"session_id":"`+sid+`","message_id":"`+last+`","rating":"down","reason":"no answer"}`, http.StatusNoContent)
	// A damaged session file: the turn fails with an ERROR line, as a store outage would.
	const broken = "33333333-3333-4333-8333-333333333333"
	if err := os.WriteFile(filepath.Join(data, "sessions", broken+".json"), []byte("{"), 0o600); err != nil {
		t.Fatal(err)
	}
	chat(broken, "Hello?", http.StatusInternalServerError)
	app.Flush(context.Background())

	o := appOutput{byMsg: map[string][]map[string]any{}, raw: out.String()}
	sc := bufio.NewScanner(strings.NewReader(o.raw))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var line map[string]any
		if err := json.Unmarshal(sc.Bytes(), &line); err != nil {
			continue // a console span or another non-JSON line: Logs Insights discovers no fields
		}
		o.lines = append(o.lines, line)
		if msg, ok := line["msg"].(string); ok {
			o.byMsg[msg] = append(o.byMsg[msg], line)
		}
	}
	return o
}

// keys returns the union of the keys of lines.
func keys(lines []map[string]any) map[string]bool {
	k := map[string]bool{}
	for _, l := range lines {
		for f := range l {
			k[f] = true
		}
	}
	return k
}

// TestOwnerEventLines: the event lines the owner view reads are written in a production-like
// run, with the values the queries compare against, and without the visitor's email.
func TestOwnerEventLines(t *testing.T) {
	o := runApp(t)
	for _, msg := range []string{"chat turn", "lead recorded", "unanswered question recorded", "feedback recorded"} {
		if len(o.byMsg[msg]) == 0 {
			t.Errorf("no %q line in the app's output", msg)
		}
	}
	var about, outside int
	for _, l := range o.byMsg["chat turn"] {
		if topic, ok := l["topic"].(string); !ok {
			t.Errorf("chat turn without a string topic: %v", l)
		} else if topic == "" {
			outside++
		} else {
			about++
		}
	}
	if about == 0 || outside == 0 {
		t.Errorf("chat turns: %d about a persona section, %d outside; want both (the widget labels the latter %q)", about, outside, dashboards.NotInPersona)
	}
	if got, want := dashboards.RatingDown, string(owner.RatingDown); got != want {
		t.Errorf("dashboards.RatingDown = %q, want %q", got, want)
	}
	var down int
	for _, l := range o.byMsg["feedback recorded"] {
		if l["rating"] == dashboards.RatingDown {
			down++
		}
	}
	if down != 1 {
		t.Errorf("%d feedback lines with rating %q, want 1", down, dashboards.RatingDown)
	}
	if strings.Contains(o.raw, "bob@example.com") {
		t.Error("the visitor's email address is in the logs")
	}
}

var (
	literalRe = regexp.MustCompile(`'[^']*'|"[^"]*"`)
	equalsRe  = regexp.MustCompile(`\b(\w+)\s*=\s*'([^']*)'`)
	presentRe = regexp.MustCompile(`\bispresent\((\w+)\)`)
	aliasRe   = regexp.MustCompile(`(?i)\bas\s+(@?\w+)`)
	identRe   = regexp.MustCompile(`@?\b[A-Za-z_]\w*`)
	keywords  = []string{"source", "fields", "filter", "stats", "sort", "limit", "by", "as", "asc", "desc",
		"and", "or", "not", "in", "like", "display", "parse", "dedup"}
)

// queryFields returns the log fields a Logs Insights query reads: every identifier outside
// string literals that is not a command or keyword, a function name, an alias the query
// defines, or a discovered @field. (Numbers with a unit, as in bin(1d), are no identifiers.)
func queryFields(q string) []string {
	aliases := map[string]bool{}
	for _, m := range aliasRe.FindAllStringSubmatch(q, -1) {
		aliases[m[1]] = true
	}
	q = literalRe.ReplaceAllString(q, "''")
	var fields []string
	for _, loc := range identRe.FindAllStringIndex(q, -1) {
		id := q[loc[0]:loc[1]]
		rest := strings.TrimLeft(q[loc[1]:], " ")
		switch {
		case strings.HasPrefix(id, "@"), aliases[id], slices.Contains(keywords, strings.ToLower(id)),
			strings.HasPrefix(rest, "("):
			continue
		}
		fields = append(fields, id)
	}
	return fields
}

func TestQueryFields(t *testing.T) {
	got := queryFields(`SOURCE 'a' | filter msg = 'x y' and input_tokens + output_tokens > 0 | fields substr(concat(topic, '(not in)'), 0, strlen(topic)) as about | stats count(*) as n, pct(cost_usd, 90) by about, bin(1d) as day | stats sum(n) by day | sort n desc`)
	want := []string{"msg", "input_tokens", "output_tokens", "topic", "topic", "cost_usd"}
	if !slices.Equal(got, want) {
		t.Errorf("queryFields = %q, want %q", got, want)
	}
}

// selected returns the lines a query's filter keeps: those with every field = 'value' and
// ispresent(field) of the query (the queries here only AND them, before their first stats).
func selected(lines []map[string]any, q string) []map[string]any {
	q, _, _ = strings.Cut(q, "| stats")
	var out []map[string]any
	for _, l := range lines {
		ok := true
		for _, m := range equalsRe.FindAllStringSubmatch(q, -1) {
			ok = ok && l[m[1]] == m[2]
		}
		for _, m := range presentRe.FindAllStringSubmatch(q, -1) {
			_, has := l[m[1]]
			ok = ok && has
		}
		if ok {
			out = append(out, l)
		}
	}
	return out
}

// TestLogQueries: every field a Logs Insights widget reads is on the lines its filter keeps
// (msg = '…', level = '…', ispresent(…)), in a real run of the app.
func TestLogQueries(t *testing.T) {
	o := runApp(t)
	d := dashboard(t, names)
	n := 0
	for _, w := range d["widgets"].([]any) {
		w := w.(map[string]any)
		if w["type"] != "log" {
			continue
		}
		n++
		p := w["properties"].(map[string]any)
		title, q := p["title"].(string), p["query"].(string)
		for _, src := range []string{"/aws/lambda/" + names.HTTPFunction, "/aws/lambda/" + names.StreamFunction} {
			if !strings.Contains(q, "SOURCE '"+src+"'") {
				t.Errorf("%s: query does not read %s", title, src)
			}
		}
		lines := selected(o.lines, q)
		if len(lines) == 0 {
			t.Errorf("%s: no line the app writes passes the query's filter", title)
			continue
		}
		allowed := keys(lines)
		for _, f := range queryFields(q) {
			if !allowed[f] {
				t.Errorf("%s: query field %q is not on the lines its filter keeps", title, f)
			}
		}
	}
	if n < 8 {
		t.Errorf("%d Logs Insights widgets, want the 3 operational ones and the 5 of the owner view", n)
	}
}
