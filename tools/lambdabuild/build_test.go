package lambdabuild

import (
	"archive/zip"
	"bytes"
	"context"
	"debug/elf"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func moduleRoot(t *testing.T) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for ; ; dir = filepath.Dir(dir) {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		if filepath.Dir(dir) == dir {
			t.Fatal("no go.mod above the test")
		}
	}
}

// TestBuildIsReproducible builds the real bootstrap twice, as `make lambda` and `pulumi up` do:
// the zips are byte-identical (so the code hash is too) and hold an executable linux/arm64
// "bootstrap".
func TestBuildIsReproducible(t *testing.T) {
	root, dir := moduleRoot(t), t.TempDir()
	var arts []Artifact
	for _, name := range []string{"a.zip", "b.zip"} {
		a, err := Build(context.Background(), Options{Root: root, Out: filepath.Join(dir, name), Version: "test"})
		if err != nil {
			t.Fatal(err)
		}
		arts = append(arts, a)
	}
	za, _ := os.ReadFile(arts[0].Path)
	zb, _ := os.ReadFile(arts[1].Path)
	if !bytes.Equal(za, zb) || arts[0].SourceCodeHash() != arts[1].SourceCodeHash() {
		t.Fatalf("two builds of the same source differ: %s vs %s", arts[0].SourceCodeHash(), arts[1].SourceCodeHash())
	}
	again, err := Hash(arts[0].Path, "test")
	if err != nil || again.SHA256 != arts[0].SHA256 {
		t.Errorf("Hash of the built zip = %x, %v; want %x", again.SHA256, err, arts[0].SHA256)
	}
	zr, err := zip.NewReader(bytes.NewReader(za), int64(len(za)))
	if err != nil {
		t.Fatal(err)
	}
	if len(zr.File) != 1 || zr.File[0].Name != "bootstrap" || zr.File[0].Mode().Perm() != 0o755 {
		t.Fatalf("entries %v, want one executable bootstrap", zr.File)
	}
	rc, _ := zr.File[0].Open()
	b, _ := io.ReadAll(rc)
	rc.Close()
	bin, err := elf.NewFile(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("bootstrap is not ELF: %v", err)
	}
	if bin.Machine != elf.EM_AARCH64 {
		t.Errorf("bootstrap is %v, want arm64", bin.Machine)
	}
	if !bytes.Contains(b, []byte("test")) {
		t.Error("the version is not stamped into the binary")
	}
}

// TestBuildFailureIsOneLine: a tree that does not compile gives one line naming the build.
func TestBuildFailureIsOneLine(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "go.mod"), []byte("module example.com/x\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := Build(context.Background(), Options{Root: dir, Version: "v"})
	if err == nil || strings.Contains(err.Error(), "\n") || !strings.Contains(err.Error(), "go build ./app/cmd/lambda failed") {
		t.Errorf("err = %q, want one line naming the failed build", err)
	}
}
