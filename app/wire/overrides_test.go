package wire_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/digitaltwin/twin/app/memory/memstore"
	"github.com/digitaltwin/twin/app/twin"
	"github.com/digitaltwin/twin/app/twintest"
	"github.com/digitaltwin/twin/app/twintest/served"
	"github.com/digitaltwin/twin/app/wire"
)

// The wired twin runs on the adapters and HTTP limits it is given in place of the configured
// ones: the given provider answers, the given store keeps the turn, the given persona is served,
// and a new session past the given cap is refused with 429.
func TestOverrides(t *testing.T) {
	store := memstore.New()
	provider := &twintest.Provider{StreamFunc: func(_ context.Context, _ twin.GenerateRequest, emit func(string) error) (twin.Usage, error) {
		return twin.Usage{InputTokens: 1, OutputTokens: 2}, emit("the given provider")
	}}
	_, srv := served.ServeWith(t, map[string]string{"DATA_DIR": t.TempDir(), "RATE_LIMIT_PER_MINUTE": "1000"}, served.With{
		Overrides: wire.Overrides{
			Store:          store,
			Persona:        twintest.StaticPersona(twin.Persona{Name: "Given Persona", Text: "I am the given persona."}),
			Provider:       provider,
			MaxNewSessions: 2,
		},
	})
	get := func(resp *http.Response, err error) (int, string) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	if code, body := get(http.Get(srv.URL + "/api/persona")); code != 200 || !strings.Contains(body, `"Given Persona"`) {
		t.Errorf("GET /api/persona → %d %s, want the given persona", code, body)
	}
	var codes []int
	for i := range 3 {
		body := fmt.Sprintf(`{"message":"hi","session_id":"00000000-0000-4000-8000-%012d"}`, i)
		code, reply := get(http.Post(srv.URL+"/api/chat", "application/json", strings.NewReader(body)))
		if code == 200 && !strings.Contains(reply, "the given provider") {
			t.Errorf("reply %s, want the given provider's", reply)
		}
		codes = append(codes, code)
	}
	if codes[0] != 200 || codes[1] != 200 || codes[2] != http.StatusTooManyRequests {
		t.Errorf("three new sessions with MaxNewSessions 2 → %v, want [200 200 429]", codes)
	}
	sess, err := store.Get(context.Background(), "00000000-0000-4000-8000-000000000000")
	if err != nil || len(sess.Messages) != 2 || sess.Messages[1].Content != "the given provider" {
		t.Errorf("given store holds %+v, %v; want the turn", sess.Messages, err)
	}
}
