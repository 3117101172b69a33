package sqlite

import (
	"context"
	"database/sql"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/switchboard-voice/switchboard"
	"github.com/switchboard-voice/switchboard/internal/statsbench"
)

// TestCallStatsScale fills a SQLite file with ten million calls
// (statsbench.Shape) in one statement and times the stats against the
// list's page (statsbench.Measure); it checks that every stats statement
// reads the calls through an index of the organisation. Only with
// SWITCHBOARD_BENCH_STATS=1 (bench/stats/run.sh).
func TestCallStatsScale(t *testing.T) {
	s := statsbench.Enabled(t)
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "stats.db")
	db, err := Open(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := db.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	var orgs []any
	for o := range s.Orgs {
		org, _, err := db.EnsureOrganization(ctx, "org"+string(rune('a'+o)))
		if err != nil {
			t.Fatal(err)
		}
		orgs = append(orgs, org.ID)
	}
	// SWITCHBOARD_BENCH_STATS_COVERING=1 measures the alternative this
	// store does not take: an index that holds every column the stats
	// read, so the month is an index-only scan, at the cost of one more
	// index rewritten on every status change (the fill time shows it).
	if os.Getenv("SWITCHBOARD_BENCH_STATS_COVERING") == "1" {
		if _, err := db.d.writer.ExecContext(ctx, `CREATE INDEX calls_org_stats ON calls
			(organization_id, created_at, status, direction, duration, answered_at, completed_at)
			WHERE organization_id IS NOT NULL`); err != nil {
			t.Fatal(err)
		}
	}
	// The writer pool's one connection: a cache that holds the indexes
	// while they grow, or every insert rereads and rewrites their pages.
	if _, err := db.d.writer.ExecContext(ctx, `PRAGMA cache_size = -6000000`); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	// One statement, one transaction: the rows in created_at order, as the
	// SIP edge writes them.
	args := append([]any{micros(s.Start), s.Step().Microseconds(), s.Calls,
		s.Orgs, s.Orgs, s.Numbers, s.Orgs, s.Orgs * s.Numbers, s.Endpoints}, orgs...)
	orgCase := "CASE i % " + strconv.Itoa(s.Orgs) // organisation o is ?(10+o)
	for o := range s.Orgs {
		orgCase += " WHEN " + strconv.Itoa(o) + " THEN ?" + strconv.Itoa(10+o)
	}
	orgCase += " END"
	_, err = db.d.writer.ExecContext(ctx, `WITH RECURSIVE seq(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM seq WHERE i + 1 < ?3),
	c AS (SELECT i, (i * 7919) % 100 AS r, ?1 + i * ?2 AS t FROM seq)
	INSERT INTO calls (id, organization_id, direction, from_number, to_number, phone_number_id, endpoint_id,
		status, duration, sip_call_id, node, created_at, answered_at, completed_at, updated_at)
	SELECT printf('call_%012d', i), `+orgCase+`,
		CASE WHEN i % 10 = 0 THEN 'outbound' ELSE 'inbound' END, '+14155550100', '+2348012345601',
		'pn_' || (i % ?4) || '_' || ((i / ?5) % ?6), 'ep_' || (i % ?7) || '_' || ((i / ?8) % ?9),
		CASE WHEN r < 70 THEN 'completed' WHEN r < 85 THEN 'failed' WHEN r < 92 THEN 'no_answer' WHEN r < 97 THEN 'busy' ELSE 'canceled' END,
		CASE WHEN r < 70 THEN 1 + (i * 31) % 600 ELSE 0 END, '', 'node-a', t,
		CASE WHEN r < 70 THEN t + 5000000 END,
		t + CASE WHEN r < 70 THEN 5000000 + (1 + (i * 31) % 600) * 1000000 ELSE 30000000 END,
		t + CASE WHEN r < 70 THEN 5000000 + (1 + (i * 31) % 600) * 1000000 ELSE 30000000 END
	FROM c`, args...)
	if err != nil {
		t.Fatalf("fill: %v", err)
	}
	fi, _ := os.Stat(path)
	t.Logf("filled %d calls in %v (%d MB file)", s.Calls, time.Since(start).Round(time.Second), fi.Size()>>20)

	// Every statement must read the organisation's calls through one of
	// its indexes, never the whole table.
	for _, c := range statsbench.Cases(s) {
		if c.Stats == nil {
			continue
		}
		q := callStatsSQL(orgs[0].(string), *c.Stats)
		stmts := map[string][]any{q.rows: q.args, q.overallP95: append(q.args, 2, 1000)}
		if c.Stats.GroupBy != "" {
			stmts[q.bucketP95] = q.args
		}
		for stmt, args := range stmts {
			plan := explain(t, db.d, stmt, args)
			if c.Stats.From.IsZero() {
				// all time: a quarter of the table; a full scan may be the better plan
			} else if !strings.Contains(plan, "INDEX calls_org_") || strings.Contains(plan, "SCAN calls\n") {
				t.Errorf("%s: the plan does not use an index of the organisation:\n%s", c.Name, plan)
			}
			t.Logf("%s:\n%s", c.Name, plan)
		}
	}
	base := statsbench.Measure(t, db, orgs[0].(string), s)
	if statsbench.StudyEnabled() {
		statsbench.Study(t, db, orgs[0].(string), s, indexStudy(t, db.d, orgs[0].(string)))
		studyPrimaryKey(t, db.d, orgs[0].(string), s, base)
	}
}

