package config

import (
	"errors"
	"fmt"
	"io/fs"

	"github.com/joho/godotenv"
)

// DotEnv returns a getenv that answers from the real environment (lookup) first and from the
// file at path (usually ".env" in the working folder) second, so that a variable set in the
// shell always wins over the file. A missing file is not an error; a malformed one is, naming
// the file.
func DotEnv(path string, lookup func(string) (string, bool)) (func(string) string, error) {
	vars, err := godotenv.Read(path)
	if errors.Is(err, fs.ErrNotExist) {
		vars = nil
	} else if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return func(k string) string {
		if v, ok := lookup(k); ok {
			return v
		}
		return vars[k]
	}, nil
}
