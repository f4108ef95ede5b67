package main

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// buildTwin compiles this command into a temporary folder and returns the binary's path.
func buildTwin(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("builds the binary")
	}
	bin := filepath.Join(t.TempDir(), "twin")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// TestBinaryVersionAndDotEnv: `twin -version` names a version, and the server reads .env from
// its working folder with the real environment winning.
func TestBinaryVersionAndDotEnv(t *testing.T) {
	bin := buildTwin(t)
	out, err := exec.Command(bin, "-version").Output()
	if err != nil || !strings.HasPrefix(string(out), "twin ") {
		t.Fatalf("twin -version = %q, %v", out, err)
	}

	dir := t.TempDir()
	port, realPort := freePort(t), freePort(t)
	me, err := filepath.Abs("../../../me.txt")
	if err != nil {
		t.Fatal(err)
	}
	env := fmt.Sprintf("PORT=%d\nPERSONA_FILE=%s\nLOG_LEVEL=warn\n", port, me)
	if err := os.WriteFile(filepath.Join(dir, ".env"), []byte(env), 0o600); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin)
	cmd.Dir = dir
	// PORT in the real environment wins over the file's.
	cmd.Env = append(os.Environ(), fmt.Sprintf("PORT=%d", realPort), "DATA_DIR="+filepath.Join(dir, "data"))
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = cmd.Process.Kill(); _ = cmd.Wait() }()
	url := fmt.Sprintf("http://127.0.0.1:%d/api/persona", realPort)
	for {
		resp, err := http.Get(url)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("GET /api/persona = %d (PERSONA_FILE from .env not used?)", resp.StatusCode)
			}
			return
		}
		if ctx.Err() != nil {
			t.Fatalf("the twin never answered on the real environment's PORT %d: %v", realPort, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
