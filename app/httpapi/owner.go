package httpapi

import (
	"net/http"

	"github.com/digitaltwin/twin/app/owner"
	"github.com/digitaltwin/twin/app/telemetry"
)

// feedbackRequest is the body of POST /api/feedback.
type feedbackRequest struct {
	SessionID *string `json:"session_id"`
	MessageID *string `json:"message_id"`
	Rating    *string `json:"rating"`
	Reason    string  `json:"reason"`
}

// maxFeedbackBody caps a feedback body (a reason of 500 characters, escaped, and the rest).
const maxFeedbackBody = 8 << 10

// handleFeedback serves POST /api/feedback: a thumbs up or down (or "none", withdrawing it) on
// one of the twin's replies, with an optional reason. The latest rating of a reply counts.
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
		case req.MessageID == nil:
			return invalid("message_id", "is required")
		case req.Rating == nil:
			return invalid("rating", "is required")
		}
		r = r.WithContext(owner.WithClient(telemetry.WithSessionID(r.Context(), *req.SessionID), clientKey(r)))
		if _, err := d.Owner.RecordFeedback(r.Context(), owner.Feedback{
			SessionID: *req.SessionID, MessageID: *req.MessageID, Rating: owner.Rating(*req.Rating), Reason: req.Reason,
		}); err != nil {
			return err
		}
		w.WriteHeader(http.StatusNoContent)
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

// dismissQuestion serves POST /api/owner/questions/{id}/dismiss (behind ownerOnly): the owner
// takes an answered question off the unanswered list.
func dismissQuestion(d Deps) apiFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		if err := d.Owner.DismissQuestion(r.Context(), r.PathValue("id")); err != nil {
			return err
		}
		w.WriteHeader(http.StatusNoContent)
		return nil
	}
}
