package postgres

import (
	"strings"
	"testing"
)

// TestMigrationFromRaw: calls recorded before 0011_from_raw with a
// from_number that is no number get it moved to from_raw; numbers stay.
func TestMigrationFromRaw(t *testing.T) {
	adminPool(t)
	ctx := t.Context()
	db := openSchema(t, withSearchPath(testDSN(), freshSchema(t)), nil)
	d := db.d
	migrateBefore(t, d, "0011")
	froms := map[string]string{"call_a": "sipp", "call_b": "+2348031234567", "call_c": "", "call_d": "+12a", "call_e": "anonymous"}
	for id, from := range froms {
		if _, err := d.pool.Exec(ctx, `INSERT INTO calls (id, direction, from_number, to_number, status,
			sip_call_id, node, created_at, updated_at) VALUES ($1, 'inbound', $2, '+14155550100', 'failed', $1, 'n', now(), now())`,
			id, from); err != nil {
			t.Fatal(err)
		}
	}
	applied, err := d.ApplyMigrations(ctx)
	if err != nil || len(applied) == 0 || !strings.HasPrefix(applied[0], "0011_from_raw") {
		t.Fatalf("ApplyMigrations = %v, %v; want 0011_from_raw first", applied, err)
	}
	want := map[string][2]string{
		"call_a": {"", "sipp"}, "call_b": {"+2348031234567", ""}, "call_c": {"", ""},
		"call_d": {"", "+12a"}, "call_e": {"", "anonymous"},
	}
	for id, w := range want {
		var number, raw string
		if err := d.pool.QueryRow(ctx, `SELECT from_number, from_raw FROM calls WHERE id = $1`, id).Scan(&number, &raw); err != nil {
			t.Fatal(err)
		}
		if number != w[0] || raw != w[1] {
			t.Errorf("%s (from_number was %q): from_number %q, from_raw %q; want %q, %q", id, froms[id], number, raw, w[0], w[1])
		}
	}
}
