package faults

import (
	"net/http"
	"net/http/httptest"
	"sync/atomic"
)

// SecretsOutage is a Secrets Manager endpoint that is down: every call answers 500
// InternalServiceError in the service's JSON protocol, so the SDK's real retry path runs.
type SecretsOutage struct {
	*httptest.Server
	calls atomic.Int64
}

// NewSecretsOutage starts the outage on a loopback port; Close stops it.
func NewSecretsOutage() *SecretsOutage {
	o := &SecretsOutage{}
	o.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		o.calls.Add(1)
		w.Header().Set("Content-Type", "application/x-amz-json-1.1")
		w.Header().Set("X-Amzn-ErrorType", "InternalServiceError")
		w.WriteHeader(http.StatusInternalServerError)
		_, _ = w.Write([]byte(`{"__type":"InternalServiceError","message":"injected outage"}`))
	}))
	return o
}

// Calls is how many requests the outage answered.
func (o *SecretsOutage) Calls() int { return int(o.calls.Load()) }
