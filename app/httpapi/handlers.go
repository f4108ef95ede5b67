package httpapi

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/digitaltwin/twin/app/chat"
	"github.com/digitaltwin/twin/app/owner"
	"github.com/digitaltwin/twin/app/telemetry"
	"github.com/digitaltwin/twin/app/twin"
)

// chatRequest is the body of POST /api/chat. Pointers tell absent from empty.
type chatRequest struct {
	Message   *string `json:"message"`
	SessionID *string `json:"session_id"`
	Stream    *bool   `json:"stream"`
}

type chatResponse struct {
	Response  string    `json:"response"`
	SessionID string    `json:"session_id"`
	MessageID string    `json:"message_id"` // the stored reply's id
	Timestamp time.Time `json:"timestamp"`
}

// bodyLimit caps a chat body: the longest message in 4-byte runes, JSON-escaped at worst
// (\uXXXX\uXXXX per rune), plus room for the other fields.
func bodyLimit(maxChars int) int64 {
	return int64(maxChars)*12 + 4096
}

// handleChat serves POST /api/chat (JSON unless streaming is asked for) and, with alwaysStream,
// POST /api/chat/stream.
func handleChat(d Deps, sessions *sessionLimiter, shed *shedder, maxBody int64, alwaysStream bool) http.Handler {
	return serve(d.Logger, func(w http.ResponseWriter, r *http.Request) error {
		req, err := decode[chatRequest](w, r, maxBody)
		if err != nil {
			return err
		}
		if err := req.validate(d.Options.MaxMessageChars); err != nil {
			return err
		}
		stream := alwaysStream || (req.Stream != nil && *req.Stream) || acceptsEventStream(r)
		turn := chat.Request{Message: strings.TrimSpace(*req.Message), Streamed: stream, ReplyID: twin.NewMessageID()}
		client, asked := clientKey(r), ""
		if req.SessionID != nil {
			asked = *req.SessionID
		}
		if ok, wait := sessions.allow(client, asked); !ok {
			return &twin.Error{
				Code: twin.CodeRateLimited, RetryAfter: wait,
				Message: "too many new conversations from your address; please continue an existing one or try again later",
			}
		}
		if !shed.acquire() {
			return &twin.Error{
				Code: twin.CodeLLMUnavailable, RetryAfter: shedRetryAfter,
				Message: "the twin is answering many visitors right now; please try again in a moment",
			}
		}
		defer shed.release()
		if asked == "" {
			turn.SessionID, turn.New = twin.NewSessionID(), true
			sessions.remember(client, turn.SessionID)
		} else {
			turn.SessionID = asked
		}
		r = r.WithContext(owner.WithClient(telemetry.WithSessionID(r.Context(), turn.SessionID), client))
		if !stream {
			res, err := d.Chat.Turn(r.Context(), turn, func(string) error { return nil })
			if err != nil {
				return err
			}
			encode(w, http.StatusOK, chatResponse{Response: res.Reply, SessionID: res.SessionID, MessageID: res.MessageID, Timestamp: res.Timestamp})
			return nil
		}
		s := newUIStream(w, turn.SessionID, turn.ReplyID)
		if _, err := d.Chat.Turn(r.Context(), turn, s.delta); err != nil {
			if s.started {
				// Headers are out: the failure goes in the stream; serve only logs it.
				s.fail(twin.AsError(err))
			}
			return err
		}
		s.finish()
		return nil
	})
}

// decode reads a body of at most maxBody bytes holding exactly one JSON object of type T, strictly:
// unknown fields, wrong types, bad syntax and trailing data are invalid_request naming the field,
// an oversized body is message_too_long.
func decode[T any](w http.ResponseWriter, r *http.Request, maxBody int64) (T, error) {
	var v T
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxBody))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&v); err != nil {
		return v, decodeError(err)
	}
	if err := dec.Decode(&struct{}{}); !errors.Is(err, io.EOF) {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return v, decodeError(err)
		}
		return v, invalid("body", "must be a single JSON object")
	}
	return v, nil
}

// validate checks a decoded chat body. Validation happens here, at the edge: what passes has a
// non-empty trimmed message within the limit and an absent or canonical session id.
func (req chatRequest) validate(maxChars int) error {
	switch {
	case req.Message == nil:
		return invalid("message", "is required")
	case strings.ContainsRune(*req.Message, 0):
		return invalid("message", "must not contain NUL characters")
	case strings.TrimSpace(*req.Message) == "":
		return invalid("message", "must not be empty")
	case utf8.RuneCountInString(strings.TrimSpace(*req.Message)) > maxChars:
		return twin.Errorf(twin.CodeMessageTooLong, "message is longer than %d characters", maxChars)
	}
	if req.SessionID != nil && !twin.ValidSessionID(*req.SessionID) {
		return twin.Errorf(twin.CodeInvalidSessionID, "session_id must be null or a lowercase UUID")
	}
	return nil
}

