package sqlite

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/switchboard-voice/switchboard"
	"github.com/switchboard-voice/switchboard/storetest"
)

// TestEventRollsBackChange checks the other half of atomicity, which the
// conformance suite cannot reach through the interface: when writing the
// event's delivery fails, the change that caused it is not committed.
func TestEventRollsBackChange(t *testing.T) {
	ctx := t.Context()
	db := openTest(t, filepath.Join(t.TempDir(), "switchboard.db"), nil)
	defer db.Close()
	org, _ := storetest.Subscribed(t, db, "https://example.com/in")
	if _, err := db.d.writer.ExecContext(ctx, `CREATE TRIGGER boom BEFORE INSERT ON deliveries
		BEGIN SELECT RAISE(ABORT, 'boom'); END`); err != nil {
		t.Fatal(err)
	}
	e, err := switchboard.NewEndpoint(switchboard.EndpointInput{Name: "x", Type: "webhook", URL: "https://example.com/x"})
	if err != nil {
		t.Fatal(err)
	}
	if err := db.CreateEndpoint(ctx, org.ID, e); err == nil || !strings.Contains(err.Error(), "boom") {
		t.Fatalf("CreateEndpoint with a failing delivery insert = %v, want the trigger's error", err)
	}
	var endpoints, events int
	if err := db.d.reader.QueryRowContext(ctx, `SELECT (SELECT COUNT(*) FROM endpoints), (SELECT COUNT(*) FROM events)`).
		Scan(&endpoints, &events); err != nil {
		t.Fatal(err)
	}
	if endpoints != 0 || events != 0 {
		t.Errorf("after the failed create: %d endpoints, %d events; want none", endpoints, events)
	}
}

// TestFindDeliveryAttempts checks that FindDelivery returns the attempts
// the worker recorded, in order, with every column.
func TestFindDeliveryAttempts(t *testing.T) {
	ctx := t.Context()
	db := openTest(t, filepath.Join(t.TempDir(), "switchboard.db"), nil)
	defer db.Close()
	org, _ := storetest.Subscribed(t, db, "https://example.com/in")
	if _, err := db.EmitEvent(ctx, org.ID, switchboard.EventCallCompleted, map[string]string{"call_id": "c"}, switchboard.EmitOptions{}); err != nil {
		t.Fatal(err)
	}
	list, _, err := db.ListDeliveries(ctx, org.ID, switchboard.DeliveryFilter{})
	if err != nil || len(list) != 1 {
		t.Fatalf("ListDeliveries = %d, %v; want 1", len(list), err)
	}
	id := list[0].ID
	_, err = db.d.writer.ExecContext(ctx, `
		INSERT INTO delivery_attempts (delivery_id, number, attempted_at, status_code, latency_ms, error, response_excerpt)
		VALUES (?1, 2, 2000000, 200, 12, '', 'ok'), (?1, 1, 1000000, 0, 5000, 'timeout', '');
		UPDATE deliveries SET status = 'delivered', attempt_count = 2, next_attempt_at = NULL,
			last_status_code = 200, delivered_at = 2000000 WHERE id = ?1`, id)
	if err != nil {
		t.Fatal(err)
	}
	d, err := db.FindDelivery(ctx, org.ID, id)
	if err != nil {
		t.Fatal(err)
	}
	if d.Status != switchboard.DeliveryDelivered || d.AttemptCount != 2 || d.NextAttemptAt != nil ||
		d.LastStatusCode == nil || *d.LastStatusCode != 200 || d.DeliveredAt == nil || d.DeliveredAt.UnixMicro() != 2000000 {
		t.Errorf("delivery = %+v; want delivered after 2 attempts, last 200", d)
	}
	want := []switchboard.DeliveryAttempt{
		{Number: 1, AttemptedAt: fromMicros(1000000), StatusCode: 0, LatencyMS: 5000, Error: "timeout"},
		{Number: 2, AttemptedAt: fromMicros(2000000), StatusCode: 200, LatencyMS: 12, ResponseExcerpt: "ok"},
	}
	if len(d.Attempts) != 2 || d.Attempts[0] != want[0] || d.Attempts[1] != want[1] {
		t.Errorf("attempts = %+v, want %+v", d.Attempts, want)
	}
	if _, err := db.d.writer.ExecContext(ctx, `DELETE FROM deliveries WHERE id = ?`, id); err != nil {
		t.Fatal(err)
	}
	var n int
	if err := db.d.reader.QueryRowContext(ctx, `SELECT COUNT(*) FROM delivery_attempts`).Scan(&n); err != nil || n != 0 {
		t.Errorf("attempts left after their delivery was deleted: %d, %v", n, err)
	}
}

// TestEventQueryPlans checks that the fan-out and the worker's poll are
// index lookups, not scans of the tables that grow.
func TestEventQueryPlans(t *testing.T) {
	ctx := t.Context()
	db := openTest(t, filepath.Join(t.TempDir(), "switchboard.db"), nil)
	defer db.Close()
	for _, tc := range []struct{ query, index string }{
		{`SELECT id, url, events FROM webhooks WHERE organization_id = 'o' AND active = 1 ORDER BY id`, "webhooks_org_active"},
		{`SELECT id FROM deliveries WHERE status = 'pending' AND next_attempt_at <= 5 ORDER BY next_attempt_at LIMIT 10`, "deliveries_due"},
		{`SELECT id FROM deliveries d WHERE d.organization_id = 'o' ORDER BY d.created_at DESC, d.id DESC LIMIT 10`, "deliveries_org_created"},
		{`SELECT id FROM deliveries d WHERE d.organization_id = 'o' AND d.webhook_id = 'w' ORDER BY d.created_at DESC, d.id DESC LIMIT 10`, "deliveries_webhook"},
	} {
		rows, err := db.d.reader.QueryContext(ctx, `EXPLAIN QUERY PLAN `+tc.query)
		if err != nil {
			t.Fatal(err)
		}
		var plan []string
		for rows.Next() {
			var id, parent, unused int
			var detail string
			if err := rows.Scan(&id, &parent, &unused, &detail); err != nil {
				t.Fatal(err)
			}
			plan = append(plan, detail)
		}
		rows.Close()
		got := strings.Join(plan, "; ")
		if !strings.Contains(got, "INDEX "+tc.index) || strings.Contains(got, "TEMP B-TREE") {
			t.Errorf("%s\nplan: %s\nwant it to use %s without sorting", tc.query, got, tc.index)
		}
	}
}
