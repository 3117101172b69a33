package httpapi_test

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/switchboard-voice/switchboard"
	"github.com/switchboard-voice/switchboard/sqlite"
	"github.com/switchboard-voice/switchboard/storecache"
)

// checkingStore opens a fresh SQLite database under a checking storecache
// (one that panics if anything modifies a cached endpoint, which the API
// shares with the cache), with an hour's TTL so that only invalidation by
// the API's own writes keeps answers fresh, and one organisation. It
// returns the database (to compare against), the cache (to serve the API
// from) and the organisation's ID; both close when the test ends.
func checkingStore(t *testing.T, org string) (*sqlite.DB, switchboard.Store, string) {
	t.Helper()
	ctx := context.Background()
	db, err := sqlite.Open(filepath.Join(t.TempDir(), "cache.db"), switchboard.SystemClock)
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	cache := storecache.NewChecking(db, time.Hour, switchboard.SystemClock)
	t.Cleanup(func() {
		if err := cache.Close(); err != nil {
			t.Error(err)
		}
	})
	o, _, err := db.EnsureOrganization(ctx, org)
	if err != nil {
		t.Fatal(err)
	}
	return db, cache, o.ID
}

// openDB opens a fresh, migrated SQLite database named name under the
// test's temporary directory; it closes when the test ends.
func openDB(t testing.TB, name string) *sqlite.DB {
	t.Helper()
	db, err := sqlite.Open(filepath.Join(t.TempDir(), name), switchboard.SystemClock)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if err := db.Migrate(context.Background()); err != nil {
		t.Fatal(err)
	}
	return db
}

// newTestKey stores a key of orgID with the given scopes and returns its secret.
func newTestKey(t *testing.T, db *sqlite.DB, orgID string, scopes ...switchboard.Scope) string {
	t.Helper()
	secret, key := switchboard.GenerateAPIKey(true)
	key.OrganizationID, key.Scopes = orgID, scopes
	if err := db.CreateAPIKey(context.Background(), &key); err != nil {
		t.Fatal(err)
	}
	return secret
}
