package postgres

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/switchboard-voice/switchboard"

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
	if statsbench.StudyEnabled() {
		statsbench.Study(t, db, orgs[0], s, indexStudy(t, db.d.pool, orgs[0]))
	}
}

// primaryKey names the primary key in the index study: dropping it drops
// the timeline's foreign key to the calls too, restored with it.
const primaryKey = "calls_pkey"

// indexStudy returns the calls table's indexes for statsbench.Study, the
// primary key's last, and the plans of a case's statements as the store
// runs them.
func indexStudy(t *testing.T, pool *pgxpool.Pool, orgID string) statsbench.Indexes {
	ctx := context.Background()
	defs := callIndexes(t, pool)
	names := slices.Sorted(maps.Keys(defs))
	names = slices.DeleteFunc(names, func(n string) bool { return n == primaryKey })
	if _, ok := defs[primaryKey]; ok {
		names = append(names, primaryKey)
	}
	explain := func(label, q string, args ...any) string {
		rows, err := pool.Query(ctx, "EXPLAIN (COSTS OFF) "+q, args...)
		if err != nil {
			t.Fatalf("explain %s: %v", label, err)
		}
		lines, err := pgx.CollectRows(rows, pgx.RowTo[string])
		if err != nil {
			t.Fatalf("explain %s: %v", label, err)
		}
		return label + ":\n  " + strings.Join(lines, "\n  ") + "\n"
	}
	// Index builds at this size need more than the default 64 MB to sort
	// in memory.
	build := func(stmts ...string) error {
		return pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
			for _, q := range append([]string{`SET LOCAL maintenance_work_mem = '1GB'`}, stmts...) {
				if _, err := tx.Exec(ctx, q); err != nil {
					return fmt.Errorf("%s: %w", q, err)
				}
			}
			return nil
		})
	}
	return statsbench.Indexes{
		Names: names,
		Drop: func(name string) (func() error, error) {
			if name != primaryKey {
				if _, err := pool.Exec(ctx, `DROP INDEX `+name); err != nil {
					return nil, err
				}
				return func() error { return build(defs[name]) }, nil
			}
			fks := foreignKeysToCalls(t, pool)
			if _, err := pool.Exec(ctx, `ALTER TABLE calls DROP CONSTRAINT `+primaryKey+` CASCADE`); err != nil {
				return nil, err
			}
			return func() error {
				return build(append([]string{`ALTER TABLE calls ADD CONSTRAINT ` + primaryKey + ` PRIMARY KEY (id)`}, fks...)...)
			}, nil
		},
		Plan: func(c statsbench.Case) string {
			switch {
			case c.Stats != nil:
				rowsSQL, p95SQL, args := callStatsSQL(orgID, *c.Stats)
				return explain("counts", rowsSQL, args...) + explain("p95", p95SQL, args...)
			case c.Find != "":
				return explain("find", findCallSQL, orgID, c.Find)
			case c.Orphans != "":
				return explain("open calls", openCallsSQL, c.Orphans)
			}
			// page's statement, as ListCalls runs it
			w := listCallsWhere(orgID, c.List)
			limit, offset := c.List.LimitOffset()
			cond := w.String()
			q := pageSQL(switchboard.CallColumns, "calls", cond, callsOrder, w.param(limit), w.param(offset))
			return explain("page and total", q, w.args...)
		},
	}
}

// callIndexes returns the definitions of the calls table's indexes, by
// name.
func callIndexes(t testing.TB, pool *pgxpool.Pool) map[string]string {
	rows, err := pool.Query(context.Background(), `SELECT indexname, indexdef FROM pg_indexes
		WHERE schemaname = current_schema() AND tablename = 'calls'`)
	if err != nil {
		t.Fatal(err)
	}
	defs := map[string]string{}
	var name, def string
	if _, err := pgx.ForEachRow(rows, []any{&name, &def}, func() error { defs[name] = def; return nil }); err != nil {
		t.Fatal(err)
	}
	return defs
}

// foreignKeysToCalls returns the statements that add again the foreign
// keys that reference the calls table.
func foreignKeysToCalls(t testing.TB, pool *pgxpool.Pool) []string {
	rows, err := pool.Query(context.Background(), `SELECT format('ALTER TABLE %s ADD CONSTRAINT %I %s',
		conrelid::regclass, conname, pg_get_constraintdef(oid))
		FROM pg_constraint WHERE confrelid = 'calls'::regclass AND contype = 'f'`)
	if err != nil {
		t.Fatal(err)
	}
	stmts, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		t.Fatal(err)
	}
	return stmts
}

// BenchmarkCallIndexes is sqlite's BenchmarkCallIndexes on PostgreSQL:
// what each index of the calls table costs the call path's writes, in
// time and in index pages added per update (an update that changes an
// indexed column, here status, adds an entry to every index).
//
//	go test ./postgres -run '^$' -bench '^BenchmarkCallIndexes$' -benchtime 400x -count 5
func BenchmarkCallIndexes(b *testing.B) {
	db, _ := openTest(b, nil)
	names := slices.Sorted(maps.Keys(callIndexes(b, db.d.pool)))
	names = slices.DeleteFunc(names, func(n string) bool { return n == primaryKey })
	runs := [][]string{nil}
	for _, name := range names {
		runs = append(runs, []string{name})
	}
	runs = append(runs, names) // the primary key's only
	for _, drop := range runs {
		b.Run(statsbench.WithoutName(drop, len(names)), func(b *testing.B) {
			db, _ := openTest(b, nil)
			for _, name := range drop {
				if _, err := db.d.pool.Exec(b.Context(), `DROP INDEX `+name); err != nil {
					b.Fatal(err)
				}
			}
			// The pages the indexes grow by: a count that does not depend
			// on the machine's load (no vacuum runs in between).
			size := func() int64 {
				var n int64
				if err := db.d.pool.QueryRow(b.Context(), `SELECT coalesce(sum(pg_relation_size(indexrelid)), 0)::bigint
					FROM pg_index WHERE indrelid = 'calls'::regclass`).Scan(&n); err != nil {
					b.Fatal(err)
				}
				return n
			}
			before := size()
			statsbench.WriteCalls(b, db)
			b.ReportMetric(float64(size()-before)/8192/float64(b.N*statsbench.Batch), "index-pages/update")
		})
	}
}
