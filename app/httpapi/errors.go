package httpapi

import (
	"log/slog"
	"math"
	"net/http"
	"strconv"

	"github.com/digitaltwin/twin/app/telemetry"
	"github.com/digitaltwin/twin/app/twin"
)

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

// writeError answers err with its code's status and a client-safe body; the cause goes only to
// the log (server errors with a stack).
func writeError(w http.ResponseWriter, r *http.Request, logger *slog.Logger, err error) {
	e := twin.AsError(err)
	if status := e.Code.HTTPStatus(); status >= 500 {
		telemetry.LogError(r.Context(), logger, "request failed", err)
	} else {
		logger.InfoContext(r.Context(), "request rejected", "error_code", string(e.Code), "status", status, "error", e.Error())
	}
	respondError(w, r, e)
}

// respondError writes the error body without logging: for chat turns, whose one error line the
// chat service has already written.
func respondError(w http.ResponseWriter, r *http.Request, e *twin.Error) {
	status := e.Code.HTTPStatus()
	msg := e.Message
	if status >= 500 && e.Code == twin.CodeInternal {
		msg = "something went wrong on our side; please try again"
	}
	if e.RetryAfter > 0 {
		w.Header().Set("Retry-After", strconv.Itoa(int(math.Ceil(e.RetryAfter.Seconds()))))
	}
	encode(w, status, errorBody{Error: errorDetail{
		Code: e.Code, Message: msg, CorrelationID: telemetry.CorrelationID(r.Context()), Fields: e.Fields,
	}})
}
