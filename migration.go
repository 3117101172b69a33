package switchboard

import (
	"context"
	"fmt"
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

// MigrationTx is the transaction one migration runs in, as
// ApplyMigrations uses it; the store words each step in its dialect.
type MigrationTx interface {
	// Applied reports whether version is recorded in schema_migrations.
	Applied(ctx context.Context, version string) (bool, error)
	// Apply runs body, the SQL of a migration file (several statements),
	// and records version as applied.
	Apply(ctx context.Context, body, version string) error
}

// ApplyMigrations applies the migrations of fsys (Migrations) not yet
// recorded, in order, each in its own transaction together with its
// record: inTx runs fn in a new transaction and commits it when fn returns
// nil. A migration recorded by the time its transaction runs is skipped,
// so that stores which serialise these transactions can migrate from
// several processes at once.
//
// It returns the versions it applied, in order: none when the database was
// up to date (or another process applied them first).
func ApplyMigrations(ctx context.Context, fsys fs.FS, inTx func(ctx context.Context, fn func(tx MigrationTx) error) error) ([]string, error) {
	ms, err := Migrations(fsys)
	if err != nil {
		return nil, fmt.Errorf("migrate: %w", err)
	}
	var done []string
	for _, m := range ms {
		ran := false
		err := inTx(ctx, func(tx MigrationTx) error {
			ran = false // a retried transaction starts over
			applied, err := tx.Applied(ctx, m.Version)
			if err != nil || applied {
				return err
			}
			body, err := fs.ReadFile(fsys, m.File)
			if err != nil {
				return err
			}
			ran = true
			return tx.Apply(ctx, string(body), m.Version)
		})
		if err != nil {
			return done, fmt.Errorf("migrate %s: %w", m.Version, err)
		}
		if ran {
			done = append(done, m.Version)
		}
	}
	return done, nil
}
