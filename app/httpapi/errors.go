package httpapi

import (
	"context"
	"errors"
	"log/slog"
	"math"
	"net/http"
	"strconv"

	"github.com/digitaltwin/twin/app/telemetry"
	"github.com/digitaltwin/twin/app/twin"
)

// statuses is the one error code → HTTP status table.
var statuses = map[twin.Code]int{
	twin.CodeInvalidRequest:     http.StatusBadRequest,
	twin.CodeInvalidSessionID:   http.StatusBadRequest,
	twin.CodeMessageTooLong:     http.StatusRequestEntityTooLarge,
	twin.CodeSessionNotFound:    http.StatusNotFound,
	twin.CodeSessionFull:        http.StatusConflict,
	twin.CodeRateLimited:        http.StatusTooManyRequests,
	twin.CodePersonaUnavailable: http.StatusInternalServerError,
	twin.CodeLLMUnavailable:     http.StatusServiceUnavailable,
	twin.CodeInternal:           http.StatusInternalServerError,
	twin.CodeNotFound:           http.StatusNotFound,
	twin.CodeMethodNotAllowed:   http.StatusMethodNotAllowed,
	twin.CodeForbidden:          http.StatusForbidden,
}

// Status returns the HTTP status of an error code (500 for a code the table does not know).
func Status(c twin.Code) int {
	if s, ok := statuses[c]; ok {
		return s
	}
	return http.StatusInternalServerError
}

// errorBody is the one error shape of the API.
type errorBody struct {
	Error errorDetail `json:"error"`
}

type errorDetail struct {
	Code          twin.Code         `json:"code"`
	Message       string            `json:"message"`
	CorrelationID string            `json:"correlation_id"`
	Fields        map[string]string `json:"fields,omitempty"`
}

// apiFunc is an endpoint: it writes its own success response and returns its failure, which
// serve turns into the error response. Handlers never write error bodies or log failures.
type apiFunc func(w http.ResponseWriter, r *http.Request) error

// serve adapts an endpoint to http.Handler; its failures go through writeError.
func serve(logger *slog.Logger, h apiFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		tw := &trackingWriter{ResponseWriter: w}
		if err := h(tw, r); err != nil {
			writeError(tw, r, logger, err)
		}
	})
}

// writeError is the one error path: it logs err once, with its cause (server errors at ERROR with
// a stack), and answers with the code's status and a client-safe body. When the response has
// already begun (a stream that failed after its headers) the handler has told the client in the
// stream's own way, so only the log line is written.
func writeError(w http.ResponseWriter, r *http.Request, logger *slog.Logger, err error) {
	e := twin.AsError(err)
	status := Status(e.Code)
	ctx := r.Context()
	switch {
	case ctx.Err() != nil && errors.Is(err, context.Canceled):
		logger.InfoContext(ctx, "request canceled by the client", "error", err.Error())
	case status >= 500:
		telemetry.LogError(ctx, logger, "request failed", err)
	default:
		logger.InfoContext(ctx, "request rejected", "error_code", string(e.Code), "status", status, "error", e.Error())
	}
	if tw, ok := w.(*trackingWriter); ok && tw.wrote {
		return
	}
	msg := e.Message
	if e.Code == twin.CodeInternal {
		msg = "something went wrong on our side; please try again"
	}
	if e.RetryAfter > 0 {
		w.Header().Set("Retry-After", strconv.Itoa(int(math.Ceil(e.RetryAfter.Seconds()))))
	}
	encode(w, status, errorBody{Error: errorDetail{
		Code: e.Code, Message: msg, CorrelationID: telemetry.CorrelationID(ctx), Fields: e.Fields,
	}})
}

// trackingWriter remembers whether the response has begun. Unwrap lets http.ResponseController
// reach the underlying writer's Flush.
type trackingWriter struct {
	http.ResponseWriter
	wrote bool
}

func (t *trackingWriter) WriteHeader(status int) {
	t.wrote = true
	t.ResponseWriter.WriteHeader(status)
}

func (t *trackingWriter) Write(b []byte) (int, error) {
	t.wrote = true
	return t.ResponseWriter.Write(b)
}

// Unwrap returns the underlying writer.
func (t *trackingWriter) Unwrap() http.ResponseWriter { return t.ResponseWriter }
