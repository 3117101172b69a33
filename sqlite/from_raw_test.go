package sqlite

import (
	"path/filepath"
	"strings"
	"testing"
)

// TestMigrationFromRaw: calls recorded before 0012_from_raw with a
// from_number that is no number get it moved to from_raw; numbers stay.
func TestMigrationFromRaw(t *testing.T) {
	ctx := t.Context()
	d, err := OpenDriver(filepath.Join(t.TempDir(), "switchboard.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	// The schema as it was before 0012.
	migrateBefore(t, d, "0012")
	froms := map[string]string{"call_a": "sipp", "call_b": "+2348031234567", "call_c": "", "call_d": "+12a", "call_e": "anonymous"}
	for id, from := range froms {
		if _, err := d.writer.ExecContext(ctx, `INSERT INTO calls (id, direction, from_number, to_number, status,
			sip_call_id, node, created_at, updated_at) VALUES (?, 'inbound', ?, '+14155550100', 'failed', ?, 'n', 0, 0)`,
			id, from, id); err != nil {
			t.Fatal(err)
		}
	}
	applied, err := d.ApplyMigrations(ctx)
	if err != nil || len(applied) == 0 || !strings.HasPrefix(applied[0], "0012_from_raw") {
		t.Fatalf("ApplyMigrations = %v, %v; want 0012_from_raw first", applied, err)
	}
	want := map[string][2]string{
		"call_a": {"", "sipp"}, "call_b": {"+2348031234567", ""}, "call_c": {"", ""},
		"call_d": {"", "+12a"}, "call_e": {"", "anonymous"},
	}
	for id, w := range want {
		var number, raw string
		if err := d.reader.QueryRowContext(ctx, `SELECT from_number, from_raw FROM calls WHERE id = ?`, id).Scan(&number, &raw); err != nil {
			t.Fatal(err)
		}
		if number != w[0] || raw != w[1] {
			t.Errorf("%s (from_number was %q): from_number %q, from_raw %q; want %q, %q", id, froms[id], number, raw, w[0], w[1])
		}
	}
}
