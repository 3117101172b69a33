package sqlite

import (
	"context"
	"embed"
	"fmt"

	"github.com/switchboard-voice/switchboard"
)

// migrations are the schema changes, applied in file-name order. A file is
// never edited once released: a change is a new file.
//
//go:embed migration/*.sql
var migrations embed.FS

// Migrate applies the migrations not yet recorded in schema_migrations, each
// in its own transaction together with its record. It is idempotent, and
// safe to run from two processes at once: the IMMEDIATE transactions
// serialise them and the second finds the work done.
func (db *Driver) Migrate(ctx context.Context) error {
	_, err := db.ApplyMigrations(ctx)
	return err
}

// ApplyMigrations is Migrate, returning the versions it applied.
func (db *Driver) ApplyMigrations(ctx context.Context) ([]string, error) {
	_, err := db.writer.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		version    TEXT    PRIMARY KEY,
		applied_at INTEGER NOT NULL
	) STRICT`)
	if err != nil {
		return nil, fmt.Errorf("migrate: %w", err)
	}
	applied, err := switchboard.ApplyMigrations(ctx, migrations, func(ctx context.Context, fn func(switchboard.MigrationTx) error) error {
		return db.write(ctx, func(tx *txn) error { return fn(migrationTx{tx}) })
	})
	if err != nil {
		return applied, err
	}
	// The tables exist now: prepare the statements of the hot write paths.
	for _, q := range callStmts {
		if _, err := db.writeStmt(ctx, q); err != nil {
			return applied, fmt.Errorf("migrate: prepare: %w", err)
		}
	}
	return applied, nil
}

// migrationTx is a write transaction running one migration.
type migrationTx struct{ *txn }

// Applied reports whether version is recorded.
func (tx migrationTx) Applied(ctx context.Context, version string) (bool, error) {
	var n int
	err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM schema_migrations WHERE version = ?`, version).Scan(&n)
	return n > 0, err
}

// Apply runs the migration's statements and records version.
func (tx migrationTx) Apply(ctx context.Context, body, version string) error {
	if _, err := tx.ExecContext(ctx, body); err != nil {
		return err
	}
	_, err := tx.ExecContext(ctx, `INSERT INTO schema_migrations (version, applied_at) VALUES (?, ?)`,
		version, micros(tx.db.now()))
	return err
}
