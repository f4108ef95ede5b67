// Command profilepdf writes the example profile PDF of eval/folder/persona: a two-page profile
// laid out like a LinkedIn "Save to PDF" export (sidebar, headings, dates, bullets), generated so
// the repository carries no binary it cannot rebuild. A test checks the committed file is what
// this writes.
//
//	go run ./tools/profilepdf -o eval/folder/persona/linkedin-profile.pdf
package main

import (
	"flag"
	"fmt"
	"os"

	"github.com/digitaltwin/twin/app/persona/pdftext/pdftest"
)

func main() {
	out := flag.String("o", "linkedin-profile.pdf", "the file to write")
	flag.Parse()
	if err := os.WriteFile(*out, pdftest.Write(pdftest.Profile(), pdftest.Options{}), 0o644); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
