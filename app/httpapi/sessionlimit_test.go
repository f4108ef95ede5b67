package httpapi

import (
	"fmt"
	"testing"
	"time"
)

// The budget refills over the window, known ids stay free, rejected ids are never remembered,
// and idle clients are swept: memory stays bounded by what was granted.
func TestSessionLimiter(t *testing.T) {
	now := time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)
	l := newSessionLimiter(5)
	l.now = func() time.Time { return now }
	id := func(i int) string { return fmt.Sprintf("11111111-1111-4111-8111-%012d", i) }
	for i := range 5 {
		if ok, _ := l.allow("a", id(i)); !ok {
			t.Fatalf("id %d refused within the budget", i)
		}
	}
	ok, wait := l.allow("a", id(99))
	if ok || wait <= 0 || wait > sessionWindow/5 {
		t.Fatalf("over the budget: ok=%v wait=%v", ok, wait)
	}
	for range 1000 {
		l.allow("a", id(1000)) // a flood of refused ids
	}
	if ok, _ := l.allow("a", id(3)); !ok {
		t.Fatal("a known id was refused")
	}
	if ok, _ := l.allow("b", id(99)); !ok {
		t.Fatal("another client shares the first one's budget")
	}
	if n := len(l.clients["a"].ids); n != 5 {
		t.Fatalf("client a remembers %d ids, want the 5 granted", n)
	}
	now = now.Add(sessionWindow / 5)
	if ok, _ := l.allow("a", id(6)); !ok {
		t.Fatal("no token refilled after a fifth of the window")
	}
	now = now.Add(sessionWindow + time.Minute)
	l.allow("c", id(1))
	if _, kept := l.clients["a"]; kept || len(l.clients) != 1 {
		t.Fatalf("idle clients not swept: %d left", len(l.clients))
	}
}
