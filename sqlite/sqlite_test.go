package sqlite

import (
	"context"
	"database/sql"
	"path/filepath"
	"slices"
	"testing"

	"github.com/switchboard-voice/switchboard"
	"github.com/switchboard-voice/switchboard/storetest"
)

// openTest opens and migrates a fresh database file in t's temp dir.
func openTest(t testing.TB, path string, clock switchboard.Clock) *DB {
	t.Helper()
	db, err := Open(path, clock)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	if err := db.Migrate(t.Context()); err != nil {
		db.Close()
		t.Fatalf("Migrate: %v", err)
	}
	return db
}

func TestStore(t *testing.T) {
	storetest.Run(t, func(t *testing.T, clock switchboard.Clock) switchboard.Store {
		return openTest(t, filepath.Join(t.TempDir(), "switchboard.db"), clock)
	})
}

func TestMigrateIsIdempotentAndKeepsData(t *testing.T) {
	ctx := t.Context()
	path := filepath.Join(t.TempDir(), "switchboard.db")
	db := openTest(t, path, nil)
	if err := db.Migrate(ctx); err != nil {
		t.Fatalf("second Migrate: %v", err)
	}
	if _, _, err := db.EnsureOrganization(ctx, "acme"); err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}

	db = openTest(t, path, nil) // migrates a third time, on reopen
	defer db.Close()
	names, err := migrations.ReadDir("migration")
	if err != nil {
		t.Fatal(err)
	}
	var applied int
	if err := db.d.reader.QueryRowContext(ctx, `SELECT COUNT(*) FROM schema_migrations`).Scan(&applied); err != nil {
		t.Fatal(err)
	}
	if applied != len(names) || applied == 0 {
		t.Errorf("schema_migrations has %d rows, want one per migration (%d)", applied, len(names))
	}
	if n, err := db.CountOrganizations(ctx); err != nil || n != 1 {
		t.Errorf("CountOrganizations after reopen = %d, %v; want 1", n, err)
	}
}

// TestPragmas checks that every connection of both pools got the DSN
// pragmas, the file is in WAL mode, and readers cannot write.
func TestPragmas(t *testing.T) {
	ctx := t.Context()
	path := filepath.Join(t.TempDir(), "switchboard.db")
	db := openTest(t, path, nil)
	defer db.Close()

	check := func(name string, c *sql.Conn, wantQueryOnly int) {
		t.Helper()
		var mode string
		var fk, busy, sync, queryOnly int
		for _, q := range []struct {
			sql  string
			dest any
		}{
			{"PRAGMA journal_mode", &mode}, {"PRAGMA foreign_keys", &fk}, {"PRAGMA busy_timeout", &busy},
			{"PRAGMA synchronous", &sync}, {"PRAGMA query_only", &queryOnly},
		} {
			if err := c.QueryRowContext(ctx, q.sql).Scan(q.dest); err != nil {
				t.Fatalf("%s: %s: %v", name, q.sql, err)
			}
		}
		// synchronous 1 is NORMAL.
		if mode != "wal" || fk != 1 || busy <= 0 || sync != 1 || queryOnly != wantQueryOnly {
			t.Errorf("%s: journal_mode=%s foreign_keys=%d busy_timeout=%d synchronous=%d query_only=%d",
				name, mode, fk, busy, sync, queryOnly)
		}
	}
	w, err := db.d.writer.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	check("writer", w, 0)
	w.Close()
	// Hold several reader connections at once so more than one is checked.
	var conns []*sql.Conn
	for range 3 {
		c, err := db.d.reader.Conn(ctx)
		if err != nil {
			t.Fatal(err)
		}
		conns = append(conns, c)
		check("reader", c, 1)
	}
	if _, err := conns[0].ExecContext(ctx, `INSERT INTO organizations (id, name, created_at) VALUES ('org_x', 'x', 0)`); err == nil {
		t.Error("a reader connection could write")
	}
	for _, c := range conns {
		c.Close()
	}

	// A fresh connection of any kind sees the file in WAL mode: it persists.
	raw, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	var mode string
	if err := raw.QueryRowContext(ctx, "PRAGMA journal_mode").Scan(&mode); err != nil || mode != "wal" {
		t.Errorf("journal_mode of the file = %q, %v; want wal", mode, err)
	}
}

// TestForeignKeys checks that the schema's references are enforced: an
// endpoint of an organisation that does not exist cannot be stored.
func TestForeignKeys(t *testing.T) {
	db := openTest(t, filepath.Join(t.TempDir(), "switchboard.db"), nil)
	defer db.Close()
	e, err := switchboard.NewEndpoint(switchboard.EndpointInput{Name: "x", Type: "webhook", URL: "https://example.com"})
	if err != nil {
		t.Fatal(err)
	}
	if err := db.CreateEndpoint(context.Background(), "org_doesNotExist", e); err == nil {
		t.Error("CreateEndpoint for a missing organisation succeeded")
	}
}

func TestOpenRejectsNonFilePaths(t *testing.T) {
	for _, dsn := range []string{"", ":memory:", "file:x.db?mode=memory", filepath.Join(t.TempDir(), "a?b.db")} {
		if db, err := Open(dsn, nil); err == nil {
			db.Close()
			t.Errorf("Open(%q) succeeded, want an error", dsn)
		}
	}
}

// TestMigrateGivesKeyScopes: 0008 gives the key scopes to the keys that
// held every scope there was before, and to no other.
func TestMigrateGivesKeyScopes(t *testing.T) {
	ctx := t.Context()
	db := openTest(t, filepath.Join(t.TempDir(), "switchboard.db"), nil)
	defer db.Close()
	org, _, err := db.EnsureOrganization(ctx, "acme")
	if err != nil {
		t.Fatal(err)
	}
	before := switchboard.AllScopes[:len(switchboard.AllScopes)-2]
	full, partial := migrationKey(t, db, org.ID, before), migrationKey(t, db, org.ID, before[1:])
	// Back to the schema before 0008, then forward again.
	for _, q := range []string{`ALTER TABLE api_keys DROP COLUMN expires_at`, `ALTER TABLE api_keys DROP COLUMN last_used_at`,
		`DELETE FROM schema_migrations WHERE version = '0008_api_keys'`} {
		if _, err := db.d.writer.ExecContext(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	if err := db.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		id   string
		want []switchboard.Scope
	}{{full, switchboard.AllScopes}, {partial, before[1:]}} {
		k, err := db.FindAPIKey(ctx, org.ID, tc.id)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(k.Scopes, tc.want) {
			t.Errorf("scopes after 0008 = %v, want %v", k.Scopes, tc.want)
		}
	}
}

func migrationKey(t *testing.T, db *DB, orgID string, scopes []switchboard.Scope) string {
	t.Helper()
	_, key := switchboard.GenerateAPIKey(true)
	key.OrganizationID, key.Scopes = orgID, scopes
	if err := db.CreateAPIKey(t.Context(), &key); err != nil {
		t.Fatal(err)
	}
	return key.ID
}

// TestCallRowWrites: a call's row is written at most twice, through the
// recorder, whatever its number of changes (storetest.RunCallRowWrites).
func TestCallRowWrites(t *testing.T) {
	storetest.RunCallRowWrites(t, func(t *testing.T) switchboard.Driver {
		db := openTest(t, filepath.Join(t.TempDir(), "switchboard.db"), nil)
		t.Cleanup(func() { db.Close() })
		return db.d
	})
}
