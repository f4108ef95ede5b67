package main

import (
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// The floor server makes exactly one new file per request, holding the request's body, and
// reports a folder it cannot write to.
func TestFloorMakesOneFilePerRequest(t *testing.T) {
	dir := t.TempDir()
	srv := httptest.NewServer(floorServer(dir))
	defer srv.Close()
	for range 3 {
		resp, err := http.Post(srv.URL+"/api/chat", "application/json", strings.NewReader(`{"message":"hi"}`))
		if err != nil || resp.StatusCode != 200 {
			t.Fatalf("POST: %v %v", resp, err)
		}
		resp.Body.Close()
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 3 {
		t.Fatalf("%d files, want 3", len(entries))
	}
	if data, _ := os.ReadFile(filepath.Join(dir, entries[0].Name())); string(data) != `{"message":"hi"}` {
		t.Fatalf("file holds %q", data)
	}
	gone := httptest.NewServer(floorServer(filepath.Join(dir, "missing")))
	defer gone.Close()
	if resp, err := http.Post(gone.URL+"/api/chat", "application/json", strings.NewReader(`{}`)); err != nil || resp.StatusCode != 500 {
		t.Fatalf("unwritable folder: %v %v, want 500", resp, err)
	}
}

// The sink accepts an OTLP export and drops it.
func TestSinkAccepts(t *testing.T) {
	rec := httptest.NewRecorder()
	sink(rec, httptest.NewRequest(http.MethodPost, "/v1/traces", strings.NewReader("\x0a\x00")))
	if rec.Code != 200 || rec.Header().Get("Content-Type") != "application/x-protobuf" {
		t.Fatalf("sink answered %d %q", rec.Code, rec.Header().Get("Content-Type"))
	}
}
