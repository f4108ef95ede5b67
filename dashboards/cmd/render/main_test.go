package main

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
)

var args = []string{"-region", "eu-west-1", "-env", "staging", "-http", "h", "-stream", "s", "-api", "a", "-bucket", "b",
	"-http-timeout", "30s", "-stream-timeout", "120s"}

func TestRenderDashboard(t *testing.T) {
	var out bytes.Buffer
	if err := run(args, &out); err != nil {
		t.Fatal(err)
	}
	var body struct{ Widgets []map[string]any }
	if err := json.Unmarshal(out.Bytes(), &body); err != nil || len(body.Widgets) == 0 {
		t.Fatalf("output is not a dashboard body: %v\n%s", err, out.String())
	}
}

func TestRenderAlarms(t *testing.T) {
	var out bytes.Buffer
	if err := run(append(args, "-alarms"), &out); err != nil {
		t.Fatal(err)
	}
	var alarms []struct{ Name string }
	if err := json.Unmarshal(out.Bytes(), &alarms); err != nil || len(alarms) == 0 || !strings.HasPrefix(alarms[0].Name, "twin-staging-") {
		t.Fatalf("alarms: %v %v", err, alarms)
	}
}

func TestRenderMissingNames(t *testing.T) {
	if err := run([]string{"-env", "staging"}, &bytes.Buffer{}); err == nil || !strings.Contains(err.Error(), "Region") {
		t.Errorf("err = %v, want the missing names", err)
	}
}
