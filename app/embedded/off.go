//go:build !embed

package embedded

import "io/fs"

func site() fs.FS { return nil }

func persona() []byte { return nil }