// indexStudy returns the calls table's indexes for statsbench.Study: every
// one but the primary key's (SQLite cannot drop it, and the upsert's ON
// CONFLICT (id) needs it), and the plans of a case's statements as the
// store runs them.
func indexStudy(t *testing.T, d *Driver, orgID string) statsbench.Indexes {
	ctx := context.Background()
	defs := callIndexes(t, d)
	var names []string
	for name := range defs {
		names = append(names, name)
	}
	slices.Sort(names)
	return statsbench.Indexes{
		Names: names,
		Drop: func(name string) (func() error, error) {
			if _, err := d.writer.ExecContext(ctx, `DROP INDEX `+name); err != nil {
				return nil, err
			}
			return func() error {
				_, err := d.writer.ExecContext(ctx, defs[name])
				return err
			}, nil
		},
		Named: func(c statsbench.Case) string {
			if c.IsList() && c.List.Live {
				return "calls_org_status" // listCallsSQL's INDEXED BY
			}
			return ""
		},
		Plan: func(c statsbench.Case) string {
			var b strings.Builder
			plan := func(label, q string, args ...any) { b.WriteString(label + ":\n" + explainOn(t, d.writer, q, args)) }
			switch {
			case c.Stats != nil:
				q := callStatsSQL(orgID, *c.Stats)
				plan("counts", q.rows, q.args...)
				plan("p95", q.overallP95, append(q.args, 2, 1000)...)
				if c.Stats.GroupBy != "" {
					plan("bucket p95", q.bucketP95, q.args...)
				}
			case c.Find != "":
				plan("find", findCallSQL, orgID, c.Find)
			case c.Orphans != "":
				plan("open calls", openCallsSQL, c.Orphans)
			default:
				countSQL, pageSQL, args := listCallsSQL(orgID, c.List)
				limit, offset := c.List.LimitOffset()
				plan("total", countSQL, args...)
				plan("page", pageSQL+` LIMIT ? OFFSET ?`, append(args, limit, offset)...)
			}
			return b.String()
		},
	}
}

