package filestore

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"github.com/digitaltwin/twin/app/twin"
)

// A write fills a spare file and swaps it with the session's file in one rename
// (docs/decisions/0032-file-store-swaps-spare-files.md): readers see the old file or the new one,
// never half of either, and no inode is made or freed per write. The swapped-out file holds the
// session's previous version and becomes a spare for the next write; a new session's first write
// renames its spare into place, so a session costs one new inode, once.

// sparePrefix names spare files: hidden, never a session id, removed when the store opens.
const sparePrefix = ".spare-"

// maxSpares bounds the pool; past it a returned spare is removed.
const maxSpares = 64

// errNoRename2 reports a system without renameat2's exchange and no-replace flags.
var errNoRename2 = errors.New("renameat2 not supported")

// spares is the store's pool of spare files.
type spares struct {
	dir  string
	mu   sync.Mutex
	free []spare
}

// spare is a file in the pool and the session whose earlier version it holds ("" for none).
type spare struct {
	path  string
	holds string
}

// openSpares removes spares (and the temporary files of older versions) a previous process left,
// since they may hold versions of conversations deleted since.
func openSpares(dir string) (*spares, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("list memory dir %q: %w", dir, err)
	}
	for _, e := range entries {
		if n := e.Name(); strings.HasPrefix(n, sparePrefix) || strings.HasPrefix(n, ".tmp-") {
			if err := os.Remove(filepath.Join(dir, n)); err != nil && !errors.Is(err, fs.ErrNotExist) {
				return nil, fmt.Errorf("remove stale spare: %w", err)
			}
		}
	}
	return &spares{dir: dir}, nil
}

// take returns a spare opened for writing, from the pool or new.
func (p *spares) take() (*os.File, error) {
	p.mu.Lock()
	var sp spare
	if n := len(p.free); n > 0 {
		sp, p.free = p.free[n-1], p.free[:n-1]
	}
	p.mu.Unlock()
	if sp.path == "" {
		return os.CreateTemp(p.dir, sparePrefix+"*")
	}
	f, err := os.OpenFile(sp.path, os.O_WRONLY, 0)
	if err != nil {
		_ = os.Remove(sp.path)
	}
	return f, err
}

// give returns a spare holding session id's earlier version to the pool.
func (p *spares) give(path, id string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if len(p.free) < maxSpares {
		p.free = append(p.free, spare{path: path, holds: id})
		return
	}
	_ = os.Remove(path)
}

// forget removes the spares holding versions of session id, so a deleted conversation leaves no
// copy behind.
func (p *spares) forget(id string) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	kept := p.free[:0]
	var errs []error
	for _, sp := range p.free {
		if sp.holds != id {
			kept = append(kept, sp)
			continue
		}
		if err := os.Remove(sp.path); err != nil && !errors.Is(err, fs.ErrNotExist) {
			errs = append(errs, err)
		}
	}
	p.free = kept
	return errors.Join(errs...)
}

// write stores sess at path atomically and returns the written file's stat. exists says whether
// the caller found a file at path; a file that appeared since (another process) is fs.ErrExist,
// and the caller reads it and applies its messages again.
func (p *spares) write(path string, sess twin.Session, exists bool) (fs.FileInfo, error) {
	data, err := json.Marshal(sess)
	if err != nil {
		return nil, fmt.Errorf("encode session: %w", err)
	}
	f, err := p.take()
	if err != nil {
		return nil, fmt.Errorf("write session: %w", err)
	}
	spare := f.Name()
	fi, err := fill(f, data)
	if err != nil {
		_ = os.Remove(spare)
		return nil, fmt.Errorf("write session %q: %w", spare, err)
	}
	if exists {
		err = swap(spare, path)
		if err == nil {
			p.give(spare, sess.ID)
			return fi, nil
		}
		if !errors.Is(err, fs.ErrNotExist) && !errors.Is(err, errNoRename2) {
			_ = os.Remove(spare)
			return nil, fmt.Errorf("swap session into %q: %w", path, err)
		}
	}
	if err = link(spare, path); errors.Is(err, errNoRename2) {
		err = os.Rename(spare, path)
	}
	if err != nil {
		_ = os.Remove(spare)
		if errors.Is(err, fs.ErrExist) {
			return nil, err
		}
		return nil, fmt.Errorf("rename session into %q: %w", path, err)
	}
	return fi, nil
}

// fill writes data over the open spare f, cuts what is left of its earlier contents (if it was
// longer), closes it, and returns its stat (a rename keeps size and modification time).
func fill(f *os.File, data []byte) (fs.FileInfo, error) {
	_, err := f.Write(data)
	var fi fs.FileInfo
	if err == nil {
		fi, err = f.Stat()
	}
	if err == nil && fi.Size() > int64(len(data)) {
		if err = f.Truncate(int64(len(data))); err == nil {
			fi, err = f.Stat()
		}
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return fi, err
}
