package sqlite

import (
	"context"
	"strconv"
	"time"

	"github.com/switchboard-voice/switchboard"
)

// timedCall is the condition of a call whose duration counts in the
// stats: answered and ended.
const timedCall = `answered_at IS NOT NULL AND completed_at IS NOT NULL`

// CallStats aggregates the organisation's calls in two statements over
// the index the filter's equalities pick (calls_org_created, or
// calls_org_number / calls_org_endpoint), reading created_at from the
// index and the row for the rest. SQLite has no percentile aggregate: the
// second statement ranks the timed calls' durations with window functions
// and interpolates between the two nearest ranks as PostgreSQL's
// percentile_cont does.
func (db *Driver) CallStats(ctx context.Context, orgID string, f switchboard.CallStatsFilter) ([]switchboard.CallStatsRow, []switchboard.CallStatsP95, error) {
	var w where
	w.eqs(f.Conds(orgID))
	if !f.From.IsZero() {
		w.add("created_at >= ?", fromBound(f.From))
	}
	if !f.To.IsZero() {
		w.add("created_at <= ?", micros(f.To))
	}
	bucket := "0"
	if width := f.Bucket(); width > 0 {
		// created_at is unix microseconds in UTC: a bucket starts at a
		// multiple of its width, i.e. at UTC midnight or on the UTC hour.
		us := strconv.FormatInt(width.Microseconds(), 10)
		bucket = "created_at - created_at % " + us
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
	rs, err := db.reader.QueryContext(ctx, `SELECT `+bucket+` AS b, status, direction, COUNT(*), COUNT(answered_at),
		COUNT(CASE WHEN `+timedCall+` THEN 1 END), COALESCE(SUM(CASE WHEN `+timedCall+` THEN duration END), 0)
		FROM calls WHERE `+w.String()+` GROUP BY b, status, direction ORDER BY b`, w.args...)
	if err != nil {
		return nil, err
	}
	defer rs.Close()
	var out []switchboard.CallStatsRow
	for rs.Next() {
		var r switchboard.CallStatsRow
		var b int64
		if err := rs.Scan(&b, &r.Status, &r.Direction, &r.Calls, &r.Answered, &r.Timed, &r.DurationSum); err != nil {
			return nil, err
		}
		r.Bucket = time.UnixMicro(b).UTC()
		out = append(out, r)
	}
	return out, rs.Err()
}

// callStatsP95 ranks the timed calls' durations (i from 0) in each bucket
// when grouped and over all of them (a = 1), then takes, per group, the
// durations at ranks floor(0.95·(n-1)) and the next, and interpolates.
func (db *Driver) callStatsP95(ctx context.Context, bucket string, grouped bool, w where) ([]switchboard.CallStatsP95, error) {
	overall := `SELECT 0 AS b, 1 AS a, duration AS v, ROW_NUMBER() OVER (ORDER BY duration) - 1 AS i,
		COUNT(*) OVER () AS n FROM d`
	ranked := overall
	if grouped {
		// A compound SELECT takes its column names from its first part.
		ranked = `SELECT b, 0 AS a, duration AS v, ROW_NUMBER() OVER (PARTITION BY b ORDER BY duration) - 1 AS i,
		COUNT(*) OVER (PARTITION BY b) AS n FROM d UNION ALL ` + overall
	}
	rs, err := db.reader.QueryContext(ctx, `WITH d AS MATERIALIZED (SELECT `+bucket+` AS b, duration FROM calls
		WHERE `+w.String()+` AND `+timedCall+`),
	r AS (SELECT b, a, v, i, 0.95 * (n - 1) AS pos, CAST(0.95 * (n - 1) AS INTEGER) AS lo FROM (`+ranked+`)),
	g AS (SELECT b, a, MAX(pos - lo) AS frac,
		MAX(CASE WHEN i = lo THEN v END) AS vlo,
		MAX(CASE WHEN i = lo + (pos > lo) THEN v END) AS vhi
		FROM r WHERE i = lo OR i = lo + 1 GROUP BY b, a)
	SELECT b, a, vlo + (vhi - vlo) * frac FROM g`, w.args...)
	if err != nil {
		return nil, err
	}
	defer rs.Close()
	var out []switchboard.CallStatsP95
	for rs.Next() {
		var p switchboard.CallStatsP95
		var b int64
		if err := rs.Scan(&b, &p.All, &p.P95); err != nil {
			return nil, err
		}
		p.Bucket = time.UnixMicro(b).UTC()
		out = append(out, p)
	}
	return out, rs.Err()
}
