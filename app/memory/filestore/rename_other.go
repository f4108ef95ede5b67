//go:build !linux

package filestore

// swap and link need renameat2; elsewhere the store falls back to a plain rename.
var (
	swap = func(_, _ string) error { return errNoRename2 }
	link = func(_, _ string) error { return errNoRename2 }
)
