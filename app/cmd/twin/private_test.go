package main

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/digitaltwin/twin/app/twintest"
)

// lanAddress returns an address of this machine that is not loopback, as another machine on the
// LAN would reach it; the test is skipped on a machine without one.
func lanAddress(t *testing.T) net.IP {
	t.Helper()
	addrs, err := net.InterfaceAddrs()
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range addrs {
		if n, ok := a.(*net.IPNet); ok && n.IP.To4() != nil && !n.IP.IsLoopback() && !n.IP.IsLinkLocalUnicast() {
			return n.IP
		}
	}
	t.Skip("this machine has no non-loopback IPv4 address to play the LAN peer")
	return nil
}

// serve runs the real server with env added to the test defaults until the test ends, and
// returns what it logged so far through logs().
func serve(t *testing.T, extra map[string]string) (port int, logs func() string) {
	t.Helper()
	port = freePort(t)
	env := map[string]string{
		"PORT": fmt.Sprint(port), "DATA_DIR": t.TempDir(), "PERSONA_FILE": "../../../me.txt",
		"FRONTEND_DIR": t.TempDir(), "OFFLINE_TOKEN_DELAY_MS": "0",
	}
	for k, v := range extra {
		env[k] = v
	}
	ctx, cancel := context.WithCancel(context.Background())
	var stdout twintest.Logs
	done := make(chan error, 1)
	go func() { done <- run(ctx, func(k string) string { return env[k] }, &stdout, &twintest.Logs{}) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("run: %v", err)
		}
	})
	waitHealthy(t, fmt.Sprintf("http://127.0.0.1:%d", port))
	return port, stdout.String
}

// fromLAN asks path of port at the machine's LAN address, from that address (as a LAN peer).
func fromLAN(t *testing.T, ip net.IP, port int, path string) (*http.Response, error) {
	t.Helper()
	client := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{
		DialContext: (&net.Dialer{LocalAddr: &net.TCPAddr{IP: ip}}).DialContext,
	}}
	resp, err := client.Get(fmt.Sprintf("http://%s%s", net.JoinHostPort(ip.String(), fmt.Sprint(port)), path))
	if err == nil {
		t.Cleanup(func() { resp.Body.Close() })
	}
	return resp, err
}

// TestPrivateByDefault: with no HOST the server listened on every interface, and a LAN peer read
// the owner summary. Now it binds loopback only.
func TestPrivateByDefault(t *testing.T) {
	lan := lanAddress(t)
	port, logs := serve(t, nil)
	if _, err := fromLAN(t, lan, port, "/api/health"); err == nil {
		t.Fatalf("a LAN peer reached the default server at %s:%d", lan, port)
	}
	if strings.Contains(logs(), "reachable from other machines") {
		t.Fatalf("loopback server warned of exposure: %s", logs())
	}
}

// TestExposedOnPurpose: HOST=0.0.0.0 is an explicit choice; the warning names it, visitors on
// the LAN can chat, and the owner view still answers only this machine.
func TestExposedOnPurpose(t *testing.T) {
	lan := lanAddress(t)
	port, logs := serve(t, map[string]string{"HOST": "0.0.0.0"})
	if !strings.Contains(logs(), `"level":"WARN","msg":"the twin is reachable from other machines: HOST=0.0.0.0`) {
		t.Fatalf("no exposure warning naming HOST in %s", logs())
	}
	resp, err := fromLAN(t, lan, port, "/api/health")
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("LAN health: %v %v", resp, err)
	}
	if resp, err := fromLAN(t, lan, port, "/api/owner/summary"); err != nil || resp.StatusCode != 403 {
		t.Fatalf("LAN owner summary: %v %v, want 403", resp, err)
	}
	own, err := http.Get(fmt.Sprintf("http://localhost:%d/api/owner/summary", port))
	if err != nil {
		t.Fatal(err)
	}
	own.Body.Close()
	if own.StatusCode != 200 {
		t.Fatalf("owner summary on this machine: %d", own.StatusCode)
	}
}
