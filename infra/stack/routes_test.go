package stack_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/digitaltwin/twin/app/httpapi"
	"github.com/digitaltwin/twin/infra/stack/stacktest"
)

// samplePath fills each {name} wildcard of a route path with a value the app accepts.
func samplePath(path string) string {
	for {
		i := strings.IndexByte(path, '{')
		if i < 0 {
			return path
		}
		j := strings.IndexByte(path[i:], '}')
		path = path[:i] + "4f0c2a3e-8d1b-4c6e-9a7f-2b3c4d5e6f70" + path[i+j+1:]
	}
}

// checkReachable replays one request per app route through the stack's edge: CloudFront must
// send it, with its method allowed, to the function URL (stream routes) or to the HTTP API,
// where an explicit route (not $default) carries it to the function with its own timeout.
func checkReachable(t *testing.T, res *stacktest.Result, routes []httpapi.Route) {
	t.Helper()
	edge, err := stacktest.NewEdge(res)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range routes {
		path := samplePath(r.Path)
		b := edge.Behaviour(path)
		if !slices.Contains(b.AllowedMethods, r.Method) {
			t.Errorf("%s: CloudFront behaviour %q allows only %v", r.Pattern(), b.PathPattern, b.AllowedMethods)
		}
		if r.Stream {
			if b.Origin != "stream" || edge.URLInvokeMode != "RESPONSE_STREAM" {
				t.Errorf("%s: CloudFront sends %s to origin %q (invoke mode %s), want the streaming function URL", r.Pattern(), path, b.Origin, edge.URLInvokeMode)
			}
			continue
		}
		if b.Origin != "api" {
			t.Errorf("%s: CloudFront sends %s to origin %q, want the HTTP API", r.Pattern(), path, b.Origin)
		}
		if got := edge.APIRoute(r.Method, path); got != r.Pattern() {
			t.Errorf("%s: the HTTP API routes %s %s to %q", r.Pattern(), r.Method, path, got)
		}
	}
}

// TestEveryAppRouteReachable: every route the app serves reaches its function on AWS with its
// method (issue: POST /api/feedback and GET /api/owner/summary had no HTTP API route).
func TestEveryAppRouteReachable(t *testing.T) {
	for _, s := range stacks {
		t.Run(s.name, func(t *testing.T) {
			checkReachable(t, mustDeploy(t, s.name, nil), httpapi.Routes)
		})
	}
}

// TestNewRoutesReachTheEdge: a route added to the app's table (another method, a path outside
// /api/, another stream path) reaches AWS with no edit to the infrastructure.
func TestNewRoutesReachTheEdge(t *testing.T) {
	saved := httpapi.Routes
	t.Cleanup(func() { httpapi.Routes = saved })
	added := []httpapi.Route{
		{Method: "DELETE", Path: "/api/chat/history/{session_id}"},
		{Method: "POST", Path: "/api/owner/questions/{id}/dismiss"},
		{Method: "GET", Path: "/widget.js"},
		{Method: "POST", Path: "/api/chat/{session_id}/stream", Stream: true, Model: true},
	}
	httpapi.Routes = append(slices.Clone(saved), added...)
	checkReachable(t, mustDeploy(t, "staging", nil), httpapi.Routes)
}
