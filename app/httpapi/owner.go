package httpapi

import (
	"net/http"
	"time"

	"github.com/digitaltwin/twin/app/owner"
	"github.com/digitaltwin/twin/app/telemetry"
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
	return serve(d.Logger, func(w http.ResponseWriter, r *http.Request) error {
		if d.Owner == nil {
			return errNoEndpoint
		}
		req, err := decode[feedbackRequest](w, r, maxFeedbackBody)
		if err != nil {
			return err
		}
		switch {
		case req.SessionID == nil:
			return invalid("session_id", "is required")
		case req.MessageIndex == nil:
			return invalid("message_index", "is required")
		case req.Rating == nil:
			return invalid("rating", "is required")
		}
		r = r.WithContext(telemetry.WithSessionID(r.Context(), *req.SessionID))
		f, err := d.Owner.RecordFeedback(r.Context(), owner.Feedback{
			SessionID: *req.SessionID, MessageIndex: *req.MessageIndex, Rating: owner.Rating(*req.Rating), Reason: req.Reason,
		})
		if err != nil {
			return err
		}
		encode(w, http.StatusOK, feedbackResponse{SessionID: f.SessionID, MessageIndex: f.MessageIndex, Rating: f.Rating, Timestamp: f.Timestamp})
		return nil
	})
}

// ownerOnly lets through to next only the owner: the owner token as a bearer token, or on a
// local twin a request from this machine. Outside local a refusal looks like an unknown
// endpoint; owner answers are never cached.
func ownerOnly(d Deps, next apiFunc) http.Handler {
	return serve(d.Logger, func(w http.ResponseWriter, r *http.Request) error {
		if d.Owner == nil {
			return errNoEndpoint
		}
		if err := d.OwnerAccess.Check(r.Context(), r.Header.Get("Authorization"), fromThisMachine(r)); err != nil {
			return err
		}
		w.Header().Set("Cache-Control", "no-store")
		return next(w, r)
	})
}

// ownerSummary serves GET /api/owner/summary (behind ownerOnly).
func ownerSummary(d Deps) apiFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		sum, err := d.Owner.Summary(r.Context())
		if err != nil {
			return err
		}
		encode(w, http.StatusOK, sum)
		return nil
	}
}
