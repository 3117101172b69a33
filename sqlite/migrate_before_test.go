package sqlite

import (
	"context"
	"io/fs"
	"path/filepath"
	"testing"
	"testing/fstest"

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
		if filepath.Base(name) < version {
			body, _ := fs.ReadFile(migrations, name)
			before[name] = &fstest.MapFile{Data: body}
		}
	}
	if _, err := d.writer.ExecContext(ctx, `CREATE TABLE schema_migrations (version TEXT PRIMARY KEY, applied_at INTEGER NOT NULL) STRICT`); err != nil {
		t.Fatal(err)
	}
	_, err = switchboard.ApplyMigrations(ctx, before, func(ctx context.Context, fn func(switchboard.MigrationTx) error) error {
		return d.write(ctx, func(tx *txn) error { return fn(migrationTx{tx}) })
	})
	if err != nil {
		t.Fatal(err)
	}
}
