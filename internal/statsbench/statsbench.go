// Package statsbench is the measurement of GET /v1/calls/stats at scale
// that both stores run (sqlite and postgres, TestCallStatsScale): the
// shape of the generated calls, the queries timed, and the report. The
// stores fill their own tables in bulk (a recursive CTE on SQLite,
// generate_series on PostgreSQL) with the rows Shape describes, so that
// both hold the same calls.
//
// It runs only when SWITCHBOARD_BENCH_STATS=1 (bench/stats/run.sh): filling
// ten million calls takes minutes.
package statsbench

import (
	"context"
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/switchboard-voice/switchboard"
)

// Shape is the generated data set. Call i (from 0) is created at
// Start + i·Step, belongs to organisation i mod Orgs, to its number
// (i / Orgs) mod Numbers and its endpoint (i / (Orgs·Numbers)) mod
// Endpoints; one call in ten is outbound; by r = (i·7919) mod 100 it is
// completed (r < 70, answered 5 s after creation, duration 1 + (i·31)
// mod 600 s), failed (< 85), no_answer (< 92), busy (< 97) or canceled.
// Every call has ended.
type Shape struct {
	Calls     int
	Orgs      int
	Numbers   int // per organisation
	Endpoints int // per organisation
	Days      int
	Start     time.Time
}

// Step is the time between two consecutive calls.
func (s Shape) Step() time.Duration {
	return time.Duration(s.Days) * 24 * time.Hour / time.Duration(s.Calls)
}

// NumberID and EndpointID are the IDs of organisation o's n-th number and
// endpoint, as the stores generate them.
func NumberID(o, n int) string   { return "pn_" + strconv.Itoa(o) + "_" + strconv.Itoa(n) }
func EndpointID(o, e int) string { return "ep_" + strconv.Itoa(o) + "_" + strconv.Itoa(e) }

// Enabled skips t unless SWITCHBOARD_BENCH_STATS=1, and returns the shape:
// SWITCHBOARD_BENCH_STATS_CALLS calls (default ten million) over 120 days
// from 2025-01-01, 4 organisations with 10 numbers and 3 endpoints each.
func Enabled(t *testing.T) Shape {
	if os.Getenv("SWITCHBOARD_BENCH_STATS") != "1" {
		t.Skip("set SWITCHBOARD_BENCH_STATS=1 to fill a database with 10 million calls and time the stats (bench/stats/run.sh)")
	}
	n := 10_000_000
	if v := os.Getenv("SWITCHBOARD_BENCH_STATS_CALLS"); v != "" {
		var err error
		if n, err = strconv.Atoi(v); err != nil || n < 1000 {
			t.Fatalf("SWITCHBOARD_BENCH_STATS_CALLS=%q: want a number of calls, at least 1000", v)
		}
	}
	return Shape{Calls: n, Orgs: 4, Numbers: 10, Endpoints: 3, Days: 120,
		Start: time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)}
}

// Case is one timed query.
type Case struct {
	Name  string
	Stats *switchboard.CallStatsFilter // nil: the list page
	List  switchboard.CallFilter
}

// Cases are the queries timed for organisation 0 over the month from day
// 30 of the shape: the list's first page (the baseline of the ratios,
// with its total), and the stats without and with each grouping and
// filter.
func Cases(s Shape) []Case {
	from := s.Start.AddDate(0, 0, 30)
	to := from.AddDate(0, 0, 30).Add(-time.Microsecond)
	month := switchboard.CallStatsFilter{From: from, To: to}
	with := func(f func(*switchboard.CallStatsFilter)) *switchboard.CallStatsFilter {
		m := month
		f(&m)
		return &m
	}
	return []Case{
		{Name: "GET /v1/calls, month, first page of 50 + total", List: switchboard.CallFilter{From: from, To: to, Page: switchboard.Page{Limit: 50}}},
		{Name: "GET /v1/calls, no filter, first page of 50 + total", List: switchboard.CallFilter{Page: switchboard.Page{Limit: 50}}},
		{Name: "stats, month", Stats: &month},
		{Name: "stats, month, group_by=day", Stats: with(func(f *switchboard.CallStatsFilter) { f.GroupBy = switchboard.StatsByDay })},
		{Name: "stats, month, group_by=hour", Stats: with(func(f *switchboard.CallStatsFilter) { f.GroupBy = switchboard.StatsByHour })},
		{Name: "stats, month, phone_number_id", Stats: with(func(f *switchboard.CallStatsFilter) { f.PhoneNumberID = NumberID(0, 3) })},
		{Name: "stats, month, endpoint_id", Stats: with(func(f *switchboard.CallStatsFilter) { f.EndpointID = EndpointID(0, 1) })},
		{Name: "stats, month, direction=outbound", Stats: with(func(f *switchboard.CallStatsFilter) { f.Direction = switchboard.DirectionOutbound })},
		{Name: "stats, all time (120 days)", Stats: &switchboard.CallStatsFilter{}},
	}
}

// Runs is how many times each query is timed (the median is reported),
// after one run that warms the cache.
const Runs = 5

// Measure times each case on store for orgID, logs the table (median ms,
// and the ratio to the first case, the month's list page) and returns the
// medians.
func Measure(t *testing.T, store switchboard.Store, orgID string, s Shape) []time.Duration {
	ctx := context.Background()
	var out []time.Duration
	var report strings.Builder
	fmt.Fprintf(&report, "%-55s %10s %8s %s\n", "query (organisation 0)", "median ms", "× list", "rows")
	for _, c := range Cases(s) {
		var runs []time.Duration
		var rows string
		for k := 0; k <= Runs; k++ {
			start := time.Now()
			if c.Stats != nil {
				st, err := store.CallStats(ctx, orgID, *c.Stats)
				if err != nil {
					t.Fatalf("%s: %v", c.Name, err)
				}
				rows = fmt.Sprintf("%d calls, %d buckets", st.TotalCalls, len(st.Series))
			} else {
				list, total, err := store.ListCalls(ctx, orgID, c.List)
				if err != nil {
					t.Fatalf("%s: %v", c.Name, err)
				}
				rows = fmt.Sprintf("%d of %d calls", len(list), total)
			}
			if k > 0 {
				runs = append(runs, time.Since(start))
			}
		}
		slices.Sort(runs)
		med := runs[len(runs)/2]
		out = append(out, med)
		fmt.Fprintf(&report, "%-55s %10.1f %8.2f %s\n", c.Name, float64(med.Microseconds())/1000,
			float64(med)/float64(out[0]), rows)
	}
	t.Logf("%d calls:\n%s", s.Calls, report.String())
	return out
}
