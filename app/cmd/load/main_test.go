package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
)

func TestLoopbackOnly(t *testing.T) {
	for target, ok := range map[string]bool{
		"http://127.0.0.1:8000": true, "http://127.9.9.9:1": true, "http://[::1]:8000": true, "http://localhost:8000/": true,
		"http://10.0.0.1:8000": false, "http://192.168.1.2": false, "https://example.com": false, "http://0.0.0.0:8000": false,
		"ftp://127.0.0.1": false, "127.0.0.1:8000": false,
	} {
		if err := loopbackOnly(target); (err == nil) != ok {
			t.Errorf("loopbackOnly(%q) = %v, want ok=%v", target, err, ok)
		}
	}
}

func TestBounds(t *testing.T) {
	for _, args := range [][]string{{"-sessions", "10000", "-turns", "10"}, {"-timeout", "1h"}, {"-target", "http://10.1.2.3:80"}, {"-store", "dynamo"}} {
		if _, err := parse(args, &bytes.Buffer{}); err == nil {
			t.Errorf("parse(%v) accepted", args)
		}
	}
}

// A small run of the real tool, on each store, with faults: it passes only when every 200 is
// stored exactly once and in order.
func TestSmallRuns(t *testing.T) {
	for _, args := range [][]string{
		{"-store", "file"},
		{"-store", "memory", "-llm-fail-before", "0.2", "-llm-fail-during", "0.2"},
		{"-store", "s3", "-s3-fault-rate", "0.2"},
	} {
		t.Run(strings.Join(args, " "), func(t *testing.T) {
			var out bytes.Buffer
			args = append(args, "-sessions", "12", "-turns", "4", "-concurrency", "6", "-shared-every", "4", "-persona", "../../../me.txt", "-timeout", "30s")
			if err := run(context.Background(), args, &out, &out); err != nil {
				t.Fatalf("%v\n%s", err, out.String())
			}
			if !strings.Contains(out.String(), "PASS") {
				t.Fatalf("no PASS line:\n%s", out.String())
			}
		})
	}
}
