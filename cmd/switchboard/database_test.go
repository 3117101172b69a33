package main

import (
	"context"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/switchboard-voice/switchboard"
)

// testDatabase returns a fresh, empty database for one test as a
// --database value: an SQLite file by default, or — with
// SWITCHBOARD_TEST_DATABASE=postgres — a schema of its own in the
// PostgreSQL named by SWITCHBOARD_TEST_POSTGRES, dropped afterwards, so
// the whole end-to-end suite runs against either store and concurrent runs
// never collide.
func testDatabase(t *testing.T) string {
	t.Helper()
	if os.Getenv("SWITCHBOARD_TEST_DATABASE") != "postgres" {
		return "sqlite:" + filepath.Join(t.TempDir(), "switchboard.db")
	}
	base := os.Getenv("SWITCHBOARD_TEST_POSTGRES")
	if base == "" {
		base = "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"
	}
	schema := "e2e_" + strings.ToLower(switchboard.RandomBase62(12))
	u, err := url.Parse(base)
	if err != nil {
		t.Fatalf("SWITCHBOARD_TEST_POSTGRES: %v", err)
	}
	q := u.Query()
	q.Set("schema", schema)
	u.RawQuery = q.Encode()
	t.Cleanup(func() {
		conn, err := pgx.Connect(context.Background(), base)
		if err != nil {
			t.Errorf("drop schema %s: %v", schema, err)
			return
		}
		defer conn.Close(context.Background())
		if _, err := conn.Exec(context.Background(), "DROP SCHEMA IF EXISTS "+schema+" CASCADE"); err != nil {
			t.Errorf("drop schema %s: %v", schema, err)
		}
	})
	return u.String()
}

func TestCallJournalDir(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ flag, dsn, want string }{
		{"", "switchboard.db", "switchboard.db.calls"},
		{"", "sqlite:/var/lib/sb/x.db", "/var/lib/sb/x.db.calls"},
		{"", "postgres://db/sb", "switchboard-calls"},
		{"", "postgresql://db/sb", "switchboard-calls"},
		{"/data/journal", "postgres://db/sb", "/data/journal"},
		{"off", "switchboard.db", ""},
	} {
		if got := callJournalDir(tc.flag, tc.dsn); got != tc.want {
			t.Errorf("callJournalDir(%q, %q) = %q, want %q", tc.flag, tc.dsn, got, tc.want)
		}
	}
}
