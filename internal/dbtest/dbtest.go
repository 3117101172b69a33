// Package dbtest gives package tests a real store to run against.
package dbtest

import (
	"path/filepath"
	"testing"

	"github.com/switchboard-voice/switchboard"
	"github.com/switchboard-voice/switchboard/sqlite"
)

// SQLite opens a migrated SQLite store in a temporary directory, with one
// organisation, and returns it with the organisation's ID. The store is
// closed when the test ends.
func SQLite(tb testing.TB) (*sqlite.DB, string) {
	tb.Helper()
	db, err := sqlite.Open(filepath.Join(tb.TempDir(), "sb.db"), switchboard.SystemClock)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { db.Close() })
	if err := db.Migrate(tb.Context()); err != nil {
		tb.Fatal(err)
	}
	org, _, err := db.EnsureOrganization(tb.Context(), "acme")
	if err != nil {
		tb.Fatal(err)
	}
	return db, org.ID
}
