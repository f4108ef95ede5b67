package main

import (
	"archive/zip"
	"bytes"
	"context"
	"debug/elf"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	s3api "github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/digitaltwin/twin/app/twintest/fakeaws"
	"github.com/digitaltwin/twin/app/twintest/lambdarie"
)

var initReport = regexp.MustCompile(`INIT REPORT\(durationMs: ([0-9.]+)\)`)

// TestUnderEmulator builds the real bootstrap for linux and runs it under the Lambda runtime
// interface emulator, once per front, answering a function URL event and an HTTP API event.
// It logs the init duration the emulator reports (docs/benchmarks.md).
func TestUnderEmulator(t *testing.T) {
	rie := lambdarie.Tool(t)
	bootstrap := lambdarie.Build(t, ".")
	persona, err := filepath.Abs("../../../me.txt")
	if err != nil {
		t.Fatal(err)
	}

	t.Run("function-url", func(t *testing.T) {
		ev := functionURLEvent("POST", "/api/chat/stream", `{"message":"Where do you live?"}`)
		out := invokeUnderRIE(t, rie, bootstrap, persona, "function-url", ev)
		prelude, body := readStreaming(t, bytes.NewReader(out))
		headers, _ := prelude["headers"].(map[string]any)
		if prelude["statusCode"] != float64(200) || headers["X-Correlation-Id"] != "req-456" {
			t.Fatalf("prelude = %v", prelude)
		}
		if text, done := streamText(t, body); !strings.Contains(text, "Sweden") || !done || !strings.HasSuffix(body, "data: [DONE]\n\n") {
			t.Fatalf("body tail %q:\n%s", body[max(0, len(body)-40):], body)
		}
	})
	t.Run("function-url-on-aws-fakes", func(t *testing.T) {
		// The real binary wired to S3 (memory and persona), Secrets Manager and an OpenAI-compatible
		// model, all fakes on loopback found through the SDK's standard endpoint variables.
		s3 := fakeaws.NewS3(t, "twin-memory", "twin-persona")
		me, err := os.ReadFile(persona)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s3.Client(t).PutObject(context.Background(), &s3api.PutObjectInput{
			Bucket: aws.String("twin-persona"), Key: aws.String("me.txt"), Body: bytes.NewReader(me),
		}); err != nil {
			t.Fatal(err)
		}
		sm := fakeaws.NewSecretsManager(t, "twin/llm", "sk-rie")
		model := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.Header.Get("Authorization") != "Bearer sk-rie" {
				w.WriteHeader(http.StatusUnauthorized)
				return
			}
			w.Header().Set("Content-Type", "text/event-stream")
			_, _ = io.WriteString(w, "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"Hello from the model.\"}}]}\n\ndata: [DONE]\n\n")
		}))
		defer model.Close()
		s3.ResetCounts()
		ev := functionURLEvent("POST", "/api/chat/stream", `{"message":"Where do you live?"}`)
		out := invokeUnderRIE(t, rie, bootstrap, persona, "function-url", ev,
			"AWS_REGION=us-east-1", "AWS_ACCESS_KEY_ID=AKIDFAKE", "AWS_SECRET_ACCESS_KEY=fake-secret",
			"AWS_ENDPOINT_URL_S3="+s3.URL, "AWS_ENDPOINT_URL_SECRETS_MANAGER="+sm.URL, "AWS_EC2_METADATA_DISABLED=true",
			"S3_MEMORY_BUCKET=twin-memory", "S3_PERSONA_BUCKET=twin-persona",
			"LLM_PROVIDER=openai", "OPENAI_BASE_URL="+model.URL+"/v1", "OPENAI_MODEL=test-model", "LLM_API_KEY_SECRET_ID=twin/llm")
		_, body := readStreaming(t, bytes.NewReader(out))
		if text, done := streamText(t, body); !strings.Contains(text, "Hello from the model.") || !done {
			t.Fatalf("body:\n%s", body)
		}
		// persona GET (no session GET: the server has just made the session) + the question's
		// PUT at the turn's start + the reply's PUT (docs/decisions/0020-turn-storage-order.md);
		// the secret was read once, at init.
		if g, p := s3.Count(http.MethodGet), s3.Count(http.MethodPut); g != 1 || p != 2 {
			t.Errorf("S3 saw %d GET + %d PUT, want 1 + 2 (persona; question, reply)", g, p)
		}
		if got := sm.Calls(); got != 1 {
			t.Errorf("%d secret reads, want 1", got)
		}
	})
	t.Run("http-api", func(t *testing.T) {
		ev := httpAPIEvent(`{"message":"Where do you live?"}`, false)
		ev.RawQueryString = ""
		out := invokeUnderRIE(t, rie, bootstrap, persona, "http-api", ev)
		var resp struct {
			StatusCode int               `json:"statusCode"`
			Headers    map[string]string `json:"headers"`
			Body       string            `json:"body"`
		}
		if err := json.Unmarshal(out, &resp); err != nil {
			t.Fatalf("response %s: %v", out, err)
		}
		if resp.StatusCode != 200 || resp.Headers["X-Correlation-Id"] != "req-123" || !strings.Contains(resp.Body, "Gothenburg") {
			t.Fatalf("response = %+v", resp)
		}
	})
}

