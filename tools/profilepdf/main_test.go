package main

import (
	"bytes"
	"os"
	"testing"

	"github.com/digitaltwin/twin/app/persona/pdftext/pdftest"
)

// TestExampleIsGenerated: the committed example PDF is exactly what this command writes, so it
// can always be rebuilt from source.
func TestExampleIsGenerated(t *testing.T) {
	got, err := os.ReadFile("../../eval/folder/persona/linkedin-profile.pdf")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, pdftest.Write(pdftest.Profile(), pdftest.Options{})) {
		t.Fatal("eval/folder/persona/linkedin-profile.pdf differs: run go run ./tools/profilepdf -o eval/folder/persona/linkedin-profile.pdf")
	}
}
