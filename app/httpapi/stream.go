package httpapi

import (
	"encoding/json"
	"errors"
	"net/http"

	"github.com/digitaltwin/twin/app/twin"
)

// uiStream writes the AI SDK UI message stream v1 over SSE: start, text-start, text-delta…,
// text-end, finish, [DONE]. Headers go out with the first delta, so a failure before the model's
// first token can still be a plain JSON error with its status.
type uiStream struct {
	w         http.ResponseWriter
	rc        *http.ResponseController
	sessionID string
	messageID string // the reply's stored id
	started   bool
	broken    bool // the client has gone; stop writing
}

// textID is the id of the one text part of a reply.
const textID = "text-1"

func newUIStream(w http.ResponseWriter, sessionID, messageID string) *uiStream {
	return &uiStream{w: w, rc: http.NewResponseController(w), sessionID: sessionID, messageID: messageID}
}

type streamEvent struct {
	Type            string         `json:"type"`
	ID              string         `json:"id,omitempty"`
	Delta           string         `json:"delta,omitempty"`
	MessageID       string         `json:"messageId,omitempty"`
	MessageMetadata map[string]any `json:"messageMetadata,omitempty"`
	ErrorText       string         `json:"errorText,omitempty"`
}

func (s *uiStream) start() {
	if s.started {
		return
	}
	s.started = true
	h := s.w.Header()
	h.Set("Content-Type", "text/event-stream; charset=utf-8")
	h.Set("Cache-Control", "no-cache")
	h.Set("Connection", "keep-alive")
	h.Set("X-Accel-Buffering", "no")
	h.Set("x-vercel-ai-ui-message-stream", "v1")
	h.Set("X-Session-Id", s.sessionID)
	s.w.WriteHeader(http.StatusOK)
	s.event(streamEvent{Type: "start", MessageID: s.messageID, MessageMetadata: map[string]any{"session_id": s.sessionID}})
	s.event(streamEvent{Type: "text-start", ID: textID})
}

// delta sends one text delta; an error means the client is gone and generation should stop.
func (s *uiStream) delta(d string) error {
	s.start()
	return s.event(streamEvent{Type: "text-delta", ID: textID, Delta: d})
}

func (s *uiStream) finish() {
	s.start()
	s.event(streamEvent{Type: "text-end", ID: textID})
	s.event(streamEvent{Type: "finish"})
	s.done()
}

// fail ends a started stream with an error event carrying only the client-safe message.
func (s *uiStream) fail(e *twin.Error) {
	s.event(streamEvent{Type: "error", ErrorText: e.Message})
	s.done()
}

func (s *uiStream) event(ev streamEvent) error {
	data, _ := json.Marshal(ev) // only strings and maps of strings: cannot fail
	return s.write("data: " + string(data) + "\n\n")
}

func (s *uiStream) done() { _ = s.write("data: [DONE]\n\n") }

// errClientGone stops a reply once a write to the client has failed.
var errClientGone = errors.New("the client has gone: the stream cannot be written")

func (s *uiStream) write(frame string) error {
	if s.broken {
		return errClientGone
	}
	if _, err := s.w.Write([]byte(frame)); err != nil {
		s.broken = true
		return err
	}
	if err := s.rc.Flush(); err != nil {
		s.broken = true
		return err
	}
	return nil
}
