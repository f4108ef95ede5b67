package twin

import "testing"

// TestNewSessionIDIsCanonical: every new id passes the check every stored id must pass, and ids
// do not repeat.
func TestNewSessionIDIsCanonical(t *testing.T) {
	seen := map[string]bool{}
	for range 1000 {
		id := NewSessionID()
		if !ValidSessionID(id) || seen[id] {
			t.Fatalf("id %q: valid %v, repeated %v", id, ValidSessionID(id), seen[id])
		}
		seen[id] = true
	}
}
