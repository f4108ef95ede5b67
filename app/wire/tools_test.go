package wire_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/digitaltwin/twin/app/config"
	"github.com/digitaltwin/twin/app/twintest"
	"github.com/digitaltwin/twin/app/wire"
)

// TestModelRefusingToolsIsCountedAndLogged: through the wired twin, an OpenAI-compatible
// server whose model has no tools (Ollama's 400) still answers the visitor, and the refusal is
// a warning and ToolsRefused = 1 on the turn's EMF record, so the owner sees that leads and
// questions are not being recorded.
func TestModelRefusingToolsIsCountedAndLogged(t *testing.T) {
	model := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var body map[string]any
		_ = json.NewDecoder(r.Body).Decode(&body)
		if body["tools"] != nil {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusBadRequest)
			fmt.Fprint(w, `{"error":{"message":"registry.ollama.ai/library/gemma:2b does not support tools","type":"api_error"}}`)
			return
		}
		w.Header().Set("Content-Type", "text/event-stream")
		fmt.Fprint(w, "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"I live in Gothenburg.\"},\"finish_reason\":\"stop\"}]}\n\ndata: [DONE]\n\n")
	}))
	defer model.Close()
	env := map[string]string{
		"DATA_DIR": t.TempDir(), "PERSONA_FILE": "../../me.txt",
		"LLM_PROVIDER": "openai", "OPENAI_BASE_URL": model.URL + "/v1", "OPENAI_MODEL": "gemma:2b", "OPENAI_API_KEY": "ollama",
	}
	cfg, err := config.Load(func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	logs, metrics := &twintest.Logs{}, &twintest.Logs{}
	app, err := wire.New(context.Background(), cfg, logs.Logger(), metrics)
	if err != nil {
		t.Fatal(err)
	}
	defer app.Close()
	srv := httptest.NewServer(app.Handler)
	defer srv.Close()

	resp, err := http.Post(srv.URL+"/api/chat", "application/json", strings.NewReader(`{"message":"Where do you live?"}`))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("chat: %d", resp.StatusCode)
	}
	if !strings.Contains(logs.String(), `"level":"WARN","msg":"the model refused tools`) {
		t.Errorf("no warning: %s", logs.String())
	}
	var refused []any
	for _, line := range metrics.Lines(t) {
		if _, ok := line["_aws"]; ok {
			refused = append(refused, line["ToolsRefused"])
		}
	}
	if len(refused) != 1 || refused[0] != 1.0 {
		t.Fatalf("ToolsRefused on the turn's EMF records: %v, want [1]", refused)
	}
}
