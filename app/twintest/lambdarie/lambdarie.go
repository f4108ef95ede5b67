// Package lambdarie runs the twin's real Lambda bootstrap under the Lambda runtime interface
// emulator (aws-lambda-rie) for tests: build the bootstrap once, start an emulator per front,
// invoke it with events, and read a streamed (function URL) response. The emulator's runtime API
// always listens on 127.0.0.1:9001, so only one runs at a time on a machine: Start takes a
// machine-wide lock and waits for the port, and Stop kills the emulator's whole process group
// (it outlives SIGTERM) and releases the lock.
package lambdarie

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/digitaltwin/twin/app/twintest"
	"github.com/digitaltwin/twin/app/twintest/fakeaws"
)

// RuntimeAPI is where every emulator's runtime API listens.
const RuntimeAPI = "127.0.0.1:9001"

// Tool returns the emulator's path (AWS_LAMBDA_RIE, or aws-lambda-rie from `make tools-aws`),
// skipping t when emulator tests cannot run: -short, not linux, or no emulator installed.
func Tool(t testing.TB) string {
	t.Helper()
	if testing.Short() {
		t.Skip("integration test")
	}
	if runtime.GOOS != "linux" {
		t.Skip("the emulator runs linux binaries")
	}
	rie := fakeaws.FindTool("AWS_LAMBDA_RIE", "aws-lambda-rie")
	if rie == "" {
		t.Skip("aws-lambda-rie not installed: run `make tools-aws`")
	}
	return rie
}

// Build compiles the bootstrap of package dir (app/cmd/lambda) for linux on this machine's
// architecture into a temporary folder and returns its path. Like `make lambda`, but without
// -trimpath, so the packages come from the cache `go test` has filled.
func Build(t testing.TB, dir string) string {
	t.Helper()
	out := t.TempDir() + "/bootstrap"
	cmd := exec.Command("go", "build", "-tags", "lambda.norpc", "-ldflags", "-s -w", "-o", out, ".")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux", "GOARCH="+runtime.GOARCH)
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("build bootstrap: %v\n%s", err, b)
	}
	return out
}

// Emulator is one running aws-lambda-rie with a bootstrap.
type Emulator struct {
	addr string
	cmd  *exec.Cmd
	lock *os.File // the machine-wide emulator lock, held until Stop
	logs twintest.Logs
	once sync.Once
}

// Start runs rie with bootstrap and exactly env (plus PATH), once the runtime API port is free.
// It stops when t ends, printing its output if t failed.
func Start(t testing.TB, rie, bootstrap string, env []string) *Emulator {
	t.Helper()
	lock := acquire(t)
	WaitPortFree(t, RuntimeAPI)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		lock.Close()
		t.Fatal(err)
	}
	e := &Emulator{addr: ln.Addr().String(), lock: lock}
	ln.Close()
	e.cmd = exec.Command(rie, "--log-level", "info", "--runtime-interface-emulator-address", e.addr, bootstrap)
	e.cmd.Dir = t.TempDir()
	e.cmd.Env = append([]string{"PATH=" + os.Getenv("PATH"), "HOME=" + e.cmd.Dir}, env...)
	e.cmd.Stdout, e.cmd.Stderr = &e.logs, &e.logs
	e.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := e.cmd.Start(); err != nil {
		lock.Close()
		t.Fatal(err)
	}
	t.Cleanup(func() {
		e.Stop()
		if t.Failed() {
			t.Logf("emulator output:\n%s", e.logs.String())
		}
	})
	deadline := time.Now().Add(20 * time.Second)
	for {
		c, err := net.DialTimeout("tcp", e.addr, 100*time.Millisecond)
		if err == nil {
			c.Close()
			return e
		}
		if time.Now().After(deadline) {
			t.Fatalf("emulator did not listen on %s: %v", e.addr, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// Invoke sends one event and returns the raw invocation response (a function URL response
// stream is returned whole: the emulator buffers it).
func (e *Emulator) Invoke(event any) ([]byte, error) {
	payload, err := json.Marshal(event)
	if err != nil {
		return nil, err
	}
	client := &http.Client{Timeout: 60 * time.Second}
	resp, err := client.Post("http://"+e.addr+"/2015-03-31/functions/function/invocations", "application/json", bytes.NewReader(payload))
	if err != nil {
		return nil, fmt.Errorf("invoke: %w", err)
	}
	defer resp.Body.Close()
	out, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("invoke: %d %v: %s", resp.StatusCode, err, out)
	}
	return out, nil
}

// Logs is what the emulator and the bootstrap printed so far.
func (e *Emulator) Logs() string { return e.logs.String() }

// Stop kills the emulator and the bootstrap; it is safe to call twice.
func (e *Emulator) Stop() {
	e.once.Do(func() {
		_ = syscall.Kill(-e.cmd.Process.Pid, syscall.SIGKILL)
		_ = e.cmd.Wait()
		e.lock.Close() // releases the lock
	})
}

// acquire takes the machine-wide emulator lock: `go test ./...` runs packages in parallel, and
// two emulators starting at once would both find the runtime API port free. Waiting for the
// port alone (WaitPortFree) still guards against an emulator started outside this package.
func acquire(t testing.TB) *os.File {
	t.Helper()
	f, err := os.OpenFile(filepath.Join(os.TempDir(), "aws-lambda-rie.lock"), os.O_CREATE|os.O_RDWR, 0o666)
	if err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(2 * time.Minute)
	for syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB) != nil {
		if time.Now().After(deadline) {
			f.Close()
			t.Fatal("another test has held the emulator lock for two minutes")
		}
		time.Sleep(100 * time.Millisecond)
	}
	return f
}

// WaitPortFree waits (up to a minute) until no emulator holds addr.
func WaitPortFree(t testing.TB, addr string) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for {
		c, err := net.DialTimeout("tcp", addr, 100*time.Millisecond)
		if err != nil {
			return
		}
		c.Close()
		if time.Now().After(deadline) {
			t.Fatalf("%s stays busy: another emulator is running", addr)
		}
		time.Sleep(200 * time.Millisecond)
	}
}
