package persona

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/digitaltwin/twin/app/twin"
)

// Open returns the source for PERSONA_FILE: a folder of sources (DirSource) when path is a
// folder, else the one file (FileSource).
func Open(path string, logger *slog.Logger) twin.PersonaSource {
	if st, err := os.Stat(path); err == nil && st.IsDir() {
		return NewDirSource(path, logger)
	}
	return NewFileSource(path, logger)
}

// DirSource loads the persona from a folder: every .txt, .md and .pdf file in it and its
// sub-folders, in path order, hidden files and folders skipped, plus an optional persona.yaml
// for the name, greeting and starters. Each call looks at the folder again and rebuilds the
// persona when a file was added, changed or removed, re-reading only the files that changed.
// A file that cannot be used (unreadable, encrypted, empty, oversized) is skipped with a
// warning naming it; the persona is unavailable only when no file is usable.
type DirSource struct {
	root   string
	logger *slog.Logger

	mu     sync.Mutex
	files  map[string]dirFile // by slash-separated name, the last read of each file
	sig    string             // the folder's listing (names, sizes, times) when cached was built
	cached twin.Persona
	err    error
}

type dirFile struct {
	size    int64
	modTime time.Time
	text    string
	err     error
}

var _ twin.PersonaSource = (*DirSource)(nil)

// NewDirSource returns a source reading the folder root.
func NewDirSource(root string, logger *slog.Logger) *DirSource {
	return &DirSource{root: root, logger: logger, files: map[string]dirFile{}}
}

// Persona returns the persona the folder holds now.
func (s *DirSource) Persona(ctx context.Context) (twin.Persona, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	entries, err := s.list()
	if err != nil {
		s.sig, s.cached = "", twin.Persona{}
		s.logger.WarnContext(ctx, "persona unavailable", "path", s.root, "error", err.Error())
		return twin.Persona{}, unavailable(err)
	}
	var sig strings.Builder
	for _, e := range entries {
		fmt.Fprintf(&sig, "%s|%d|%d\n", e.name, e.size, e.modTime.UnixNano())
	}
	if sig.String() == s.sig {
		return s.cached, s.err
	}
	seen := map[string]dirFile{}
	var docs []Doc
	var meta []byte
	var skipped []Skipped
	for _, e := range entries {
		f, ok := s.files[e.name]
		if !ok || f.size != e.size || !f.modTime.Equal(e.modTime) {
			f = dirFile{size: e.size, modTime: e.modTime}
			f.text, f.err = s.read(e.name, e.size)
		}
		seen[e.name] = f
		switch {
		case f.err != nil:
			skipped = append(skipped, Skipped{e.name, f.err})
		case e.name == MetaFile:
			meta = []byte(f.text)
		default:
			docs = append(docs, Doc{Name: e.name, Text: f.text})
		}
	}
	p, more, err := Assemble(docs, meta)
	for _, sk := range append(skipped, more...) {
		s.logger.WarnContext(ctx, "persona source skipped", "path", filepath.Join(s.root, filepath.FromSlash(sk.Name)), "error", sk.Reason.Error())
	}
	s.files, s.sig, s.cached, s.err = seen, sig.String(), p, err
	if err != nil {
		s.logger.WarnContext(ctx, "persona unavailable", "path", s.root, "error", err.Error())
		return twin.Persona{}, err
	}
	s.logger.InfoContext(ctx, "persona loaded", "source", s.root, "sources", len(docs), "bytes", len(p.Text), "version", p.Version)
	return p, nil
}

type dirEntry struct {
	name    string
	size    int64
	modTime time.Time
}

// maxSources bounds how many files a persona folder may hold.
const maxSources = 200

// list returns the folder's persona sources and persona.yaml, in path order.
func (s *DirSource) list() ([]dirEntry, error) {
	var out []dirEntry
	err := filepath.WalkDir(s.root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			if p == s.root {
				return err
			}
			return nil // an unreadable sub-folder is left out
		}
		rel, _ := filepath.Rel(s.root, p)
		name := filepath.ToSlash(rel)
		if d.IsDir() {
			if p != s.root && strings.HasPrefix(d.Name(), ".") {
				return filepath.SkipDir
			}
			return nil
		}
		if name != MetaFile && !Readable(name) {
			return nil
		}
		info, err := d.Info()
		if err != nil || !info.Mode().IsRegular() {
			return nil
		}
		if len(out) == maxSources {
			return fmt.Errorf("more than %d persona files", maxSources)
		}
		out = append(out, dirEntry{name: name, size: info.Size(), modTime: info.ModTime()})
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("read persona folder %q: %w", s.root, err)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].name < out[j].name })
	return out, nil
}

// read reads and extracts one file, refusing one larger than its kind allows before reading it.
func (s *DirSource) read(name string, size int64) (string, error) {
	limit := int64(MaxBytes)
	if strings.EqualFold(filepath.Ext(name), ".pdf") {
		limit = MaxPDFBytes
	}
	if size > limit {
		return "", fmt.Errorf("%d bytes, over the %d byte limit", size, limit)
	}
	f, err := os.Open(filepath.Join(s.root, filepath.FromSlash(name)))
	if err != nil {
		return "", err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return "", err
	}
	if name == MetaFile {
		if int64(len(data)) > limit {
			return "", errors.New("persona.yaml is too large")
		}
		return string(data), nil
	}
	return Extract(name, data)
}
