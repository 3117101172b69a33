package postgres

import (
	"context"
	"time"

	"github.com/switchboard-voice/switchboard"
)

// timedCall is the condition of a call whose duration counts in the
// stats: answered and ended.
const timedCall = `answered_at IS NOT NULL AND completed_at IS NOT NULL`

// CallStats aggregates the organisation's calls in two statements over
// the index the filter's equalities pick (calls_org_created, or
// calls_org_number / calls_org_endpoint): the counts and sums by bucket,
// status and direction, and percentile_cont(0.95) of the timed calls'
// durations by bucket and overall (GROUPING SETS), in one scan each.
func (db *Driver) CallStats(ctx context.Context, orgID string, f switchboard.CallStatsFilter) ([]switchboard.CallStatsRow, []switchboard.CallStatsP95, error) {
	for _, s := range []string{orgID, f.Direction, f.PhoneNumberID, f.EndpointID} {
		if !storable(s) {
			return nil, nil, nil // no stored text equals it
		}
	}
	var w where
	w.eqs(f.Conds(orgID))
	if !f.From.IsZero() {
		w.add("created_at >= " + w.param(fromBound(f.From)))
	}
	if !f.To.IsZero() {
		w.add("created_at <= " + w.param(ts(f.To)))
	}
	// Buckets are UTC days or hours whatever the session's time zone.
	bucket := `timestamptz '1970-01-01 00:00:00+00'`
	switch f.GroupBy {
	case switchboard.StatsByDay:
		bucket = `date_trunc('day', created_at, 'UTC')`
	case switchboard.StatsByHour:
		bucket = `date_trunc('hour', created_at, 'UTC')`
	}
	rows, err := db.callStatsRows(ctx, bucket, w)
	if err != nil {
		return nil, nil, err
	}
	p95s, err := db.callStatsP95(ctx, bucket, f.GroupBy != "", w)
	if err != nil {
		return nil, nil, err
	}
	return rows, p95s, nil
}

func (db *Driver) callStatsRows(ctx context.Context, bucket string, w where) ([]switchboard.CallStatsRow, error) {
	rs, err := db.pool.Query(ctx, `SELECT `+bucket+` AS b, status, direction, count(*), count(answered_at),
		count(*) FILTER (WHERE `+timedCall+`), coalesce(sum(duration) FILTER (WHERE `+timedCall+`), 0)
		FROM calls WHERE `+w.String()+` GROUP BY 1, 2, 3 ORDER BY 1`, w.args...)
	if err != nil {
		return nil, err
	}
	defer rs.Close()
	var out []switchboard.CallStatsRow
	for rs.Next() {
		var r switchboard.CallStatsRow
		if err := rs.Scan(&r.Bucket, &r.Status, &r.Direction, &r.Calls, &r.Answered, &r.Timed, &r.DurationSum); err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, rs.Err()
}

// callStatsP95 takes percentile_cont(0.95) of the timed calls' durations
// per bucket and overall when grouped (GROUPING(b) = 1 is the overall
// row), overall only otherwise.
func (db *Driver) callStatsP95(ctx context.Context, bucket string, grouped bool, w where) ([]switchboard.CallStatsP95, error) {
	groupBy := `GROUP BY GROUPING SETS ((b), ())`
	if !grouped {
		groupBy = `GROUP BY b`
	}
	rs, err := db.pool.Query(ctx, `SELECT b, GROUPING(b) = 1 OR NOT `+boolLit(grouped)+`,
		percentile_cont(0.95) WITHIN GROUP (ORDER BY duration)
		FROM (SELECT `+bucket+` AS b, duration FROM calls WHERE `+w.String()+` AND `+timedCall+`) d `+groupBy, w.args...)
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
