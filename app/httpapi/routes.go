package httpapi

import "net/http"

// addRoutes registers every route of the twin in one place.
func addRoutes(mux *http.ServeMux, d Deps, sessions *sessionLimiter, shed *shedder) {
	maxBody := bodyLimit(d.Options.MaxMessageChars)
	mux.Handle("POST /api/chat", handleChat(d, sessions, shed, maxBody, false))
	mux.Handle("POST /api/chat/stream", handleChat(d, sessions, shed, maxBody, true))
	mux.Handle("GET /api/chat/history/{session_id}", handleHistory(d))
	mux.Handle("GET /api/persona", handlePersona(d))
	mux.Handle("GET /api/health", handleHealth(d.Options.Version))
	mux.Handle("POST /api/feedback", handleFeedback(d))
	mux.Handle("GET /api/owner/summary", ownerOnly(d, ownerSummary(d)))
	mux.Handle("POST /api/owner/questions/{id}/dismiss", ownerOnly(d, dismissQuestion(d)))
	mux.Handle("/api/", handleAPINotFound(d))
	mux.Handle("/", handleStatic(d.Options.FrontendDir))
}
