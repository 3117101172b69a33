package main

import (
	"context"
	"fmt"
	"strings"

	"github.com/switchboard-voice/switchboard"
	"github.com/switchboard-voice/switchboard/postgres"
	"github.com/switchboard-voice/switchboard/sqlite"
)

// defaultDatabase is the embedded SQLite file in the working directory.
const defaultDatabase = "switchboard.db"

// callJournalDir resolves --call-journal: "off" is none; empty is the
// default, beside an SQLite database's file (it belongs with that file),
// or ./switchboard-calls with PostgreSQL (the journal is the node's own,
// on its local disk).
func callJournalDir(flag, dsn string) string {
	switch {
	case flag == "off":
		return ""
	case flag != "":
		return flag
	case isPostgres(dsn):
		return "switchboard-calls"
	}
	return strings.TrimPrefix(dsn, "sqlite:") + ".calls"
}

// isPostgres reports whether a --database value names PostgreSQL.
func isPostgres(dsn string) bool {
	return strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://")
}

// openStore opens and migrates the store named by a --database value:
// sqlite:PATH, a plain path, or postgres://… (migrations take an advisory
// lock, so several nodes may start at once).
func openStore(ctx context.Context, dsn string, clock switchboard.Clock) (switchboard.Store, error) {
	store, _, err := openStoreMigrated(ctx, dsn, clock)
	return store, err
}

// openStoreMigrated is openStore, also returning the migrations it applied.
func openStoreMigrated(ctx context.Context, dsn string, clock switchboard.Clock) (switchboard.Store, []string, error) {
	if isPostgres(dsn) {
		db, err := postgres.Open(ctx, dsn, clock)
		if err != nil {
			return nil, nil, fmt.Errorf("open database %s: %w", redactDSN(dsn), err)
		}
		applied, err := db.ApplyMigrations(ctx)
		if err != nil {
			db.Close()
			return nil, nil, fmt.Errorf("migrate database %s: %w", redactDSN(dsn), err)
		}
		return db, applied, nil
	}
	path := strings.TrimPrefix(dsn, "sqlite:")
	if path == "" {
		return nil, nil, usageError{"--database is empty"}
	}
	db, err := sqlite.Open(path, clock)
	if err != nil {
		return nil, nil, fmt.Errorf("open database %s: %w", path, err)
	}
	applied, err := db.ApplyMigrations(ctx)
	if err != nil {
		db.Close()
		return nil, nil, fmt.Errorf("migrate database %s: %w", path, err)
	}
	return db, applied, nil
}
