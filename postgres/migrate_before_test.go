package postgres

import (
	"context"
	"io/fs"
	"path"
	"testing"
	"testing/fstest"

	"github.com/jackc/pgx/v5"

	"github.com/switchboard-voice/switchboard"
)

// migrateBefore applies to d the migrations older than version only, so
// that a test can write rows in the schema as it was and then check what
// Migrate makes of them.
func migrateBefore(t *testing.T, d *Driver, version string) {
	t.Helper()
	ctx := t.Context()
	before := fstest.MapFS{}
	names, err := fs.Glob(migrations, "migration/*.sql")
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range names {
		if path.Base(name) < version {
			body, _ := fs.ReadFile(migrations, name)
			before[name] = &fstest.MapFile{Data: body}
		}
	}
	if _, err := d.pool.Exec(ctx, `CREATE TABLE schema_migrations (version text PRIMARY KEY, applied_at timestamptz NOT NULL)`); err != nil {
		t.Fatal(err)
	}
	_, err = switchboard.ApplyMigrations(ctx, before, func(ctx context.Context, fn func(switchboard.MigrationTx) error) error {
		return d.locked(ctx, func(tx pgx.Tx) error { return fn(migrationTx{tx, d.now}) })
	})
	if err != nil {
		t.Fatal(err)
	}
}
