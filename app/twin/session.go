package twin

import "regexp"

// sessionIDPattern is the canonical lowercase UUID form (8-4-4-4-12 hex) of DESIGN §4.
var sessionIDPattern = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`)

// ValidSessionID reports whether id is a canonical lowercase UUID. Only such ids ever reach a
// store, so an id can never become a path or an S3 key outside the prefix.
func ValidSessionID(id string) bool {
	return sessionIDPattern.MatchString(id)
}
