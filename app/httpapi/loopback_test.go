package httpapi

import (
	"fmt"
	"testing"

	"pgregory.net/rapid"
)

// TestLoopbackHostProperty: every loopback address, with or without a port, is this machine;
// no other name is, whatever it starts or ends with (a rebinding attacker picks the name).
func TestLoopbackHostProperty(t *testing.T) {
	port := rapid.Custom(func(t *rapid.T) string {
		if rapid.Bool().Draw(t, "with port") {
			return fmt.Sprintf(":%d", rapid.IntRange(1, 65535).Draw(t, "port"))
		}
		return ""
	})
	rapid.Check(t, func(t *rapid.T) {
		a, b, c := rapid.IntRange(0, 255).Draw(t, "a"), rapid.IntRange(0, 255).Draw(t, "b"), rapid.IntRange(0, 255).Draw(t, "c")
		loop := rapid.SampledFrom([]string{fmt.Sprintf("127.%d.%d.%d", a, b, c), "localhost", "LocalHost", "[::1]", "localhost."}).Draw(t, "loopback")
		if h := loop + port.Draw(t, "p1"); !IsLoopbackHost(h) {
			t.Fatalf("IsLoopbackHost(%q) = false", h)
		}
		label := rapid.StringMatching(`[a-z0-9-]{1,12}`).Draw(t, "label")
		other := rapid.SampledFrom([]string{
			label + ".example", "localhost." + label, label + ".localhost", loop + "." + label, label + loop,
			fmt.Sprintf("10.%d.%d.%d", a, b, c), fmt.Sprintf("[fe80::%x]", a+1),
		}).Draw(t, "other")
		if h := other + port.Draw(t, "p2"); IsLoopbackHost(h) {
			t.Fatalf("IsLoopbackHost(%q) = true", h)
		}
	})
}
