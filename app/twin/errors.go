package twin

import (
	"errors"
	"fmt"
	"time"
)

// Code is one of the closed set of error codes the API returns (their statuses: app/httpapi,
// docs/decisions/0018).
type Code string

// The error codes. The HTTP layer maps each to its status (app/httpapi).
const (
	CodeInvalidRequest     Code = "invalid_request"
	CodeInvalidSessionID   Code = "invalid_session_id"
	CodeMessageTooLong     Code = "message_too_long"
	CodeSessionNotFound    Code = "session_not_found"
	CodeSessionFull        Code = "session_full"
	CodeRateLimited        Code = "rate_limited"
	CodePersonaUnavailable Code = "persona_unavailable"
	CodeLLMUnavailable     Code = "llm_unavailable"
	CodeInternal           Code = "internal"
	// Routing codes, for requests that match no endpoint.
	CodeNotFound         Code = "not_found"
	CodeMethodNotAllowed Code = "method_not_allowed"
	// CodeForbidden refuses a request the endpoint does not serve from where it came (the local
	// owner view asked from another machine or through another host name).
	CodeForbidden Code = "forbidden"
)

// Error is the application error: a code and a message safe for the client, optional field
// details and retry hint, and the wrapped cause, which only goes to the log.
type Error struct {
	Code       Code
	Message    string            // safe for the client
	Fields     map[string]string // per-field details for invalid_request
	RetryAfter time.Duration     // for rate_limited and llm_unavailable
	Err        error             // cause; never shown to the client
}

func (e *Error) Error() string {
	if e.Err != nil {
		return fmt.Sprintf("%s: %s: %v", e.Code, e.Message, e.Err)
	}
	return fmt.Sprintf("%s: %s", e.Code, e.Message)
}

func (e *Error) Unwrap() error { return e.Err }

// Errorf returns an *Error with code and a client-safe message.
func Errorf(code Code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// Wrap returns an *Error with code, a client-safe message and the cause err.
func Wrap(code Code, err error, message string) *Error {
	return &Error{Code: code, Message: message, Err: err}
}

// DefaultLLMRetryAfter is the retry hint of llm_unavailable when the model's server gave none.
const DefaultLLMRetryAfter = 5 * time.Second

// LLMUnavailable is the one llm_unavailable error: the model could not answer before its first
// token (cause says why, for the log). retryAfter is the server's hint; 0 means
// DefaultLLMRetryAfter.
func LLMUnavailable(cause error, retryAfter time.Duration) *Error {
	if retryAfter <= 0 {
		retryAfter = DefaultLLMRetryAfter
	}
	return &Error{Code: CodeLLMUnavailable, Message: "the twin cannot answer right now; please try again shortly", RetryAfter: retryAfter, Err: cause}
}

// ErrorCode returns the code of the first *Error in err's chain, or CodeInternal.
func ErrorCode(err error) Code {
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return CodeInternal
}

// AsError returns the *Error in err's chain, or an internal error wrapping err.
func AsError(err error) *Error {
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	return &Error{Code: CodeInternal, Message: "internal error", Err: err}
}
