package httpapi

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"time"

	"github.com/digitaltwin/twin/app/owner"
	"github.com/digitaltwin/twin/app/telemetry"
	"github.com/digitaltwin/twin/app/twin"
)

// feedbackRequest is the body of POST /api/feedback.
type feedbackRequest struct {
	SessionID    *string `json:"session_id"`
	MessageIndex *int    `json:"message_index"`
	Rating       *string `json:"rating"`
	Reason       string  `json:"reason"`
}

type feedbackResponse struct {
	SessionID    string       `json:"session_id"`
	MessageIndex int          `json:"message_index"`
	Rating       owner.Rating `json:"rating"`
	Timestamp    time.Time    `json:"timestamp"`
}

// maxFeedbackBody caps a feedback body (a reason of 500 characters, escaped, and the rest).
const maxFeedbackBody = 8 << 10

// handleFeedback serves POST /api/feedback: a thumbs up or down on one of the twin's replies.
// Rating the same reply again replaces the earlier rating.
func handleFeedback(d Deps) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if d.Owner == nil {
			writeError(w, r, d.Logger, twin.Errorf(twin.CodeNotFound, "no such API endpoint"))
			return
		}
		var req feedbackRequest
		dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxFeedbackBody))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&req); err != nil {
			writeError(w, r, d.Logger, decodeError(err))
			return
		}
		if err := dec.Decode(&struct{}{}); !errors.Is(err, io.EOF) {
			writeError(w, r, d.Logger, invalid("body", "must be a single JSON object"))
			return
		}
		switch {
		case req.SessionID == nil:
			writeError(w, r, d.Logger, invalid("session_id", "is required"))
			return
		case req.MessageIndex == nil:
			writeError(w, r, d.Logger, invalid("message_index", "is required"))
			return
		case req.Rating == nil:
			writeError(w, r, d.Logger, invalid("rating", "is required"))
			return
		}
		r = r.WithContext(telemetry.WithSessionID(r.Context(), *req.SessionID))
		f, err := d.Owner.RecordFeedback(r.Context(), owner.Feedback{
			SessionID: *req.SessionID, MessageIndex: *req.MessageIndex, Rating: owner.Rating(*req.Rating), Reason: req.Reason,
		})
		if err != nil {
			writeError(w, r, d.Logger, err)
			return
		}
		encode(w, http.StatusOK, feedbackResponse{SessionID: f.SessionID, MessageIndex: f.MessageIndex, Rating: f.Rating, Timestamp: f.Timestamp})
	})
}

// handleOwnerSummary serves GET /api/owner/summary to the owner only (local twin, or the owner
// token as a bearer token). Refusals look like an unknown endpoint.
func handleOwnerSummary(d Deps) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if d.Owner == nil {
			writeError(w, r, d.Logger, twin.Errorf(twin.CodeNotFound, "no such API endpoint"))
			return
		}
		if err := d.OwnerAccess.Check(r.Context(), r.Header.Get("Authorization")); err != nil {
			writeError(w, r, d.Logger, err)
			return
		}
		sum, err := d.Owner.Summary(r.Context())
		if err != nil {
			writeError(w, r, d.Logger, err)
			return
		}
		w.Header().Set("Cache-Control", "no-store")
		encode(w, http.StatusOK, sum)
	})
}
