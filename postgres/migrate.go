package postgres

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/switchboard-voice/switchboard"
)

// migrations are the schema changes, applied in file-name order. A file is
// never edited once released: a change is a new file.
//
//go:embed migration/*.sql
var migrations embed.FS

// migrateLockClass is the first key of the advisory locks that serialise
// migrations (the second is a hash of the schema), so nodes migrating one
// schema wait for each other while other schemas migrate beside them.
const migrateLockClass = 0x5357_4244 // "SWBD"

// Migrate applies the migrations not yet recorded in schema_migrations, in
// the search_path's first schema, each in its own transaction together
// with its record. It is idempotent, and safe to run from several nodes at
// once: each transaction first takes a transaction-scoped advisory lock on
// the schema (pg_advisory_xact_lock), so the nodes take turns, and those
// after the first find the work done.
func (db *Driver) Migrate(ctx context.Context) error {
	_, err := db.ApplyMigrations(ctx)
	return err
}

// ApplyMigrations is Migrate, returning the versions it applied.
func (db *Driver) ApplyMigrations(ctx context.Context) ([]string, error) {
	if db.schema != "" {
		// The schema option names a schema that may not exist yet. A lock
		// common to every schema keeps two nodes from creating it at once
		// (CREATE SCHEMA IF NOT EXISTS is not safe against a concurrent create).
		err := pgx.BeginFunc(ctx, db.pool, func(tx pgx.Tx) error {
			if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1, 0)`, migrateLockClass); err != nil {
				return err
			}
			_, err := tx.Exec(ctx, `CREATE SCHEMA IF NOT EXISTS `+pgx.Identifier{db.schema}.Sanitize())
			return err
		})
		if err != nil {
			return nil, fmt.Errorf("migrate: create schema %s: %w", db.schema, err)
		}
	}
	err := db.locked(ctx, func(tx pgx.Tx) error {
		_, err := tx.Exec(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
			version    text        PRIMARY KEY,
			applied_at timestamptz NOT NULL
		)`)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("migrate: %w", err)
	}
	return switchboard.ApplyMigrations(ctx, migrations, func(ctx context.Context, fn func(switchboard.MigrationTx) error) error {
		return db.locked(ctx, func(tx pgx.Tx) error { return fn(migrationTx{tx, db.now}) })
	})
}

// locked runs fn in a transaction that holds the migration lock of the
// search_path's schema.
func (db *Driver) locked(ctx context.Context, fn func(tx pgx.Tx) error) error {
	return pgx.BeginFunc(ctx, db.pool, func(tx pgx.Tx) error {
		var schema *string
		if err := tx.QueryRow(ctx, `SELECT current_schema()`).Scan(&schema); err != nil {
			return err
		}
		if schema == nil {
			return errors.New("no schema of the search_path exists: create it, or name it with the schema parameter of the DSN")
		}
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1, hashtext($2))`, migrateLockClass, *schema); err != nil {
			return err
		}
		return fn(tx)
	})
}

// migrationTx is the locked transaction of one migration.
type migrationTx struct {
	pgx.Tx
	now func() time.Time
}

// Applied reports whether version is recorded.
func (tx migrationTx) Applied(ctx context.Context, version string) (bool, error) {
	var applied bool
	err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM schema_migrations WHERE version = $1)`, version).Scan(&applied)
	return applied, err
}

// Apply runs body through Exec without arguments, which uses the simple
// protocol: it runs a file of several statements.
func (tx migrationTx) Apply(ctx context.Context, body, version string) error {
	if _, err := tx.Exec(ctx, body); err != nil {
		return err
	}
	_, err := tx.Exec(ctx, `INSERT INTO schema_migrations (version, applied_at) VALUES ($1, $2)`, version, tx.now())
	return err
}
