package httpapi

import (
	"log/slog"
	"net/http"
	"slices"
	"testing"
)

// TestRouteTableIsTheMux: the mux serves exactly Routes; a route without a handler, or a handler
// left out of the table (and so out of the AWS edge derived from it), stops every server.
func TestRouteTableIsTheMux(t *testing.T) {
	saved := Routes
	t.Cleanup(func() { Routes = saved })
	build := func() (panicked any) {
		defer func() { panicked = recover() }()
		addRoutes(http.NewServeMux(), Deps{Logger: slog.Default()}, nil, nil)
		return nil
	}
	if p := build(); p != nil {
		t.Fatalf("the table as shipped: %v", p)
	}
	Routes = append(slices.Clone(saved), Route{Method: http.MethodGet, Path: "/api/unserved"})
	if build() == nil {
		t.Error("a route without a handler was accepted")
	}
	Routes = saved[1:]
	if build() == nil {
		t.Errorf("a handler outside the table (%s) was accepted", saved[0].Pattern())
	}
}
