// Package owner is what the twin does for its owner beyond chatting: it records leads (a visitor
// who wants to get in touch and left an email), questions it could not answer from the persona,
// and visitors' feedback on replies; it notifies the owner of new leads and questions (batched,
// under a daily cap, never blocking a visitor); and it aggregates all of it for the owner view.
//
// Records are small JSON objects under three prefixes of one Blobs store — leads/, questions/,
// feedback/ — in the memory bucket on AWS and in DATA_DIR locally; owner/ holds their running
// totals and the notification cap's state (docs/decisions/0014-owner-records-index.md). Visitor
// text is made single-line and capped before it is stored, and quoted in notifications
// (docs/decisions/0015-contained-owner-data.md).
package owner

import (
	"context"
	"errors"
	"time"

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

// Question is a visitor question the twin could not answer from the persona. The owner
// dismisses it once the persona answers it.
type Question struct {
	ID        string    `json:"id"`
	SessionID string    `json:"session_id"`
	Question  string    `json:"question"`
	Timestamp time.Time `json:"timestamp"`
	Dismissed bool      `json:"dismissed,omitempty"`
}

// Rating is a thumbs up or down, or none (a withdrawn rating).
type Rating string

// The ratings.
const (
	RatingUp   Rating = "up"
	RatingDown Rating = "down"
	RatingNone Rating = "none"
)

// Feedback is a visitor's rating of one reply, named by the reply's message id. The latest
// rating of a reply is the one that counts.
type Feedback struct {
	SessionID string    `json:"session_id"`
	MessageID string    `json:"message_id"`
	Rating    Rating    `json:"rating"`
	Reason    string    `json:"reason"`
	Timestamp time.Time `json:"timestamp"`
}

// ErrInvalid marks validation failures (wrapped in a *twin.Error with CodeInvalidRequest).
var ErrInvalid = errors.New("invalid owner record")

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

// ParseRating accepts "up", "down" or "none".
func ParseRating(s string) (Rating, error) {
	switch Rating(s) {
	case RatingUp, RatingDown, RatingNone:
		return Rating(s), nil
	}
	return "", invalid("rating", `must be "up", "down" or "none"`)
}

// ValidMessageID reports whether id is a sane message id: 1 to 128 of [A-Za-z0-9._-] starting
// with a letter or digit, the form the stream's messageId and the history's ids take. Such an id
// is safe as one segment of a record key.
func ValidMessageID(id string) bool {
	if id == "" || len(id) > 128 || !isASCIIAlnum(id[0]) {
		return false
	}
	for i := 0; i < len(id); i++ {
		if c := id[i]; !isASCIIAlnum(c) && c != '.' && c != '_' && c != '-' {
			return false
		}
	}
	return true
}

// Blobs is the small object store records live in (a directory locally, the memory bucket on AWS).
type Blobs interface {
	// Put writes data at key, replacing what was there.
	Put(ctx context.Context, key string, data []byte) error
	// PutIf writes data at key only if the stored version is still version ("": only if the
	// key does not exist yet); otherwise it returns an error wrapping ErrConflict.
	PutIf(ctx context.Context, key string, data []byte, version string) error
	// Get reads key and its version; a missing key is an error wrapping ErrNoBlob.
	Get(ctx context.Context, key string) (data []byte, version string, err error)
	// List returns the keys under prefix, in lexical order.
	List(ctx context.Context, prefix string) ([]string, error)
}

// ErrNoBlob is returned (wrapped) by Blobs.Get for a missing key.
var ErrNoBlob = errors.New("no such record")

// ErrConflict is returned (wrapped) by Blobs.PutIf when the key changed since it was read.
var ErrConflict = errors.New("record changed concurrently")

// Publisher delivers one notification to the owner (the stack's SNS topic on AWS).
type Publisher interface {
	Publish(ctx context.Context, subject, message string) error
}
