package stack_test

import (
	"archive/zip"
	"bytes"
	"debug/elf"
	"io"
	"path/filepath"
	"testing"

	"github.com/digitaltwin/twin/infra/stack/stacktest"
)

// TestArtifactMatchesTheFunctions checks the artifact `make lambda` built, when there is one,
// against what the functions declare: a zip holding an executable "bootstrap" for linux/arm64
// (provided.al2023, architectures [arm64]).
func TestArtifactMatchesTheFunctions(t *testing.T) {
	root, err := stacktest.Root()
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := stacktest.LoadStackConfig("staging")
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(root, cfg["twin:lambdaArchive"])
	z, err := zip.OpenReader(path)
	if err != nil {
		t.Skipf("no artifact at %s (run make lambda): %v", path, err)
	}
	defer z.Close()
	for _, f := range z.File {
		if f.Name != "bootstrap" {
			continue
		}
		if f.Mode()&0o111 == 0 {
			t.Errorf("bootstrap is not executable (mode %v)", f.Mode())
		}
		rc, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		b, err := io.ReadAll(rc)
		rc.Close()
		if err != nil {
			t.Fatal(err)
		}
		bin, err := elf.NewFile(bytes.NewReader(b))
		if err != nil {
			t.Fatalf("bootstrap is not an ELF binary: %v", err)
		}
		if bin.Machine != elf.EM_AARCH64 || bin.OSABI != elf.ELFOSABI_NONE && bin.OSABI != elf.ELFOSABI_LINUX {
			t.Errorf("bootstrap is %v/%v, want linux arm64", bin.Machine, bin.OSABI)
		}
		return
	}
	t.Errorf("%s has no bootstrap entry", path)
}
