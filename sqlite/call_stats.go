package sqlite

import (
	"context"
	"database/sql"
	"strconv"
	"strings"
	"time"

	"github.com/switchboard-voice/switchboard"
)

// CallStats aggregates the organisation's calls in one read transaction
// (one snapshot) over the index the filter's equalities pick
// (calls_org_created, or calls_org_number / calls_org_endpoint). The
// counting statement aggregates in one pass (no sort without a grouping).
// SQLite has no percentile aggregate: the overall p95 is the two
// durations at its ranks (switchboard.P95Ranks), found by ORDER BY
// duration DESC LIMIT … OFFSET …, which keeps only the top 5 % in its
// sorter rather than ranking every call; with a grouping, a third
// statement ranks each bucket's durations with window functions.
func (db *Driver) CallStats(ctx context.Context, orgID string, f switchboard.CallStatsFilter) ([]switchboard.CallStatsRow, []switchboard.CallStatsP95, error) {
	q := callStatsSQL(orgID, f)
	tx, err := db.reader.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return nil, nil, err
	}
	defer tx.Rollback()
	rows, err := callStatsRows(ctx, tx, q)
	if err != nil {
		return nil, nil, err
	}
	timed := 0
	for _, r := range rows {
		timed += r.Timed
	}
	var p95s []switchboard.CallStatsP95
	if timed > 0 {
		lo, hi, frac := switchboard.P95Ranks(timed)
		var vhi, vlo float64
		top, err := tx.QueryContext(ctx, q.overallP95, append(q.args, hi-lo+1, timed-1-hi)...)
		if err != nil {
			return nil, nil, err
		}
		defer top.Close()
		for i := 0; top.Next(); i++ {
			dst := &vhi // descending: the duration at hi comes first
			if i > 0 {
				dst = &vlo
			}
			if err := top.Scan(dst); err != nil {
				return nil, nil, err
			}
		}
		if err := top.Err(); err != nil {
			return nil, nil, err
		}
		if lo == hi {
			vlo = vhi
		}
		p95s = append(p95s, switchboard.CallStatsP95{All: true, P95: switchboard.Interpolate(vlo, vhi, frac)})
	}
	if f.GroupBy != "" && timed > 0 {
		buckets, err := callStatsBucketP95(ctx, tx, q)
		if err != nil {
			return nil, nil, err
		}
		p95s = append(p95s, buckets...)
	}
	return rows, p95s, nil
}

// statsSQL are the statements of CallStats and the arguments of their
// WHERE (the overall p95 adds LIMIT and OFFSET after them).
type statsSQL struct {
	rows, overallP95, bucketP95 string
	args                        []any
}

// callStatsSQL returns the statements of CallStats for the filter.
func callStatsSQL(orgID string, f switchboard.CallStatsFilter) statsSQL {
	var w where
	w.eqs(f.Conds(orgID))
	if !f.From.IsZero() {
		w.add("created_at >= ?", fromBound(f.From))
	}
	if !f.To.IsZero() {
		w.add("created_at <= ?", micros(f.To))
	}
	bucket, group := "0", ""
	if width := f.Bucket(); width > 0 {
		// created_at is unix microseconds in UTC: a bucket starts at a
		// multiple of its width, i.e. at UTC midnight or on the UTC hour.
		bucket = "created_at - created_at % " + strconv.FormatInt(width.Microseconds(), 10)
		group = " GROUP BY b ORDER BY b"
	}
	var counts strings.Builder
	for _, c := range switchboard.CallStatsCounts() {
		counts.WriteString(", COUNT(CASE WHEN " + c.Column + " = '" + c.Value.(string) + "' THEN 1 END)")
	}
	return statsSQL{
		rows: `SELECT ` + bucket + ` AS b, COUNT(*), COUNT(answered_at), COUNT(CASE WHEN ` + switchboard.TimedCallSQL + ` THEN 1 END),
		COALESCE(SUM(CASE WHEN ` + switchboard.TimedCallSQL + ` THEN duration END), 0)` + counts.String() + `
		FROM calls WHERE ` + w.String() + group,
		overallP95: `SELECT duration FROM calls WHERE ` + w.String() + ` AND ` + switchboard.TimedCallSQL + `
		ORDER BY duration DESC LIMIT ? OFFSET ?`,
		// Each bucket's durations ranked (i from 0), and per bucket the
		// two at the ranks P95Ranks gives, computed in the same double
		// arithmetic.
		bucketP95: `WITH r AS (SELECT b, duration AS v, ROW_NUMBER() OVER (PARTITION BY b ORDER BY duration) - 1 AS i,
			COUNT(*) OVER (PARTITION BY b) AS n
			FROM (SELECT ` + bucket + ` AS b, duration FROM calls WHERE ` + w.String() + ` AND ` + switchboard.TimedCallSQL + `)),
		k AS (SELECT b, v, i, n, CAST(0.95 * (n - 1) AS INTEGER) AS lo, 0.95 * (n - 1) AS pos FROM r)
		SELECT b, MAX(n), MAX(CASE WHEN i = lo THEN v END), MAX(CASE WHEN i = lo + (pos > lo) THEN v END)
		FROM k WHERE i = lo OR i = lo + 1 GROUP BY b`,
		args: w.args,
	}
}

func callStatsRows(ctx context.Context, tx *sql.Tx, q statsSQL) ([]switchboard.CallStatsRow, error) {
	rs, err := tx.QueryContext(ctx, q.rows, q.args...)
	if err != nil {
		return nil, err
	}
	defer rs.Close()
	var out []switchboard.CallStatsRow
	for rs.Next() {
		var r switchboard.CallStatsRow
		var b int64
		if err := rs.Scan(append([]any{&b}, r.Dest()...)...); err != nil {
			return nil, err
		}
		r.Bucket = time.UnixMicro(b).UTC()
		out = append(out, r)
	}
	return out, rs.Err()
}

func callStatsBucketP95(ctx context.Context, tx *sql.Tx, q statsSQL) ([]switchboard.CallStatsP95, error) {
	rs, err := tx.QueryContext(ctx, q.bucketP95, q.args...)
	if err != nil {
		return nil, err
	}
	defer rs.Close()
	var out []switchboard.CallStatsP95
	for rs.Next() {
		var b int64
		var n int
		var vlo, vhi float64
		if err := rs.Scan(&b, &n, &vlo, &vhi); err != nil {
			return nil, err
		}
		_, _, frac := switchboard.P95Ranks(n)
		out = append(out, switchboard.CallStatsP95{Bucket: time.UnixMicro(b).UTC(), P95: switchboard.Interpolate(vlo, vhi, frac)})
	}
	return out, rs.Err()
}
