package fakeaws

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
)

// SecretsManager is a fake Secrets Manager serving GetSecretValue for one secret, in the
// service's JSON protocol.
type SecretsManager struct {
	URL string

	mu    sync.Mutex
	id    string
	value string
	more  map[string]string // further secrets (Put)
	calls int
	fail  int  // answer the next fail calls with AccessDeniedException
	down  bool // answer every call with 500 InternalServiceError (an outage)
}

// NewSecretsManager starts a fake holding secret id = value; it stops when t ends.
func NewSecretsManager(t testing.TB, id, value string) *SecretsManager {
	sm := &SecretsManager{id: id, value: value}
	srv := httptest.NewServer(http.HandlerFunc(sm.serve))
	t.Cleanup(srv.Close)
	sm.URL = srv.URL
	return sm
}

// Set replaces the secret's value (a rotation).
func (sm *SecretsManager) Set(value string) {
	sm.mu.Lock()
	defer sm.mu.Unlock()
	sm.value = value
}

// Put adds (or replaces) another secret the fake serves.
func (sm *SecretsManager) Put(id, value string) {
	sm.mu.Lock()
	defer sm.mu.Unlock()
	if sm.more == nil {
		sm.more = map[string]string{}
	}
	sm.more[id] = value
}

// Calls returns how many GetSecretValue calls arrived.
func (sm *SecretsManager) Calls() int {
	sm.mu.Lock()
	defer sm.mu.Unlock()
	return sm.calls
}

// FailNext makes the next n calls fail with AccessDeniedException.
func (sm *SecretsManager) FailNext(n int) {
	sm.mu.Lock()
	defer sm.mu.Unlock()
	sm.fail = n
}

// Down makes every call answer 500 InternalServiceError (an outage, which the SDK retries), or
// ends the outage.
func (sm *SecretsManager) Down(down bool) {
	sm.mu.Lock()
	defer sm.mu.Unlock()
	sm.down = down
}

func (sm *SecretsManager) serve(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	if got := r.Header.Get("X-Amz-Target"); got != "secretsmanager.GetSecretValue" {
		w.WriteHeader(http.StatusBadRequest)
		fmt.Fprintf(w, `{"__type":"UnknownOperationException","message":"unexpected target %q"}`, got)
		return
	}
	if r.Header.Get("Authorization") == "" {
		w.WriteHeader(http.StatusBadRequest)
		fmt.Fprint(w, `{"__type":"MissingAuthenticationTokenException","message":"unsigned request"}`)
		return
	}
	var in struct{ SecretId string }
	raw, _ := io.ReadAll(r.Body) // the whole request before answering, as AWS does
	if err := json.Unmarshal(raw, &in); err != nil {
		w.WriteHeader(http.StatusBadRequest)
		fmt.Fprint(w, `{"__type":"InvalidRequestException","message":"bad body"}`)
		return
	}
	sm.mu.Lock()
	sm.calls++
	fail := sm.fail > 0
	if fail {
		sm.fail--
	}
	id, value, down := sm.id, sm.value, sm.down
	if v, ok := sm.more[in.SecretId]; ok {
		id, value = in.SecretId, v
	}
	sm.mu.Unlock()
	switch {
	case down:
		w.Header().Set("X-Amzn-ErrorType", "InternalServiceError")
		w.WriteHeader(http.StatusInternalServerError)
		fmt.Fprint(w, `{"__type":"InternalServiceError","message":"injected outage"}`)
	case fail:
		w.WriteHeader(http.StatusBadRequest)
		fmt.Fprint(w, `{"__type":"AccessDeniedException","message":"not authorized to perform secretsmanager:GetSecretValue"}`)
	case in.SecretId != id:
		w.WriteHeader(http.StatusBadRequest)
		fmt.Fprint(w, `{"__type":"ResourceNotFoundException","message":"Secrets Manager can't find the specified secret."}`)
	default:
		_ = json.NewEncoder(w).Encode(map[string]any{
			"ARN":          "arn:aws:secretsmanager:us-east-1:123456789012:secret:" + id,
			"Name":         id,
			"SecretString": value,
			"VersionId":    "v1",
		})
	}
}
