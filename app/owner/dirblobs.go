package owner

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
)

// DirBlobs stores records as files under a directory (the local store: DATA_DIR/leads/… next
// to DATA_DIR/sessions). Keys are made by this package; any key that could leave the directory
// is refused. Conditional writes compare a hash of the content under a lock: one local server
// owns the directory.
type DirBlobs struct {
	dir string
	mu  *sync.Mutex
}

var _ Blobs = DirBlobs{}

// NewDirBlobs returns a store rooted at dir.
func NewDirBlobs(dir string) DirBlobs { return DirBlobs{dir: dir, mu: &sync.Mutex{}} }

func (d DirBlobs) path(key string) (string, error) {
	if key == "" || strings.Contains(key, "..") || strings.HasPrefix(key, "/") || strings.ContainsAny(key, "\\\x00") {
		return "", fmt.Errorf("bad record key %q", key)
	}
	return filepath.Join(d.dir, filepath.FromSlash(key)), nil
}

// Put writes key atomically.
func (d DirBlobs) Put(_ context.Context, key string, data []byte) error {
	p, err := d.path(key)
	if err != nil {
		return err
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	return writeFile(p, data)
}

// PutIf writes key atomically if its content still hashes to version.
func (d DirBlobs) PutIf(_ context.Context, key string, data []byte, version string) error {
	p, err := d.path(key)
	if err != nil {
		return err
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	cur, err := os.ReadFile(p)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		if version != "" {
			return fmt.Errorf("%s: %w", key, ErrConflict)
		}
	case err != nil:
		return err
	case contentVersion(cur) != version:
		return fmt.Errorf("%s: %w", key, ErrConflict)
	}
	return writeFile(p, data)
}

func writeFile(p string, data []byte) error {
	if err := os.MkdirAll(filepath.Dir(p), 0o750); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(p), ".tmp-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), p)
}

func contentVersion(data []byte) string {
	sum := sha256.Sum256(data)
	return hex.EncodeToString(sum[:16])
}

// Get reads key and the hash of its content.
func (d DirBlobs) Get(_ context.Context, key string) ([]byte, string, error) {
	p, err := d.path(key)
	if err != nil {
		return nil, "", err
	}
	data, err := os.ReadFile(p)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, "", fmt.Errorf("%s: %w", key, ErrNoBlob)
	}
	if err != nil {
		return nil, "", err
	}
	return data, contentVersion(data), nil
}

// List returns the keys under prefix.
func (d DirBlobs) List(_ context.Context, prefix string) ([]string, error) {
	var keys []string
	// Walk only the prefix's directory: the sessions next to the records are never visited.
	root := d.dir
	if i := strings.LastIndex(prefix, "/"); i > 0 {
		p, err := d.path(prefix[:i])
		if err != nil {
			return nil, err
		}
		root = p
	}
	err := filepath.WalkDir(root, func(p string, e fs.DirEntry, err error) error {
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				return nil
			}
			return err
		}
		if e.IsDir() || strings.HasPrefix(e.Name(), ".tmp-") {
			return nil
		}
		rel, err := filepath.Rel(d.dir, p)
		if err != nil {
			return err
		}
		if key := filepath.ToSlash(rel); strings.HasPrefix(key, prefix) {
			keys = append(keys, key)
		}
		return nil
	})
	sort.Strings(keys)
	return keys, err
}
