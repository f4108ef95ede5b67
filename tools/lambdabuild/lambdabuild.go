// Package lambdabuild builds the twin's Lambda artifact, bootstrap.zip, reproducibly: the same
// source gives the same bytes and so the same code hash. `make lambda` (through
// tools/lambdazip) and the Pulumi program (infra/stack, on every `pulumi up`) both call Build,
// so what CI tests, what a developer builds and what the stack deploys cannot drift apart, and
// no stale zip can be deployed by mistake.
package lambdabuild

import (
	"archive/zip"
	"bytes"
	"compress/flate"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"
)

// Package is the main package of the Lambda bootstrap, relative to the module root.
const Package = "./app/cmd/lambda"

// versionVar is the linker variable the version is stamped into.
const versionVar = "github.com/digitaltwin/twin/app/config.version"

// Options say what to build. Zero values are the deployed defaults.
type Options struct {
	Root    string // module root (holds go.mod); required
	Out     string // zip to write; default <Root>/build/lambda/bootstrap.zip
	Version string // stamped version; default `git describe --tags --always --dirty`, else "dev"
	GOARCH  string // default arm64 (the functions' architecture)
}

// Artifact is a built bootstrap.zip.
type Artifact struct {
	Path    string
	Version string
	SHA256  [sha256.Size]byte
}

// SourceCodeHash is the zip's SHA-256 in base64, the form Lambda's CodeSha256 uses.
func (a Artifact) SourceCodeHash() string { return base64.StdEncoding.EncodeToString(a.SHA256[:]) }

// Build compiles the bootstrap for linux (CGO off, -tags lambda.norpc, -trimpath, stripped,
// version stamped) and packs it with Pack. Errors are one line naming what failed.
func Build(ctx context.Context, o Options) (Artifact, error) {
	if o.Root == "" {
		return Artifact{}, errors.New("lambda artifact: no module root")
	}
	if o.Out == "" {
		o.Out = filepath.Join(o.Root, "build", "lambda", "bootstrap.zip")
	}
	if o.GOARCH == "" {
		o.GOARCH = "arm64"
	}
	if o.Version == "" {
		o.Version = describe(ctx, o.Root)
	}
	goBin, err := exec.LookPath("go")
	if err != nil {
		return Artifact{}, fmt.Errorf("lambda artifact: the go command is needed to build %s: %w", Package, err)
	}
	if err := os.MkdirAll(filepath.Dir(o.Out), 0o755); err != nil {
		return Artifact{}, fmt.Errorf("lambda artifact: %w", err)
	}
	bin := strings.TrimSuffix(o.Out, ".zip")
	if bin == o.Out {
		bin += ".bin"
	}
	cmd := exec.CommandContext(ctx, goBin, "build", "-tags", "lambda.norpc", "-trimpath",
		"-ldflags", "-s -w -X "+versionVar+"="+o.Version, "-o", bin, Package)
	cmd.Dir = o.Root
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux", "GOARCH="+o.GOARCH)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		return Artifact{}, fmt.Errorf("lambda artifact: go build %s failed (%v): %s", Package, err, oneLine(stderr.String()))
	}
	if err := Pack(o.Out, bin); err != nil {
		return Artifact{}, fmt.Errorf("lambda artifact: %w", err)
	}
	return Hash(o.Out, o.Version)
}

// Hash reads a built zip's SHA-256.
func Hash(path, version string) (Artifact, error) {
	f, err := os.Open(path)
	if err != nil {
		return Artifact{}, fmt.Errorf("lambda artifact: %w", err)
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return Artifact{}, fmt.Errorf("lambda artifact: read %s: %w", path, err)
	}
	a := Artifact{Path: path, Version: version}
	copy(a.SHA256[:], h.Sum(nil))
	return a, nil
}

// describe is the version `make lambda` always stamped: git describe, or "dev" outside git.
func describe(ctx context.Context, root string) string {
	cmd := exec.CommandContext(ctx, "git", "describe", "--tags", "--always", "--dirty")
	cmd.Dir = root
	out, err := cmd.Output()
	if v := strings.TrimSpace(string(out)); err == nil && v != "" {
		return v
	}
	return "dev"
}

// oneLine folds the compiler's output into one line (the first few messages).
func oneLine(s string) string {
	lines := strings.Fields(strings.ReplaceAll(s, "\n", " ␤ "))
	s = strings.Join(lines, " ")
	if len(s) > 400 {
		s = s[:400] + "…"
	}
	return s
}

// Pack writes binary as a Lambda custom-runtime zip: one entry named "bootstrap", executable,
// deflated at the best level, with a fixed timestamp so the same binary always gives the same
// zip (and the same code hash, so an unchanged build deploys nothing).
func Pack(out, binary string) (err error) {
	in, err := os.Open(binary)
	if err != nil {
		return err
	}
	defer in.Close()
	f, err := os.Create(out)
	if err != nil {
		return err
	}
	defer func() {
		if cerr := f.Close(); err == nil {
			err = cerr
		}
	}()
	zw := zip.NewWriter(f)
	zw.RegisterCompressor(zip.Deflate, func(w io.Writer) (io.WriteCloser, error) {
		return flate.NewWriter(w, flate.BestCompression)
	})
	hdr := &zip.FileHeader{Name: "bootstrap", Method: zip.Deflate, Modified: time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)}
	hdr.SetMode(0o755)
	w, err := zw.CreateHeader(hdr)
	if err != nil {
		return err
	}
	if _, err := io.Copy(w, in); err != nil {
		return err
	}
	return zw.Close()
}
