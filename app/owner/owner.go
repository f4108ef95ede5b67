// Package owner is what the twin does for its owner beyond chatting: it records leads (a visitor
// who wants to get in touch and left an email), questions it could not answer from the persona,
// and visitors' feedback on replies; it notifies the owner of new leads and questions (batched,
// never blocking a visitor); and it aggregates all of it for the owner view.
//
// Records are small JSON objects under three prefixes of one Blobs store — leads/, questions/,
// feedback/ — in the memory bucket on AWS and next to the sessions directory locally.
package owner

import (
	"context"
	"errors"
	"fmt"
	"net/mail"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/digitaltwin/twin/app/twin"
)

// Lead is a visitor who asked to be put in touch, with consent.
type Lead struct {
	SessionID string    `json:"session_id"`
	Email     string    `json:"email"`
	Name      string    `json:"name,omitempty"`
	Note      string    `json:"note,omitempty"`
	Timestamp time.Time `json:"timestamp"`
}

// Question is a visitor question the twin could not answer from the persona.
type Question struct {
	SessionID string    `json:"session_id"`
	Question  string    `json:"question"`
	Timestamp time.Time `json:"timestamp"`
}

// Rating is a thumbs up or down.
type Rating string

// The two ratings.
const (
	RatingUp   Rating = "up"
	RatingDown Rating = "down"
)

// Feedback is a visitor's rating of one reply.
type Feedback struct {
	SessionID    string    `json:"session_id"`
	MessageIndex int       `json:"message_index"`
	Rating       Rating    `json:"rating"`
	Reason       string    `json:"reason,omitempty"`
	Timestamp    time.Time `json:"timestamp"`
}

// Limits on what a visitor (or a model's tool call) can make the twin record.
const (
	MaxEmailLen      = 254
	MaxNameChars     = 100
	MaxNoteChars     = 500
	MaxQuestionChars = 1000
	MaxReasonChars   = 500
)

// ErrInvalid marks validation failures (wrapped in a *twin.Error with CodeInvalidRequest).
var ErrInvalid = errors.New("invalid owner record")

func invalid(field, problem string) error {
	return &twin.Error{Code: twin.CodeInvalidRequest, Message: field + " " + problem,
		Fields: map[string]string{field: problem}, Err: ErrInvalid}
}

// NormalizeEmail validates a bare email address (no display name, no comments, a dotted domain,
// at most 254 bytes) and returns it with the domain lower-cased.
func NormalizeEmail(s string) (string, error) {
	s = strings.TrimSpace(s)
	if s == "" || len(s) > MaxEmailLen || strings.ContainsAny(s, " \t\r\n<>()[],;:\\\"") {
		return "", invalid("email", "must be a plain email address")
	}
	addr, err := mail.ParseAddress(s)
	if err != nil || addr.Name != "" || addr.Address != s {
		return "", invalid("email", "must be a plain email address")
	}
	local, domain, ok := strings.Cut(s, "@")
	if !ok || local == "" || strings.Count(s, "@") != 1 || !validDomain(domain) {
		return "", invalid("email", "must be a plain email address")
	}
	return local + "@" + strings.ToLower(domain), nil
}

func validDomain(d string) bool {
	labels := strings.Split(d, ".")
	if len(labels) < 2 || len(d) > 253 {
		return false
	}
	for _, l := range labels {
		if l == "" || len(l) > 63 || l[0] == '-' || l[len(l)-1] == '-' {
			return false
		}
		for _, r := range l {
			if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-') {
				return false
			}
		}
	}
	tld := labels[len(labels)-1]
	return len(tld) >= 2 && strings.IndexFunc(tld, func(r rune) bool { return r >= '0' && r <= '9' }) < 0
}

// cleanText trims s, rejects NUL and control characters other than newlines and tabs, and
// enforces a length in characters.
func cleanText(field, s string, maxChars int, required bool) (string, error) {
	s = strings.TrimSpace(s)
	switch {
	case s == "" && required:
		return "", invalid(field, "must not be empty")
	case !utf8.ValidString(s):
		return "", invalid(field, "must be UTF-8 text")
	case utf8.RuneCountInString(s) > maxChars:
		return "", invalid(field, fmt.Sprintf("must be at most %d characters", maxChars))
	}
	for _, r := range s {
		if r < 0x20 && r != '\n' && r != '\t' || r == 0x7f {
			return "", invalid(field, "must not contain control characters")
		}
	}
	return s, nil
}

// validateLead checks a lead as it arrives from a visitor or a model's tool call.
func validateLead(l Lead) (Lead, error) {
	if !twin.ValidSessionID(l.SessionID) {
		return Lead{}, twin.Errorf(twin.CodeInvalidSessionID, "session_id must be a lowercase UUID")
	}
	var err error
	if l.Email, err = NormalizeEmail(l.Email); err != nil {
		return Lead{}, err
	}
	if l.Name, err = cleanText("name", l.Name, MaxNameChars, false); err != nil {
		return Lead{}, err
	}
	if l.Note, err = cleanText("note", l.Note, MaxNoteChars, false); err != nil {
		return Lead{}, err
	}
	return l, nil
}

// ParseRating accepts "up" or "down".
func ParseRating(s string) (Rating, error) {
	switch Rating(s) {
	case RatingUp, RatingDown:
		return Rating(s), nil
	}
	return "", invalid("rating", `must be "up" or "down"`)
}

// Blobs is the small object store records live in (a directory locally, the memory bucket on AWS).
type Blobs interface {
	// Put writes data at key, replacing what was there.
	Put(ctx context.Context, key string, data []byte) error
	// Get reads key; a missing key is an error wrapping ErrNoBlob.
	Get(ctx context.Context, key string) ([]byte, error)
	// List returns the keys under prefix, in lexical order.
	List(ctx context.Context, prefix string) ([]string, error)
}

// ErrNoBlob is returned (wrapped) by Blobs.Get for a missing key.
var ErrNoBlob = errors.New("no such record")

// Publisher delivers one notification to the owner (the stack's SNS topic on AWS).
type Publisher interface {
	Publish(ctx context.Context, subject, message string) error
}
