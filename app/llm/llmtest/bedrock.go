// Package llmtest holds a fake Bedrock runtime that speaks the real ConverseStream event stream,
// so the Bedrock provider's tests run the real SDK code path. (OpenAI's SSE fake is in the openai
// tests; the AWS fakes the whole twin uses are in twintest/fakeaws.)
package llmtest

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws/protocol/eventstream"
)

// Bedrock is a fake Bedrock runtime speaking ConverseStream: a restJson1 request, answered with
// an application/vnd.amazon.eventstream body of binary event-stream messages written by Handle.
// Unsigned requests get 403, as from Bedrock.
type Bedrock struct {
	URL string

	mu     sync.Mutex
	bodies []map[string]any
	paths  []string
}

// NewBedrock starts the fake; handle answers each request. It stops when t ends.
func NewBedrock(t testing.TB, handle func(w http.ResponseWriter, r *http.Request, ev *EventWriter)) *Bedrock {
	b := &Bedrock{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// Read the request to its end before answering, as Bedrock does: answering first lets
		// the SDK return and close the request body while net/http still writes it, which then
		// closes the connection under the stream.
		raw, _ := io.ReadAll(r.Body)
		var body map[string]any
		_ = json.Unmarshal(raw, &body)
		b.mu.Lock()
		b.bodies = append(b.bodies, body)
		b.paths = append(b.paths, r.URL.Path)
		b.mu.Unlock()
		if !strings.HasPrefix(r.Header.Get("Authorization"), "AWS4-HMAC-SHA256 ") {
			http.Error(w, "unsigned", http.StatusForbidden)
			return
		}
		handle(w, r, &EventWriter{w: w, enc: eventstream.NewEncoder()})
	}))
	t.Cleanup(srv.Close)
	b.URL = srv.URL
	return b
}

// Use points the AWS SDK at the fake for the rest of t, through the standard
// AWS_ENDPOINT_URL_BEDROCK_RUNTIME, with static credentials, one region and no profile or
// instance metadata (so nothing reaches for a real account).
func (b *Bedrock) Use(t *testing.T) {
	for k, v := range map[string]string{
		"AWS_ENDPOINT_URL_BEDROCK_RUNTIME": b.URL, "AWS_REGION": "us-east-1", "AWS_ACCESS_KEY_ID": "AKIDFAKE",
		"AWS_SECRET_ACCESS_KEY": "fake-secret", "AWS_CONFIG_FILE": os.DevNull, "AWS_SHARED_CREDENTIALS_FILE": os.DevNull,
		"AWS_PROFILE": "", "AWS_EC2_METADATA_DISABLED": "true",
	} {
		t.Setenv(k, v)
	}
}

// Requests returns the decoded request bodies and paths received so far.
func (b *Bedrock) Requests() (bodies []map[string]any, paths []string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]map[string]any(nil), b.bodies...), append([]string(nil), b.paths...)
}

// EventWriter writes ConverseStream events.
type EventWriter struct {
	w   http.ResponseWriter
	enc *eventstream.Encoder
}

func (s *EventWriter) write(messageType, typeHeader, typ string, payload any) {
	b, _ := json.Marshal(payload)
	msg := eventstream.Message{Payload: b}
	msg.Headers.Set(":message-type", eventstream.StringValue(messageType))
	msg.Headers.Set(typeHeader, eventstream.StringValue(typ))
	msg.Headers.Set(":content-type", eventstream.StringValue("application/json"))
	_ = s.enc.Encode(s.w, msg)
	s.w.(http.Flusher).Flush()
}

// Event writes one event of type typ (messageStart, contentBlockDelta, metadata...).
func (s *EventWriter) Event(typ string, payload any) { s.write("event", ":event-type", typ, payload) }

// Exception writes an in-stream exception (throttlingException, modelStreamErrorException...).
func (s *EventWriter) Exception(typ, message string) {
	s.write("exception", ":exception-type", typ, map[string]string{"message": message})
}

// Begin sends the 200 and messageStart.
func (s *EventWriter) Begin() {
	s.w.Header().Set("Content-Type", "application/vnd.amazon.eventstream")
	s.w.WriteHeader(http.StatusOK)
	s.Event("messageStart", map[string]any{"role": "assistant"})
}

// Delta sends one text delta.
func (s *EventWriter) Delta(text string) {
	s.Event("contentBlockDelta", map[string]any{"contentBlockIndex": 0, "delta": map[string]any{"text": text}})
}

// End closes the block and the message and sends the metadata event with usage.
func (s *EventWriter) End(in, out int) {
	s.Event("contentBlockStop", map[string]any{"contentBlockIndex": 0})
	s.Event("messageStop", map[string]any{"stopReason": "end_turn"})
	s.Event("metadata", map[string]any{
		"usage":   map[string]any{"inputTokens": in, "outputTokens": out, "totalTokens": in + out},
		"metrics": map[string]any{"latencyMs": 12},
	})
}

// DeltaAt sends one text delta of content block index.
func (s *EventWriter) DeltaAt(index int, text string) {
	s.Event("contentBlockDelta", map[string]any{"contentBlockIndex": index, "delta": map[string]any{"text": text}})
}

// BlockStop closes content block index.
func (s *EventWriter) BlockStop(index int) {
	s.Event("contentBlockStop", map[string]any{"contentBlockIndex": index})
}

// ToolUse streams a tool-use content block at index: its start (toolUseId and name), its input
// as the given pieces of JSON text, and its stop.
func (s *EventWriter) ToolUse(index int, id, name string, input ...string) {
	s.Event("contentBlockStart", map[string]any{"contentBlockIndex": index,
		"start": map[string]any{"toolUse": map[string]any{"toolUseId": id, "name": name}}})
	for _, piece := range input {
		s.Event("contentBlockDelta", map[string]any{"contentBlockIndex": index,
			"delta": map[string]any{"toolUse": map[string]any{"input": piece}}})
	}
	s.BlockStop(index)
}

// Stop ends the message with stopReason (end_turn, tool_use, max_tokens...) and sends the
// metadata event with usage.
func (s *EventWriter) Stop(reason string, in, out int) {
	s.Event("messageStop", map[string]any{"stopReason": reason})
	s.Event("metadata", map[string]any{
		"usage":   map[string]any{"inputTokens": in, "outputTokens": out, "totalTokens": in + out},
		"metrics": map[string]any{"latencyMs": 12},
	})
}