// invokeUnderRIE starts the emulator with the bootstrap for front, sends one event and returns
// the raw invocation response.
func invokeUnderRIE(t *testing.T, rie, bootstrap, persona, front string, event any, extraEnv ...string) []byte {
	t.Helper()
	dir := t.TempDir()
	env := append([]string{
		"LAMBDA_FRONT=" + front, "DATA_DIR=" + dir, "PERSONA_FILE=" + persona, "FRONTEND_DIR=" + dir,
		"OFFLINE_TOKEN_DELAY_MS=0", "LOG_LEVEL=info", "OTEL_TRACES_EXPORTER=none",
	}, extraEnv...)
	emu := lambdarie.Start(t, rie, bootstrap, env)
	out, err := emu.Invoke(event)
	if err != nil {
		t.Fatal(err)
	}
	emu.Stop()
	if m := initReport.FindStringSubmatch(emu.Logs()); m != nil {
		t.Logf("%s: init duration %s ms (emulator INIT REPORT)", t.Name(), m[1])
	}
	return out
}

// TestArtifactUnderEmulator runs the bootstrap inside build/lambda/bootstrap.zip — the arm64
// artifact `make lambda` ships — under the emulator through qemu-user (`apt-get install
// qemu-user`), so the very bytes that deploy answer a function URL event. It is skipped without
// the zip or qemu-aarch64; `make lambda-check` builds the zip and runs it.
func TestArtifactUnderEmulator(t *testing.T) {
	if testing.Short() {
		t.Skip("integration test")
	}
	zipPath := os.Getenv("LAMBDA_ZIP")
	if zipPath == "" {
		zipPath = "../../../build/lambda/bootstrap.zip"
	}
	if _, err := os.Stat(zipPath); err != nil {
		t.Skip("no bootstrap.zip: run `make lambda`")
	}
	rie := fakeaws.FindTool("AWS_LAMBDA_RIE", "aws-lambda-rie")
	if rie == "" {
		t.Skip("aws-lambda-rie not installed: run `make tools-aws`")
	}
	dir := t.TempDir()
	zr, err := zip.OpenReader(zipPath)
	if err != nil {
		t.Fatal(err)
	}
	defer zr.Close()
	if len(zr.File) != 1 || zr.File[0].Name != "bootstrap" || zr.File[0].Mode().Perm()&0o111 == 0 {
		t.Fatalf("zip holds %v, want one executable file named bootstrap", zr.File)
	}
	rc, err := zr.File[0].Open()
	if err != nil {
		t.Fatal(err)
	}
	bin, err := io.ReadAll(rc)
	rc.Close()
	if err != nil {
		t.Fatal(err)
	}
	bootstrap := filepath.Join(dir, "bootstrap")
	if err := os.WriteFile(bootstrap, bin, 0o755); err != nil {
		t.Fatal(err)
	}
	entry := bootstrap
	if elfMachine(bin) != runtime.GOARCH {
		qemu, err := exec.LookPath("qemu-" + map[string]string{"arm64": "aarch64", "amd64": "x86_64"}[elfMachine(bin)])
		if err != nil {
			t.Skipf("the artifact is linux/%s and no qemu-user to run it here", elfMachine(bin))
		}
		entry = filepath.Join(dir, "run")
		if err := os.WriteFile(entry, []byte("#!/bin/sh\nexec "+qemu+" "+bootstrap+" \"$@\"\n"), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	persona, _ := filepath.Abs("../../../me.txt")
	ev := functionURLEvent("POST", "/api/chat/stream", `{"message":"Where do you live?"}`)
	out := invokeUnderRIE(t, rie, entry, persona, "function-url", ev)
	prelude, body := readStreaming(t, bytes.NewReader(out))
	if text, done := streamText(t, body); prelude["statusCode"] != float64(200) || !strings.Contains(text, "Sweden") || !done {
		t.Fatalf("prelude %v body:\n%s", prelude, body)
	}
}

// elfMachine returns the GOARCH of an ELF executable ("arm64", "amd64"), or "".
func elfMachine(bin []byte) string {
	f, err := elf.NewFile(bytes.NewReader(bin))
	if err != nil {
		return ""
	}
	switch f.Machine {
	case elf.EM_AARCH64:
		return "arm64"
	case elf.EM_X86_64:
		return "amd64"
	}
	return ""
}
