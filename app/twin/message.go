package twin

import (
	"crypto/rand"
	"encoding/base32"
	"errors"
	"strings"
)

// Status is how a stored message ended (docs/decisions/0020-turn-storage-order.md).
type Status string

// The statuses of a stored message. A visitor's message is complete once it is stored; a reply is
// complete when the model finished it, stopped when the visitor's client went away (Stop, a
// reload, a closed tab), interrupted when the server cut it off (shutdown, the Lambda deadline),
// and failed when the model failed (before its first token the reply is empty). A cut-off reply
// holds exactly the text the visitor was shown.
const (
	StatusComplete    Status = "complete"
	StatusStopped     Status = "stopped"
	StatusInterrupted Status = "interrupted"
	StatusFailed      Status = "failed"
)

// ErrInterrupted is the cancellation cause the servers give a turn they cut off: a shutdown that
// outlived its drain period, or a Lambda invocation close to its deadline. The turn stores its
// partial reply as StatusInterrupted.
var ErrInterrupted = errors.New("the server cut the turn off (shutting down or out of time)")

// messageIDEncoding is lowercase base32 without padding: 26 characters for 128 bits, safe in
// URLs, JSON and log lines.
var messageIDEncoding = base32.StdEncoding.WithPadding(base32.NoPadding)

// NewMessageID returns a fresh random message id ("msg-" and 26 base32 characters). A reply's id
// is also the stream's messageId, so the page can name the stored reply (for feedback) before it
// is stored.
func NewMessageID() string {
	var b [16]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails
	return "msg-" + strings.ToLower(messageIDEncoding.EncodeToString(b[:]))
}
