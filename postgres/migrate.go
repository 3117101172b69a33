package postgres

import (
	"context"
	"embed"
	"errors"
	"fmt"

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
			return fmt.Errorf("migrate: create schema %s: %w", db.schema, err)
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
		return fmt.Errorf("migrate: %w", err)
	}
	ms, err := switchboard.Migrations(migrations)
	if err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	for _, m := range ms {
		if err := db.locked(ctx, func(tx pgx.Tx) error { return db.apply(ctx, tx, m.File, m.Version) }); err != nil {
			return fmt.Errorf("migrate %s: %w", m.Version, err)
		}
	}
	return nil
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

func (db *Driver) apply(ctx context.Context, tx pgx.Tx, name, version string) error {
	var applied bool
	err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM schema_migrations WHERE version = $1)`, version).Scan(&applied)
	if err != nil || applied {
		return err
	}
	body, err := migrations.ReadFile(name)
	if err != nil {
		return err
	}
	// Exec without arguments uses the simple protocol, which runs a file
	// of several statements.
	if _, err := tx.Exec(ctx, string(body)); err != nil {
		return err
	}
	_, err = tx.Exec(ctx, `INSERT INTO schema_migrations (version, applied_at) VALUES ($1, $2)`, version, db.now())
	return err
}