func decodeError(err error) error {
	var (
		tooBig  *http.MaxBytesError
		typeErr *json.UnmarshalTypeError
		syntax  *json.SyntaxError
	)
	switch {
	case errors.As(err, &tooBig):
		return twin.Errorf(twin.CodeMessageTooLong, "request body is larger than %d bytes", tooBig.Limit)
	case errors.As(err, &typeErr):
		field := typeErr.Field
		if field == "" {
			return invalid("body", "must be a JSON object")
		}
		return invalid(field, "has the wrong type")
	case errors.As(err, &syntax), errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, io.EOF):
		return invalid("body", "must be valid JSON")
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		name := strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`)
		return invalid(name, "is not a known field")
	default:
		return invalid("body", "could not be read")
	}
}

func invalid(field, problem string) error {
	return &twin.Error{Code: twin.CodeInvalidRequest, Message: fmt.Sprintf("%s %s", field, problem), Fields: map[string]string{field: problem}}
}

func acceptsEventStream(r *http.Request) bool {
	return strings.Contains(r.Header.Get("Accept"), "text/event-stream")
}

type historyResponse struct {
	SessionID string         `json:"session_id"`
	Messages  []twin.Message `json:"messages"`
}

func handleHistory(d Deps) http.Handler {
	return serve(d.Logger, func(w http.ResponseWriter, r *http.Request) error {
		id, r, err := pathSession(r)
		if err != nil {
			return err
		}
		sess, err := d.Store.Get(r.Context(), id)
		if err != nil {
			return err
		}
		if sess.Messages == nil {
			sess.Messages = []twin.Message{}
		}
		encode(w, http.StatusOK, historyResponse{SessionID: id, Messages: sess.Messages})
		return nil
	})
}

// handleDeleteHistory serves DELETE /api/chat/history/{session_id}: the visitor's conversation
// and every stored copy of it are removed (docs/privacy.md).
func handleDeleteHistory(d Deps) http.Handler {
	return serve(d.Logger, func(w http.ResponseWriter, r *http.Request) error {
		id, r, err := pathSession(r)
		if err != nil {
			return err
		}
		if err := d.Store.Delete(r.Context(), id); err != nil {
			return err
		}
		d.Logger.InfoContext(r.Context(), "conversation deleted by the visitor")
		w.WriteHeader(http.StatusNoContent)
		return nil
	})
}

// pathSession returns the request's {session_id}, validated, and the request with the id in its
// context for the log lines.
func pathSession(r *http.Request) (string, *http.Request, error) {
	id := r.PathValue("session_id")
	if !twin.ValidSessionID(id) {
		return "", r, twin.Errorf(twin.CodeInvalidSessionID, "session_id must be a lowercase UUID")
	}
	return id, r.WithContext(telemetry.WithSessionID(r.Context(), id)), nil
}

type personaResponse struct {
	Name     string   `json:"name"`
	Greeting string   `json:"greeting"`
	Starters []string `json:"starters"`
}

func handlePersona(d Deps) http.Handler {
	return serve(d.Logger, func(w http.ResponseWriter, r *http.Request) error {
		p, err := d.Persona.Persona(r.Context())
		if err != nil {
			return err
		}
		encode(w, http.StatusOK, personaResponse{Name: p.Name, Greeting: p.Greeting, Starters: p.Starters})
		return nil
	})
}

func handleHealth(version string) http.Handler {
	body := map[string]string{"status": "healthy", "version": version}
	return http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		encode(w, http.StatusOK, body)
	})
}

func handleAPINotFound(d Deps) http.Handler {
	return serve(d.Logger, func(w http.ResponseWriter, r *http.Request) error {
		if methods := allowedMethods(r.URL.Path); len(methods) > 0 {
			w.Header().Set("Allow", strings.Join(methods, ", "))
			return twin.Errorf(twin.CodeMethodNotAllowed, "%s is not allowed here; use %s", r.Method, strings.Join(methods, " or "))
		}
		return errNoEndpoint
	})
}

// errNoEndpoint answers a path the API does not serve (and endpoints that are turned off).
var errNoEndpoint = twin.Errorf(twin.CodeNotFound, "no such API endpoint")

// encode writes v as JSON with status.
func encode(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}
