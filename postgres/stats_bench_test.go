package postgres

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/switchboard-voice/switchboard/internal/statsbench"
)

// TestCallStatsScale fills a schema of its own with ten million calls
// (statsbench.Shape) by one INSERT … SELECT over generate_series, VACUUM
// ANALYZEs it as autovacuum would, and times the stats against the list's
// page (statsbench.Measure); it checks that the stats of a number or an
// endpoint read the calls through its index, and logs every plan. Only with
// SWITCHBOARD_BENCH_STATS=1 (bench/stats/run.sh).
func TestCallStatsScale(t *testing.T) {
	s := statsbench.Enabled(t)
	ctx := context.Background()
	db, _ := openTest(t, nil)
	var orgs []string
	for o := range s.Orgs {
		org, _, err := db.EnsureOrganization(ctx, "org"+string(rune('a'+o)))
		if err != nil {
			t.Fatal(err)
		}
		orgs = append(orgs, org.ID)
	}
	start := time.Now()
	pool := db.d.pool
	_, err := pool.Exec(ctx, `INSERT INTO calls (id, organization_id, direction, from_number, to_number, phone_number_id, endpoint_id,
		status, duration, sip_call_id, node, created_at, answered_at, completed_at, updated_at)
	SELECT 'call_' || lpad(i::text, 12, '0'), ($1::text[])[i % $4 + 1],
		CASE WHEN i % 10 = 0 THEN 'outbound' ELSE 'inbound' END, '+14155550100', '+2348012345601',
		'pn_' || (i % $4) || '_' || ((i / $4) % $5), 'ep_' || (i % $4) || '_' || ((i / ($4 * $5)) % $6),
		CASE WHEN r < 70 THEN 'completed' WHEN r < 85 THEN 'failed' WHEN r < 92 THEN 'no_answer' WHEN r < 97 THEN 'busy' ELSE 'canceled' END,
		CASE WHEN r < 70 THEN 1 + (i * 31) % 600 ELSE 0 END, '', 'node-a', t,
		CASE WHEN r < 70 THEN t + interval '5 seconds' END,
		t + CASE WHEN r < 70 THEN interval '5 seconds' + (1 + (i * 31) % 600) * interval '1 second' ELSE interval '30 seconds' END,
		t + CASE WHEN r < 70 THEN interval '5 seconds' + (1 + (i * 31) % 600) * interval '1 second' ELSE interval '30 seconds' END
	FROM (SELECT i, (i * 7919) % 100 AS r, $2::timestamptz + (i * $3::bigint) * interval '1 microsecond' AS t
		FROM generate_series(0::bigint, $7::bigint - 1) AS i) g`,
		orgs, s.Start, s.Step().Microseconds(), s.Orgs, s.Numbers, s.Endpoints, s.Calls)
	if err != nil {
		t.Fatalf("fill: %v", err)
	}
	filled := time.Since(start)
	if _, err := pool.Exec(ctx, `VACUUM ANALYZE calls`); err != nil {
		t.Fatalf("vacuum: %v", err)
	}
	var size string
	if err := pool.QueryRow(ctx, `SELECT pg_size_pretty(pg_total_relation_size('calls'))`).Scan(&size); err != nil {
		t.Fatal(err)
	}
	t.Logf("filled %d calls in %v, VACUUM ANALYZE in %v (%s with indexes)", s.Calls, filled.Round(time.Second),
		(time.Since(start) - filled).Round(time.Second), size)

	for _, c := range statsbench.Cases(s) {
		if c.Stats == nil {
			continue
		}
		rowsSQL, p95SQL, args := callStatsSQL(orgs[0], *c.Stats)
		for _, q := range []string{rowsSQL, p95SQL} {
			var b strings.Builder
			rows, err := pool.Query(ctx, "EXPLAIN "+q, args...)
			if err != nil {
				t.Fatalf("explain: %v", err)
			}
			for rows.Next() {
				var line string
				if err := rows.Scan(&line); err != nil {
					t.Fatal(err)
				}
				b.WriteString("  " + line + "\n")
			}
			rows.Close()
			plan := b.String()
			// An organisation's month spreads over a quarter of the heap
			// here (the organisations' calls interleave, as they do in
			// production), and PostgreSQL prefers a parallel
			// sequential scan to an index scan that would read the same
			// pages; a number's or an endpoint's calls are few enough
			// for their index.
			narrow := c.Stats.PhoneNumberID != "" || c.Stats.EndpointID != ""
			if narrow && (!strings.Contains(plan, "calls_org_") || strings.Contains(plan, "Seq Scan on calls")) {
				t.Errorf("%s: the plan does not use an index of the organisation:\n%s", c.Name, plan)
			}
			t.Logf("%s:\n%s", c.Name, plan)
		}
	}
	statsbench.Measure(t, db, orgs[0], s)
}
