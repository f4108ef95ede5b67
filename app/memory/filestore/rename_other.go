//go:build !linux

package filestore

import "io/fs"

// swap and link need renameat2, create O_TMPFILE; elsewhere the store falls back to a temporary
// file and a plain rename.
var (
	swap   = func(_, _ string) error { return errNoRename2 }
	link   = func(_, _ string) error { return errNoRename2 }
	create = func(_, _ string, _ []byte) (fs.FileInfo, error) { return nil, errNoTmpfile }
)
