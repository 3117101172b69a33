package switchboard

import (
	"io/fs"
	"path"
	"slices"
	"strings"
)

// Migration is one schema migration a store embeds: migration/NAME.sql,
// whose version is NAME.
type Migration struct {
	File, Version string
}

// Migrations lists the migration/*.sql files of fsys in the order they
// apply: by name, which starts with a sequence number.
func Migrations(fsys fs.FS) ([]Migration, error) {
	names, err := fs.Glob(fsys, "migration/*.sql")
	if err != nil {
		return nil, err
	}
	slices.Sort(names)
	ms := make([]Migration, len(names))
	for i, name := range names {
		ms[i] = Migration{File: name, Version: strings.TrimSuffix(path.Base(name), ".sql")}
	}
	return ms, nil
}
