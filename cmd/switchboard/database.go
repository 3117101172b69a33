package main

import (
	"context"
	"fmt"
	"strings"

	"github.com/switchboard-voice/switchboard"
	"github.com/switchboard-voice/switchboard/sqlite"
)

// defaultDatabase is the embedded SQLite file in the working directory.
const defaultDatabase = "switchboard.db"

// openStore opens and migrates the store named by a --database value:
// sqlite:PATH, a plain path, or postgres://….
func openStore(ctx context.Context, dsn string, clock switchboard.Clock) (switchboard.Store, error) {
	switch {
	case strings.HasPrefix(dsn, "postgres://"), strings.HasPrefix(dsn, "postgresql://"):
		return nil, usageError{"PostgreSQL is not supported yet (see the PostgreSQL issue); use sqlite:PATH"}
	}
	path := strings.TrimPrefix(dsn, "sqlite:")
	if path == "" {
		return nil, usageError{"--database is empty"}
	}
	db, err := sqlite.Open(path, clock)
	if err != nil {
		return nil, fmt.Errorf("open database %s: %w", path, err)
	}
	if err := db.Migrate(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("migrate database %s: %w", path, err)
	}
	return db, nil
}
