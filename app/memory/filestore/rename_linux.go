package filestore

import (
	"errors"
	"io/fs"
	"os"
	"strconv"

	"golang.org/x/sys/unix"
)

// swap exchanges the files at a and b in one step (renameat2 RENAME_EXCHANGE): each name then
// names the other's inode, and a reader opening either sees one whole file or the other.
// link renames a to b only if b does not exist (RENAME_NOREPLACE); fs.ErrExist otherwise.
// create makes a new session's file (createUnnamed). Variables so a test can take them away, as
// a file system without the flags or O_TMPFILE does.
var (
	swap   = func(a, b string) error { return rename2(a, b, unix.RENAME_EXCHANGE) }
	link   = func(a, b string) error { return rename2(a, b, unix.RENAME_NOREPLACE) }
	create = createUnnamed
)

func rename2(a, b string, flags uint) error {
	err := unix.Renameat2(unix.AT_FDCWD, a, unix.AT_FDCWD, b, flags)
	if errors.Is(err, unix.EINVAL) || errors.Is(err, unix.ENOSYS) || errors.Is(err, unix.EOPNOTSUPP) {
		return errNoRename2 // a file system (or kernel) without the flag
	}
	if err != nil {
		return &os.LinkError{Op: "renameat2", Old: a, New: b, Err: err}
	}
	return nil
}

// createUnnamed writes data to a new file that has no name yet (O_TMPFILE) and then links it at
// path, only if nothing is there (fs.ErrExist otherwise): no reader sees it half written, and
// it costs one new inode and one directory entry — no temporary name to add and rename away.
// errNoTmpfile where the file system cannot make unnamed files or /proc is missing.
func createUnnamed(dir, path string, data []byte) (fs.FileInfo, error) {
	fd, err := unix.Open(dir, unix.O_TMPFILE|unix.O_WRONLY|unix.O_CLOEXEC, 0o600)
	if errors.Is(err, unix.EOPNOTSUPP) || errors.Is(err, unix.EISDIR) || errors.Is(err, unix.EINVAL) {
		return nil, errNoTmpfile
	}
	if err != nil {
		return nil, &os.PathError{Op: "open unnamed file in", Path: dir, Err: err}
	}
	// Linking the descriptor's /proc name needs no privilege (AT_EMPTY_PATH would).
	name := "/proc/self/fd/" + strconv.Itoa(fd)
	f := os.NewFile(uintptr(fd), name)
	fi, err := fillOpen(f, data)
	if err == nil {
		err = unix.Linkat(unix.AT_FDCWD, name, unix.AT_FDCWD, path, unix.AT_SYMLINK_FOLLOW)
		switch {
		case errors.Is(err, unix.EEXIST):
			err = fs.ErrExist
		case errors.Is(err, unix.ENOENT) && !procFD():
			err = errNoTmpfile
		case err != nil:
			err = &os.LinkError{Op: "linkat", Old: name, New: path, Err: err}
		}
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return fi, err
}

// procFD reports whether /proc/self/fd is there to name an open file by.
func procFD() bool {
	_, err := os.Stat("/proc/self/fd")
	return err == nil
}