// callIndexes returns the definitions of the calls table's indexes, by
// name, but the primary key's.
func callIndexes(t testing.TB, d *Driver) map[string]string {
	rows, err := d.reader.Query(`SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = 'calls' AND sql IS NOT NULL`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	defs := map[string]string{}
	for rows.Next() {
		var name, def string
		if err := rows.Scan(&name, &def); err != nil {
			t.Fatal(err)
		}
		defs[name] = def
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return defs
}

// studyPrimaryKey times FindCall's statement as SQLite would run it
// without the primary key's index, which it cannot drop: through the
// organisation's calls_org_created, the plan it falls back to on
// PostgreSQL's store too.
func studyPrimaryKey(t *testing.T, d *Driver, orgID string, s statsbench.Shape, base []time.Duration) {
	for i, c := range statsbench.Cases(s) {
		if c.Find == "" {
			continue
		}
		q := strings.Replace(findCallSQL, "FROM calls", "FROM calls INDEXED BY calls_org_created", 1)
		t.Logf("without the primary key, %s:\n%s", c.Name, explain(t, d, q, []any{orgID, c.Find}))
		var times []time.Duration
		for k := 0; k < 3; k++ {
			start := time.Now()
			if _, err := scanCall(d.reader.QueryRow(q, orgID, c.Find)); err != nil {
				t.Fatal(err)
			}
			times = append(times, time.Since(start))
		}
		slices.Sort(times)
		t.Logf("primary key: %s: %.2f ms with it, %.1f ms without (through calls_org_created), × %.0f", c.Name,
			float64(base[i].Microseconds())/1000, float64(times[1].Microseconds())/1000, float64(times[1])/float64(base[i]))
	}
}

// BenchmarkCallIndexes measures what each index of the calls table costs
// the call path: SaveCalls in batches of 64 updates, no timeline entry,
// each call written twice (answered, then completed: half the batch new
// calls, half updates), with every index (all), without each in turn, and
// with the primary key's only.
// Compare ns/update between the sub-benchmarks of one run, with a fixed
// number of batches so every table ends the same size; pages/update, the
// pages the commits wrote per update, is a count:
//
//	go test ./sqlite -run '^$' -bench '^BenchmarkCallIndexes$' -benchtime 400x -count 5
func BenchmarkCallIndexes(b *testing.B) {
	db := openTest(b, filepath.Join(b.TempDir(), "switchboard.db"), nil)
	names := slices.Sorted(maps.Keys(callIndexes(b, db.d)))
	db.Close()
	runs := [][]string{nil}
	for _, name := range names {
		runs = append(runs, []string{name})
	}
	runs = append(runs, names) // the primary key's only
	for _, drop := range runs {
		b.Run(statsbench.WithoutName(drop, len(names)), func(b *testing.B) {
			path := filepath.Join(b.TempDir(), "switchboard.db")
			db := openTest(b, path, nil)
			defer db.Close()
			for _, name := range drop {
				if _, err := db.d.writer.ExecContext(b.Context(), `DROP INDEX `+name); err != nil {
					b.Fatal(err)
				}
			}
			// Without checkpoints the write-ahead log keeps every page the
			// commits wrote: a count of page writes that does not depend
			// on the machine's load.
			var pageSize int64
			if err := db.d.writer.QueryRowContext(b.Context(), `PRAGMA page_size`).Scan(&pageSize); err != nil {
				b.Fatal(err)
			}
			if _, err := db.d.writer.ExecContext(b.Context(), `PRAGMA wal_autocheckpoint = 0`); err != nil {
				b.Fatal(err)
			}
			before := walSize(b, path)
			statsbench.WriteCalls(b, db)
			frames := (walSize(b, path) - before) / (24 + pageSize) // a frame is a 24-byte header and a page
			b.ReportMetric(float64(frames)/float64(b.N*statsbench.Batch), "pages/update")
		})
	}
}

// explain returns SQLite's EXPLAIN QUERY PLAN of q, one step a line.
func explain(t testing.TB, d *Driver, q string, args []any) string {
	return explainOn(t, d.reader, q, args)
}

// explainOn is explain on conn. A reader connection plans with the schema
// it last read, which an index dropped on the writer since leaves stale
// (EXPLAIN does not check it): the index study explains on the writer.
func explainOn(t testing.TB, conn *sql.DB, q string, args []any) string {
	rows, err := conn.Query("EXPLAIN QUERY PLAN "+q, args...)
	if err != nil {
		t.Fatalf("explain: %v", err)
	}
	defer rows.Close()
	var b strings.Builder
	for rows.Next() {
		var id, parent, unused int
		var detail string
		if err := rows.Scan(&id, &parent, &unused, &detail); err != nil {
			t.Fatal(err)
		}
		b.WriteString("  " + detail + "\n")
	}
	return b.String()
}

// TestLiveCallsPlan checks that the live list, page and total, reads the
// organisation's live calls through calls_org_status rather than every
// call through calls_org_created (see listCallsSQL).
func TestLiveCallsPlan(t *testing.T) {
	t.Parallel()
	db := openTest(t, filepath.Join(t.TempDir(), "switchboard.db"), nil)
	defer db.Close()
	countSQL, pageSQL, args := listCallsSQL("org_x", switchboard.CallFilter{Live: true, PhoneNumberID: "pn_x"})
	for _, q := range []string{countSQL, pageSQL + ` LIMIT 50 OFFSET 0`} {
		if plan := explain(t, db.d, q, args); !strings.Contains(plan, "INDEX calls_org_status (organization_id=? AND status=?)") {
			t.Errorf("%s\nplan:\n%s\nwant it to read calls_org_status", q, plan)
		}
	}
}

// walSize is the size of the database's write-ahead log.
func walSize(b *testing.B, path string) int64 {
	fi, err := os.Stat(path + "-wal")
	if err != nil {
		b.Fatal(err)
	}
	return fi.Size()
}
