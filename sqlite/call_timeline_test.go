package sqlite

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestMigrationCallTimeline: 0013_call_timeline moves each call's
// call_events rows into its timeline column, in the order the API listed
// them (time, then insertion), with their times to the microsecond; a call
// without entries gets an empty timeline; call_events is gone.
func TestMigrationCallTimeline(t *testing.T) {
	ctx := t.Context()
	d, err := OpenDriver(filepath.Join(t.TempDir(), "switchboard.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	migrateBefore(t, d, "0013")
	exec := func(q string, args ...any) {
		t.Helper()
		if _, err := d.writer.ExecContext(ctx, q, args...); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	exec(`INSERT INTO organizations (id, name, created_at) VALUES ('org_a', 'acme', 0)`)
	for _, id := range []string{"call_a", "call_b"} {
		exec(`INSERT INTO calls (id, organization_id, direction, from_number, to_number, status, sip_call_id, node,
			created_at, updated_at) VALUES (?, 'org_a', 'inbound', '+2348031234567', '+14155550100', 'completed', ?, 'n', 0, 0)`, id, id)
	}
	at := time.Date(2025, 6, 1, 12, 0, 0, 123456000, time.UTC)
	// Inserted out of time order: the late entry sorts by its time; the
	// two at one instant keep their insertion order.
	rows := []struct {
		id, typ, status, detail string
		at                      time.Time
	}{
		{"cev_1", "call.initiated", "initiated", "", at},
		{"cev_3", "call.ringing", "ringing", "", at.Add(time.Second)},
		{"cev_2", "call.failover", "ringing", `503 from "sip:a"`, at.Add(time.Second)},
		{"cev_4", "call.completed", "completed", "user_hangup", at.Add(time.Minute)},
		{"cev_0", "call.note", "initiated", "", at.Add(time.Millisecond)},
	}
	for _, r := range rows {
		exec(`INSERT INTO call_events (id, call_id, organization_id, type, occurred_at, status, detail)
			VALUES (?, 'call_a', 'org_a', ?, ?, ?, ?)`, r.id, r.typ, r.at.UnixMicro(), r.status, r.detail)
	}
	if _, err := d.ApplyMigrations(ctx); err != nil {
		t.Fatal(err)
	}
	evs, err := d.CallEvents(ctx, "org_a", "call_a")
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, ev := range evs {
		got = append(got, fmt.Sprintf("%s %s %s %s %q %s", ev.ID, ev.CallID, ev.Type, ev.Status, ev.Detail, ev.Timestamp.Format(time.RFC3339Nano)))
	}
	var want []string
	for _, i := range []int{0, 4, 1, 2, 3} {
		r := rows[i]
		want = append(want, fmt.Sprintf("%s call_a %s %s %q %s", r.id, r.typ, r.status, r.detail, r.at.Format(time.RFC3339Nano)))
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("call_a's timeline after 0013:\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if evs, err := d.CallEvents(ctx, "org_a", "call_b"); err != nil || len(evs) != 0 {
		t.Errorf("call_b (no entries) after 0013: %v, %v; want an empty timeline", evs, err)
	}
	var n int
	if err := d.reader.QueryRowContext(ctx, `SELECT count(*) FROM sqlite_schema WHERE name = 'call_events'`).Scan(&n); err != nil || n != 0 {
		t.Errorf("call_events after 0013: %d, %v; want dropped", n, err)
	}
}
