//go:build embed

package embedded

import (
	"embed"
	"io/fs"
)

//go:embed all:site
var siteFS embed.FS

//go:embed me.txt
var personaText []byte

func site() fs.FS {
	sub, err := fs.Sub(siteFS, "site")
	if err != nil {
		panic(err) // the embed pattern above guarantees the folder
	}
	return sub
}

func persona() []byte { return personaText }
