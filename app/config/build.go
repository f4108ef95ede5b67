package config

import (
	"runtime/debug"
	"strings"
)

// version is set at build time: -ldflags "-X github.com/digitaltwin/twin/app/config.version=v1.2.3".
var version = ""

// Build describes the running binary.
type Build struct {
	Version  string // the -ldflags version, else the module version (go install …@v1.2.3), else "dev"
	Revision string // the VCS commit the binary was built from ("" when unknown), "-dirty" when modified
}

// String is the line `twin -version` prints.
func (b Build) String() string {
	if b.Revision == "" {
		return "twin " + b.Version
	}
	return "twin " + b.Version + " (commit " + b.Revision + ")"
}

// BuildInfo returns the binary's version and revision: what the linker was told, else what the
// Go toolchain recorded in the binary (module version and VCS stamp).
func BuildInfo() Build {
	return buildFrom(version, debug.ReadBuildInfo)
}

func buildFrom(ldflagsVersion string, read func() (*debug.BuildInfo, bool)) Build {
	b := Build{Version: ldflagsVersion}
	info, ok := read()
	if !ok {
		if b.Version == "" {
			b.Version = "dev"
		}
		return b
	}
	if b.Version == "" {
		if v := info.Main.Version; v != "" && v != "(devel)" {
			b.Version = v
		} else {
			b.Version = "dev"
		}
	}
	var dirty bool
	for _, s := range info.Settings {
		switch s.Key {
		case "vcs.revision":
			b.Revision = s.Value
		case "vcs.modified":
			dirty = s.Value == "true"
		}
	}
	if len(b.Revision) > 12 {
		b.Revision = b.Revision[:12]
	}
	if b.Revision != "" && dirty {
		b.Revision += "-dirty"
	}
	// A pseudo-version already names the commit: don't say it twice.
	if b.Revision != "" && strings.Contains(b.Version, strings.TrimSuffix(b.Revision, "-dirty")) {
		b.Revision = ""
	}
	return b
}
