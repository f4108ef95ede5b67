package openai

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"time"
)

// APIError is a non-2xx answer of the server.
type APIError struct {
	StatusCode int
	Type       string      // error.type, e.g. "rate_limit_exceeded", "invalid_request_error"
	Message    string      // error.message (never contains the key: servers do not echo it)
	Header     http.Header // for Retry-After
}

func (e *APIError) Error() string {
	if e.Type != "" {
		return fmt.Sprintf("HTTP %d %s: %s", e.StatusCode, e.Type, e.Message)
	}
	return fmt.Sprintf("HTTP %d: %s", e.StatusCode, e.Message)
}

// post sends the request and returns the streaming response. Before any byte of the reply it
// retries connection errors and 408/409/429/5xx up to MaxRetries times, waiting the server's
// Retry-After when it is short, else a jittered backoff; a server asking for more than 2 s is
// not retried (the visitor gets 503 with that Retry-After instead).
func (p *Provider) post(ctx context.Context, key string, body []byte) (*http.Response, error) {
	for attempt := 0; ; attempt++ {
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, p.endpoint, bytes.NewReader(body))
		if err != nil {
			return nil, err
		}
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Accept", "text/event-stream")
		req.Header.Set("Authorization", "Bearer "+key)
		resp, err := p.client.Do(req)
		if err == nil && resp.StatusCode >= 200 && resp.StatusCode < 300 {
			return resp, nil
		}
		var wait time.Duration
		switch {
		case err != nil:
			if ctx.Err() != nil {
				return nil, err
			}
		default:
			err = readAPIError(resp)
			if !retryable(resp.StatusCode) {
				return nil, err
			}
			if hint, ok := parseRetryAfter(resp.Header, time.Now()); ok {
				if hint > maxRetryDelay {
					return nil, err
				}
				wait = max(hint, time.Millisecond)
			}
		}
		if attempt >= p.cfg.MaxRetries {
			return nil, err
		}
		if wait == 0 {
			wait = time.Duration(rand.Int64N(int64(retryBaseDelay << attempt)))
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil, err
		case <-t.C:
		}
	}
}

func retryable(status int) bool {
	return status == http.StatusRequestTimeout || status == http.StatusConflict ||
		status == http.StatusTooManyRequests || status >= 500
}

// readAPIError reads an error answer: {"error": {"message", "type", ...}} from OpenAI and most
// compatible servers, else the start of the body as text.
func readAPIError(resp *http.Response) *APIError {
	defer resp.Body.Close()
	raw, _ := io.ReadAll(io.LimitReader(resp.Body, 16<<10))
	e := &APIError{StatusCode: resp.StatusCode, Header: resp.Header}
	var doc struct {
		Error json.RawMessage `json:"error"`
	}
	if json.Unmarshal(raw, &doc) == nil && len(doc.Error) > 0 {
		var obj struct{ Message, Type string }
		if json.Unmarshal(doc.Error, &obj) == nil && obj.Message != "" {
			e.Message, e.Type = obj.Message, obj.Type
			return e
		}
		var str string
		if json.Unmarshal(doc.Error, &str) == nil { // Ollama: {"error": "model not found"}
			e.Message = str
			return e
		}
	}
	e.Message = string(bytes.TrimSpace(raw[:min(len(raw), 200)]))
	if e.Message == "" {
		e.Message = http.StatusText(resp.StatusCode)
	}
	return e
}
