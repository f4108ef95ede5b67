package filestore

import (
	"errors"
	"os"

	"golang.org/x/sys/unix"
)

// swap exchanges the files at a and b in one step (renameat2 RENAME_EXCHANGE): each name then
// names the other's inode, and a reader opening either sees one whole file or the other.
// link renames a to b only if b does not exist (RENAME_NOREPLACE); fs.ErrExist otherwise.
// Variables so a test can take them away, as a file system without the flags does.
var (
	swap = func(a, b string) error { return rename2(a, b, unix.RENAME_EXCHANGE) }
	link = func(a, b string) error { return rename2(a, b, unix.RENAME_NOREPLACE) }
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
