package postgres

import (
	"context"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/switchboard-voice/switchboard"
)

// CallStats aggregates the organisation's calls in one read-only
// snapshot (REPEATABLE READ) over the index the filter's equalities pick
// (calls_org_created, or calls_org_number / calls_org_endpoint): the
// counts and sums per bucket in one pass (switchboard.CallStatsCounts as
// FILTERed counts), and percentile_cont(0.95) of the timed calls'
// durations per bucket and overall (GROUPING SETS).
func (db *Driver) CallStats(ctx context.Context, orgID string, f switchboard.CallStatsFilter) ([]switchboard.CallStatsRow, []switchboard.CallStatsP95, error) {
	for _, s := range []string{orgID, f.Direction, f.PhoneNumberID, f.EndpointID} {
		if !storable(s) {
			return nil, nil, nil // no stored text equals it
		}
	}
	rowsSQL, p95SQL, args := callStatsSQL(orgID, f)
	tx, err := db.pool.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly})
	if err != nil {
		return nil, nil, err
	}
	defer tx.Rollback(ctx)
	rows, err := callStatsRows(ctx, tx, rowsSQL, args)
	if err != nil {
		return nil, nil, err
	}
	p95s, err := callStatsP95(ctx, tx, p95SQL, args)
	if err != nil {
		return nil, nil, err
	}
	return rows, p95s, nil
}

// callStatsSQL returns the two statements of CallStats and their
// arguments (the same for both).
func callStatsSQL(orgID string, f switchboard.CallStatsFilter) (rowsSQL, p95SQL string, args []any) {
	var w where
	w.eqs(f.Conds(orgID))
	if !f.From.IsZero() {
		w.add("created_at >= " + w.param(fromBound(f.From)))
	}
	if !f.To.IsZero() {
		w.add("created_at <= " + w.param(ts(f.To)))
	}
	// Buckets are UTC days or hours whatever the session's time zone.
	bucket, group := `timestamptz '1970-01-01 00:00:00+00'`, ""
	switch f.GroupBy {
	case switchboard.StatsByDay:
		bucket, group = `date_trunc('day', created_at, 'UTC')`, " GROUP BY 1 ORDER BY 1"
	case switchboard.StatsByHour:
		bucket, group = `date_trunc('hour', created_at, 'UTC')`, " GROUP BY 1 ORDER BY 1"
	}
	var counts strings.Builder
	for _, c := range switchboard.CallStatsCounts() {
		counts.WriteString(", count(*) FILTER (WHERE " + c.Column + " = '" + c.Value.(string) + "')")
	}
	rowsSQL = `SELECT ` + bucket + ` AS b, count(*), count(answered_at), count(*) FILTER (WHERE ` + switchboard.TimedCallSQL + `),
		coalesce(sum(duration) FILTER (WHERE ` + switchboard.TimedCallSQL + `), 0)` + counts.String() + `
		FROM calls WHERE ` + w.String() + group
	// The p95 per bucket and overall when grouped (GROUPING(b) = 1 is the
	// overall row), overall only otherwise.
	groupBy := `GROUP BY GROUPING SETS ((b), ())`
	if f.GroupBy == "" {
		groupBy = `GROUP BY b`
	}
	p95SQL = `SELECT b, GROUPING(b) = 1 OR NOT ` + boolLit(f.GroupBy != "") + `,
		percentile_cont(0.95) WITHIN GROUP (ORDER BY duration)
		FROM (SELECT ` + bucket + ` AS b, duration FROM calls WHERE ` + w.String() + ` AND ` + switchboard.TimedCallSQL + `) d ` + groupBy
	return rowsSQL, p95SQL, w.args
}

func callStatsRows(ctx context.Context, tx pgx.Tx, query string, args []any) ([]switchboard.CallStatsRow, error) {
	rs, err := tx.Query(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rs.Close()
	var out []switchboard.CallStatsRow
	for rs.Next() {
		var r switchboard.CallStatsRow
		if err := rs.Scan(append([]any{&r.Bucket}, r.Dest()...)...); err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, rs.Err()
}

func callStatsP95(ctx context.Context, tx pgx.Tx, query string, args []any) ([]switchboard.CallStatsP95, error) {
	rs, err := tx.Query(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rs.Close()
	var out []switchboard.CallStatsP95
	for rs.Next() {
		var p switchboard.CallStatsP95
		var b *time.Time
		var p95 *float64 // NULL: no timed call (the overall row of no rows)
		if err := rs.Scan(&b, &p.All, &p95); err != nil {
			return nil, err
		}
		if p95 == nil {
			continue
		}
		p.P95 = *p95
		if b != nil {
			p.Bucket = *b
		}
		out = append(out, p)
	}
	return out, rs.Err()
}

func boolLit(b bool) string {
	if b {
		return "true"
	}
	return "false"
}
