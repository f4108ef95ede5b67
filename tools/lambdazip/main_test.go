package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/digitaltwin/twin/tools/lambdabuild"
)

// TestMakeLambdaEqualsTheProgramsBuild: what `make lambda` runs (this command without a binary
// argument) writes the very bytes lambdabuild.Build, the Pulumi program's build, writes.
func TestMakeLambdaEqualsTheProgramsBuild(t *testing.T) {
	dir := t.TempDir()
	viaMake := filepath.Join(dir, "make.zip")
	if err := run(context.Background(), []string{"-o", viaMake, "-version", "test"}); err != nil {
		t.Fatal(err)
	}
	root, err := moduleRoot()
	if err != nil {
		t.Fatal(err)
	}
	prog, err := lambdabuild.Build(context.Background(), lambdabuild.Options{Root: root, Out: filepath.Join(dir, "program.zip"), Version: "test"})
	if err != nil {
		t.Fatal(err)
	}
	a, _ := os.ReadFile(viaMake)
	b, _ := os.ReadFile(prog.Path)
	if len(a) == 0 || !bytes.Equal(a, b) {
		t.Errorf("make lambda's zip (%d bytes) differs from the program's (%d bytes)", len(a), len(b))
	}
}

func TestUsage(t *testing.T) {
	if err := run(context.Background(), []string{"a", "b"}); err == nil {
		t.Error("two arguments accepted")
	}
}
