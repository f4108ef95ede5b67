package filestore

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/digitaltwin/twin/app/twin"
)

// A session's writes alternate between two files, its file {id}.json and its shadow .{id}.prev
// (docs/decisions/0032-file-store-swaps-shadow-files.md). A write fills the shadow and exchanges
// the two in one rename (renameat2 RENAME_EXCHANGE): readers see the old version or the new one,
// never half of either, and no inode is made or freed. The shadow then holds the version before,
// of this session only, and is refilled by the session's next write — unless that comes within
// the grace period, when a reader (in another process) could still be reading it: then the write
// is a new file renamed over the old one, as before. A new session's first write makes its file
// without a name (O_TMPFILE), fills it, and links it into place only if nothing is there: no
// temporary name is added and renamed away (where O_TMPFILE is missing, a temporary file is
// renamed into place with RENAME_NOREPLACE). Its second write makes the shadow. So a session
// costs two inodes, made once.

// shadowGrace is how long a swapped-out version stays untouched before its shadow is refilled.
const shadowGrace = time.Second

// errNoRename2 reports a system without renameat2's exchange and no-replace flags, errNoTmpfile
// one that cannot make a file without a name and link it later (O_TMPFILE).
var (
	errNoRename2 = errors.New("renameat2 not supported")
	errNoTmpfile = errors.New("unnamed files not supported")
)

// shadowPath is the shadow of the session file at path ({dir}/{id}.json → {dir}/.{id}.prev).
func shadowPath(path string) string {
	dir, name := filepath.Split(path)
	return filepath.Join(dir, "."+strings.TrimSuffix(name, ".json")+".prev")
}

// tidy removes what an earlier process left: temporary files, and shadows whose session is gone
// (they hold versions of conversations deleted since).
func tidy(dir string) error {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return fmt.Errorf("list memory dir %q: %w", dir, err)
	}
	for _, e := range entries {
		n := e.Name()
		orphan := false
		if id, ok := strings.CutSuffix(strings.TrimPrefix(n, "."), ".prev"); ok && strings.HasPrefix(n, ".") {
			_, err := os.Lstat(filepath.Join(dir, id+".json"))
			orphan = errors.Is(err, fs.ErrNotExist)
		}
		if orphan || strings.HasPrefix(n, ".tmp-") {
			if err := os.Remove(filepath.Join(dir, n)); err != nil && !errors.Is(err, fs.ErrNotExist) {
				return fmt.Errorf("remove stale file: %w", err)
			}
		}
	}
	return nil
}

// write stores sess at path atomically, under the session's lock, and returns the written file's
// stat. exists says whether the caller found a file at path; a file that appeared since (another
// process) is fs.ErrExist, and the caller reads it and applies its messages again.
func (s *Store) write(e *session, path string, sess twin.Session, exists bool) (fs.FileInfo, error) {
	data, err := json.Marshal(sess)
	if err != nil {
		return nil, fmt.Errorf("encode session: %w", err)
	}
	if exists {
		// The shadow is used when it is new (no reader can hold it) or has held its version for
		// the grace period; else the write is a new file renamed over the old.
		shadow := shadowPath(path)
		f, err := os.OpenFile(shadow, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
		if errors.Is(err, fs.ErrExist) && s.now().Sub(e.swapped) >= s.grace {
			f, err = os.OpenFile(shadow, os.O_WRONLY, 0)
		}
		if err == nil {
			return s.swapIn(e, f, path, data)
		}
		if !errors.Is(err, fs.ErrExist) {
			return nil, fmt.Errorf("write session: %w", err)
		}
	}
	if !exists {
		// A new session's file is made without a name and linked into place, refusing to
		// replace a file made meanwhile.
		fi, err := create(filepath.Dir(path), path, data)
		if !errors.Is(err, errNoTmpfile) {
			if err != nil && !errors.Is(err, fs.ErrExist) {
				err = fmt.Errorf("write session: %w", err)
			}
			return fi, err
		}
	}
	// A temporary file renamed over the session's file, or placed where there is none.
	f, err := os.CreateTemp(filepath.Dir(path), ".tmp-*")
	if err != nil {
		return nil, fmt.Errorf("write session: %w", err)
	}
	fi, err := fill(f, data)
	if err == nil {
		if exists {
			err = rename(f.Name(), path)
		} else {
			err = place(f.Name(), path)
		}
	}
	if err != nil {
		_ = os.Remove(f.Name())
		return nil, err
	}
	return fi, nil
}

// swapIn fills the open shadow f with data and exchanges it with the session's file at path.
func (s *Store) swapIn(e *session, f *os.File, path string, data []byte) (fs.FileInfo, error) {
	shadow := f.Name()
	fi, err := fill(f, data)
	if err != nil {
		return nil, fmt.Errorf("write session %q: %w", shadow, err)
	}
	switch err = swap(shadow, path); {
	case err == nil:
		e.swapped = s.now()
		return fi, nil
	case errors.Is(err, errNoRename2): // a plain rename of the filled shadow
		return fi, rename(shadow, path)
	case !errors.Is(err, fs.ErrNotExist):
		return nil, fmt.Errorf("swap session into %q: %w", path, err)
	}
	// The session file is gone (removed by another process): the shadow takes its place.
	return fi, place(shadow, path)
}

// place renames a new file to path only if nothing is there (fs.ErrExist otherwise); a plain
// rename where renameat2 is missing.
func place(from, path string) error {
	err := link(from, path)
	if errors.Is(err, errNoRename2) {
		return rename(from, path)
	}
	if err != nil && !errors.Is(err, fs.ErrExist) {
		return fmt.Errorf("rename session into %q: %w", path, err)
	}
	return err
}

func rename(from, path string) error {
	if err := os.Rename(from, path); err != nil {
		return fmt.Errorf("rename session into %q: %w", path, err)
	}
	return nil
}

// fill writes data over the open file f, cuts what is left of its earlier contents (if it was
// longer), closes it, and returns its stat (a rename keeps size and modification time).
func fill(f *os.File, data []byte) (fs.FileInfo, error) {
	fi, err := fillOpen(f, data)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return fi, err
}

// fillOpen is fill leaving f open.
func fillOpen(f *os.File, data []byte) (fs.FileInfo, error) {
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
	return fi, err
}
