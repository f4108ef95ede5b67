// Package embedded holds what a single `twin` binary carries so that it serves the whole twin
// from an empty folder: the chat page's static export and the example persona. `make build`
// copies them here (into the git-ignored site/ and me.txt) and builds with the tag "embed";
// without the tag (go run, go test, the Lambda bootstrap) the package is empty and the twin
// reads both from disk. Files on disk (FRONTEND_DIR, PERSONA_FILE) always win when present.
package embedded

import "io/fs"

// Site returns the embedded static export (index.html at its root), or nil when the binary was
// built without it.
func Site() fs.FS { return site() }

// Persona returns the embedded example persona, or nil when the binary was built without it.
func Persona() []byte { return persona() }
