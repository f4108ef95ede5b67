package twin

import (
	"crypto/rand"
	"fmt"
	"regexp"
)

// sessionIDPattern is the canonical lowercase UUID form (8-4-4-4-12 hex) the API accepts.
var sessionIDPattern = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`)

// ValidSessionID reports whether id is a canonical lowercase UUID. Only such ids ever reach a
// store, so an id can never become a path or an S3 key outside the prefix.
func ValidSessionID(id string) bool {
	return sessionIDPattern.MatchString(id)
}

// NewSessionID returns a new random (version 4) session id in the canonical form.
func NewSessionID() string {
	var b [16]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}
