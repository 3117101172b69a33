package sqlite

import (
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/switchboard-voice/switchboard"
	"github.com/switchboard-voice/switchboard/storetest"
)

// TestQueueQueryPlans checks that the queue's statements are index
// lookups: the claim walks deliveries_due without reading leased rows or
// sorting, its join reads each row by primary key, and the count reads
// the partial index alone.
func TestQueueQueryPlans(t *testing.T) {
	ctx := t.Context()
	db := openTest(t, filepath.Join(t.TempDir(), "switchboard.db"), nil)
	defer db.Close()
	for _, tc := range []struct {
		query string
		want  []string
	}{
		{claimSQL, []string{"USING COVERING INDEX deliveries_due"}},
		{claimJobsSQL, []string{
			"SEARCH d USING INTEGER PRIMARY KEY", "SEARCH e USING INDEX sqlite_autoindex_events_1",
			"SEARCH w USING INDEX sqlite_autoindex_webhooks_1", "SEARCH ep USING INDEX sqlite_autoindex_endpoints_1",
		}},
		{attemptSQL, []string{"SEARCH deliveries USING INDEX sqlite_autoindex_deliveries_1"}},
		{finishSQL, []string{"SEARCH deliveries USING INDEX sqlite_autoindex_deliveries_1"}},
		{deactivateSQL, []string{"SEARCH webhooks USING INDEX sqlite_autoindex_webhooks_1", "SEARCH deliveries USING INDEX sqlite_autoindex_deliveries_1"}},
		{`SELECT COUNT(*) FROM deliveries WHERE status = 'pending'`, []string{"USING COVERING INDEX deliveries_due"}},
	} {
		rows, err := db.d.reader.QueryContext(ctx, `EXPLAIN QUERY PLAN `+tc.query, "o", 1, 2, 3, "x", 5, 6)
		if err != nil {
			t.Fatalf("%s: %v", tc.query, err)
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
		for _, w := range tc.want {
			if !strings.Contains(got, w) {
				t.Errorf("%s\nplan: %s\nwant %s", tc.query, got, w)
			}
		}
		if strings.Contains(got, "SCAN d") || strings.Contains(got, "SCAN deliveries") ||
			(tc.query == claimSQL && strings.Contains(got, "TEMP B-TREE")) {
			t.Errorf("%s\nplan: %s\nscans or sorts deliveries", tc.query, got)
		}
	}
}

// BenchmarkClaimFinish measures the queue's cost per delivery: b.N
// deliveries queued through EmitEvent to one "*" subscription, drained by
// one worker claiming 200 at a time and finishing each batch as
// delivered. ns/delivery is the whole loop; claim-ns and finish-ns split
// it between the two transactions.
func BenchmarkClaimFinish(b *testing.B) {
	ctx := b.Context()
	db := openTest(b, filepath.Join(b.TempDir(), "switchboard.db"), nil)
	defer db.Close()
	org, _ := storetest.Subscribed(b, db, "https://example.com/in", "*")
	data := map[string]any{"call_id": "call_1", "from_number": "+14155550101", "to_number": "+14155550102", "duration": 42}
	for range b.N {
		if _, err := db.EmitEvent(ctx, org.ID, switchboard.EventCallCompleted, data, switchboard.EmitOptions{}); err != nil {
			b.Fatal(err)
		}
	}

	b.ResetTimer()
	done := 0
	var claiming, finishing time.Duration
	results := make([]switchboard.DeliveryResult, 0, 200)
	for done < b.N {
		start := time.Now()
		jobs, err := db.ClaimDeliveries(ctx, "bench", 200, time.Minute)
		claiming += time.Since(start)
		if err != nil {
			b.Fatal(err)
		}
		if len(jobs) == 0 {
			b.Fatalf("claimed nothing after %d of %d deliveries", done, b.N)
		}
		results = storetest.AllDelivered(results, jobs, time.Now())
		start = time.Now()
		if err := db.FinishDeliveries(ctx, "bench", results); err != nil {
			b.Fatal(err)
		}
		finishing += time.Since(start)
		done += len(jobs)
	}
	b.StopTimer()
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N), "ns/delivery")
	b.ReportMetric(float64(claiming.Nanoseconds())/float64(b.N), "claim-ns/delivery")
	b.ReportMetric(float64(finishing.Nanoseconds())/float64(b.N), "finish-ns/delivery")
	if n, err := db.CountPendingDeliveries(ctx); err != nil || n != 0 {
		b.Fatalf("%d deliveries still pending, %v", n, err)
	}
}
