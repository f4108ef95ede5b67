package httpapi

import (
	"bufio"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"

	"github.com/digitaltwin/twin/app/chat"
	"github.com/digitaltwin/twin/app/llm/offline"
	"github.com/digitaltwin/twin/app/memory/filestore"
	"github.com/digitaltwin/twin/app/persona"
	"github.com/digitaltwin/twin/app/prompt"
	"github.com/digitaltwin/twin/app/twin"
	"github.com/digitaltwin/twin/app/twintest"
)

// env is one twin behind an httptest server, on a file store in a temp dir.
type env struct {
	srv      *httptest.Server
	handler  http.Handler // what srv serves, for requests a loopback test server cannot make
	dir      string       // MEMORY_DIR
	store    twin.Store
	provider twin.Provider
	logs     *twintest.Logs
}

type option func(*Deps)

func withProvider(p twin.Provider) option { return func(d *Deps) { d.Chat.Provider = p } }
func withPersona(p twin.PersonaSource) option {
	return func(d *Deps) { d.Chat.Persona = p; d.Persona = p }
}
func withRateLimit(n int) option { return func(d *Deps) { d.Options.RateLimitPerMinute = n } }
func withMaxMessages(n int) option {
	return func(d *Deps) { d.Chat.MaxSessionMessages = n }
}

func newEnv(t testing.TB, opts ...option) *env {
	t.Helper()
	dir := t.TempDir()
	store, err := filestore.New(dir + "/sessions")
	if err != nil {
		t.Fatal(err)
	}
	logs := &twintest.Logs{}
	logger := logs.Logger()
	src := persona.NewFileSource("../../me.txt", logger)
	d := Deps{
		Chat: &chat.Service{
			Persona: src, Store: store, Provider: offline.New(0), Budget: prompt.DefaultBudget,
			MaxSessionMessages: 500, Logger: logger,
		},
		Store: store, Persona: src, Logger: logger,
		Options: Options{
			Environment: "local", Version: "test", MaxMessageChars: 4000,
			CORSAllowedOrigins: []string{"http://localhost:3000"}, RateLimitPerMinute: 100000,
		},
	}
	for _, o := range opts {
		o(&d)
	}
	d.Store = d.Chat.Store
	h := NewServer(d)
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return &env{srv: srv, handler: h, dir: dir, store: d.Chat.Store, provider: d.Chat.Provider, logs: logs}
}

const sid = "11111111-1111-4111-8111-111111111111"

func (e *env) post(t testing.TB, path, body string, headers ...string) *http.Response {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, e.srv.URL+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	return e.send(t, req, headers...)
}

// send does req with the extra headers (name, value pairs; "Host" sets the Host header).
func (e *env) send(t testing.TB, req *http.Request, headers ...string) *http.Response {
	t.Helper()
	for i := 0; i+1 < len(headers); i += 2 {
		if headers[i] == "Host" {
			req.Host = headers[i+1]
			continue
		}
		req.Header.Set(headers[i], headers[i+1])
	}
	resp, err := e.srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { resp.Body.Close() })
	return resp
}

func (e *env) get(t testing.TB, path string) *http.Response {
	t.Helper()
	resp, err := e.srv.Client().Get(e.srv.URL + path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { resp.Body.Close() })
	return resp
}

func chatBody(message, sessionID string, stream bool) string {
	body := map[string]any{"message": message, "stream": stream}
	if sessionID != "" {
		body["session_id"] = sessionID
	}
	b, _ := json.Marshal(body)
	return string(b)
}

func decodeJSON[T any](t testing.TB, r io.Reader) T {
	t.Helper()
	var v T
	if err := json.NewDecoder(r).Decode(&v); err != nil {
		t.Fatalf("decode: %v", err)
	}
	return v
}

// events reads a UI message stream into its events, checking the framing.
func events(t testing.TB, r io.Reader) []map[string]any {
	t.Helper()
	var out []map[string]any
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	done := false
	for sc.Scan() {
		line := sc.Text()
		if line == "" {
			continue
		}
		data, ok := strings.CutPrefix(line, "data: ")
		if !ok {
			t.Fatalf("stream line %q is not a data line", line)
		}
		if data == "[DONE]" {
			done = true
			continue
		}
		var ev map[string]any
		if err := json.Unmarshal([]byte(data), &ev); err != nil {
			t.Fatalf("stream event %q: %v", data, err)
		}
		out = append(out, ev)
	}
	if !done {
		t.Fatalf("stream did not end with [DONE]; events %v", out)
	}
	return out
}

func deltas(evs []map[string]any) string {
	var b strings.Builder
	for _, ev := range evs {
		if ev["type"] == "text-delta" {
			b.WriteString(ev["delta"].(string))
		}
	}
	return b.String()
}

func types(evs []map[string]any) []string {
	var out []string
	for _, ev := range evs {
		if t := ev["type"].(string); len(out) == 0 || out[len(out)-1] != t {
			out = append(out, t)
		}
	}
	return out
}

func history(t testing.TB, e *env, id string) []twin.Message {
	t.Helper()
	resp := e.get(t, "/api/chat/history/"+id)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("history status %d", resp.StatusCode)
	}
	return decodeJSON[historyResponse](t, resp.Body).Messages
}

// files lists the sessions in the temp dir, to prove bad input touched nothing (the store's
// hidden files — a session's shadow, a write's temporary file — are not sessions).
func files(t testing.TB, dir string) []string {
	t.Helper()
	var out []string
	entries, err := os.ReadDir(dir + "/sessions")
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if !strings.HasPrefix(e.Name(), ".") {
			out = append(out, e.Name())
		}
	}
	top, _ := os.ReadDir(dir)
	if len(top) != 1 {
		t.Fatalf("unexpected entries next to the memory dir: %v", top)
	}
	return out
}
