package telemetry_test

import (
	"bufio"
	"bytes"
	"encoding/hex"
	"net/http"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"
)

// TestTwinExportsOTLP runs the real app/cmd/twin binary with OTEL_TRACES_EXPORTER=otlp pointed at
// a tiny OTLP/HTTP receiver, sends one chat turn, stops the server, and checks the receiver got
// the turn's trace: the server span and the persona, memory and LLM spans under it.
func TestTwinExportsOTLP(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the server binary")
	}
	bin := filepath.Join(t.TempDir(), "twin")
	build := exec.Command("go", "build", "-o", bin, "github.com/digitaltwin/twin/app/cmd/twin")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	persona, _ := filepath.Abs("../../me.txt")
	rc := newReceiver(t)

	cmd := exec.Command(bin)
	cmd.Env = []string{
		"PORT=0", "HOST=127.0.0.1", "PERSONA_FILE=" + persona, "DATA_DIR=" + t.TempDir(),
		"FRONTEND_DIR=" + t.TempDir(), "OFFLINE_TOKEN_DELAY_MS=0", "LOG_LEVEL=info",
		"OTEL_TRACES_EXPORTER=otlp", "OTEL_EXPORTER_OTLP_ENDPOINT=" + rc.URL, "OTEL_SERVICE_NAME=twin-e2e",
	}
	var stdout bytes.Buffer
	cmd.Stdout = &stdout
	stderr, _ := cmd.StderrPipe()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = cmd.Process.Kill() }()

	addr := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stderr)
		re := regexp.MustCompile(`http://localhost:(\d+)`)
		for sc.Scan() {
			if m := re.FindStringSubmatch(sc.Text()); m != nil {
				addr <- "http://127.0.0.1:" + m[1]
			}
		}
	}()
	var base string
	select {
	case base = <-addr:
	case <-time.After(30 * time.Second):
		t.Fatalf("server did not start; stdout:\n%s", stdout.String())
	}

	req, _ := http.NewRequest("POST", base+"/api/chat", strings.NewReader(`{"message":"Where do you live?","session_id":"`+knownSession+`"}`))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Correlation-Id", "e2e-otlp-1")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 || resp.Header.Get("X-Correlation-Id") != "e2e-otlp-1" {
		t.Fatalf("status %d correlation %q", resp.StatusCode, resp.Header.Get("X-Correlation-Id"))
	}

	// Graceful stop: run's deferred tracing shutdown flushes the batch.
	_ = cmd.Process.Signal(syscall.SIGTERM)
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case <-done:
	case <-time.After(20 * time.Second):
		t.Fatal("server did not stop on SIGTERM")
	}

	spans := map[string]*tracepb.Span{}
	for _, s := range rc.Spans() {
		spans[s.Name] = s
	}
	server := spans["POST /api/chat"]
	if server == nil {
		t.Fatalf("receiver has no server span; got %d spans", len(rc.Spans()))
	}
	attrs := func(s *tracepb.Span) map[string]string {
		m := map[string]string{}
		for _, kv := range s.Attributes {
			v := kv.GetValue()
			switch {
			case v.GetStringValue() != "":
				m[kv.Key] = v.GetStringValue()
			default:
				m[kv.Key] = strings.TrimSpace(v.String())
			}
		}
		return m
	}
	if attrs(server)["twin.correlation_id"] != "e2e-otlp-1" || server.Kind != tracepb.Span_SPAN_KIND_SERVER {
		t.Errorf("server span attributes %v kind %v", attrs(server), server.Kind)
	}
	for _, name := range turnSpans {
		s := spans[name]
		if s == nil {
			t.Errorf("receiver has no %s span", name)
			continue
		}
		if !bytes.Equal(s.TraceId, server.TraceId) || !bytes.Equal(s.ParentSpanId, server.SpanId) {
			t.Errorf("%s is not a child of the server span", name)
		}
	}
	if llm := spans["llm.stream"]; llm != nil {
		a := attrs(llm)
		for _, k := range []string{"gen_ai.system", "gen_ai.request.model", "gen_ai.usage.input_tokens", "gen_ai.usage.output_tokens"} {
			if a[k] == "" {
				t.Errorf("llm.stream lacks %s: %v", k, a)
			}
		}
	}
	if got := rc.Resource()["service.name"]; got != "twin-e2e" {
		t.Errorf("service.name = %q", got)
	}
	// The server's log lines for the turn name the exported trace.
	traceID := hex.EncodeToString(server.TraceId)
	found := false
	for _, l := range parseLines(t, stdout.Bytes()) {
		if l["correlation_id"] == "e2e-otlp-1" {
			found = true
			if l["trace_id"] != traceID {
				t.Errorf("log line %q trace_id %v, want %s", l["msg"], l["trace_id"], traceID)
			}
		}
	}
	if !found {
		t.Errorf("no log line with the correlation id in:\n%s", stdout.String())
	}
}
