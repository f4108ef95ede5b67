package stack_test

import (
	"strconv"
	"testing"

	"github.com/digitaltwin/twin/infra/policy"
	"github.com/digitaltwin/twin/infra/stack/stacktest"
)

// TestDurationAlarmsFollowEachTimeout: the deployed duration alarms take their thresholds from
// each function's own timeout (chatTimeout, streamTimeout), not one figure for both.
func TestDurationAlarmsFollowEachTimeout(t *testing.T) {
	for _, s := range stacks {
		t.Run(s.name, func(t *testing.T) {
			cfg, err := stacktest.LoadStackConfig(s.name)
			if err != nil {
				t.Fatal(err)
			}
			res := mustDeploy(t, s.name, func(c map[string]string) { c["twin:streamTimeout"] = "300" })
			for name, timeout := range map[string]string{"http": cfg["twin:chatTimeout"], "stream": "300"} {
				secs, _ := strconv.Atoi(timeout)
				a := one(t, res, policy.TypeMetricAlarm, "twin-"+s.env+"-lambda-"+name+"-duration")
				if got, want := a.Inputs["threshold"], float64(secs*1000*5/6); got != want {
					t.Errorf("%s duration alarm at %v ms, want %v (five sixths of its %d s timeout)", name, got, want, secs)
				}
			}
		})
	}
}
