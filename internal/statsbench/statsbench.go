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

// Case is one timed query: the stats (Stats), FindCall (Find), a node's
// restart (Orphans: EndOrphanCalls, which finds no open call here, so it
// only reads), or else the list's page with its total (List).
type Case struct {
	Name    string
	Stats   *switchboard.CallStatsFilter
	Find    string // a call's ID
	Orphans string // a node
	List    switchboard.CallFilter
}

// IsList reports whether c is the list's page.
func (c Case) IsList() bool { return c.Stats == nil && c.Find == "" && c.Orphans == "" }

// Cases are the queries timed for organisation 0 over the month from day
// 30 of the shape: the list's first page (the baseline of the ratios,
// with its total), the stats without and with each grouping and filter,
// then the list's page with each filter CallFilter has and their
// combinations, one call by ID, and a node's restart.
func Cases(s Shape) []Case {
	from := s.Start.AddDate(0, 0, 30)
	to := from.AddDate(0, 0, 30).Add(-time.Microsecond)
	month := switchboard.CallStatsFilter{From: from, To: to}
	with := func(f func(*switchboard.CallStatsFilter)) *switchboard.CallStatsFilter {
		m := month
		f(&m)
		return &m
	}
	page := switchboard.Page{Limit: 50}
	list := func(name string, f switchboard.CallFilter) Case {
		f.Page = page
		return Case{Name: "GET /v1/calls, " + name + ", page of 50 + total", List: f}
	}
	day := s.Start.AddDate(0, 0, 60)
	pn, ep := NumberID(0, 3), EndpointID(0, 1)
	failed := switchboard.CallFailed
	// Call i belongs to organisation i mod Orgs: the middle call of
	// organisation 0.
	mid := s.Calls / 2 / s.Orgs * s.Orgs
	return []Case{
		list("month", switchboard.CallFilter{From: from, To: to}),
		list("no filter", switchboard.CallFilter{}),
		{Name: "stats, month", Stats: &month},
		{Name: "stats, month, group_by=day", Stats: with(func(f *switchboard.CallStatsFilter) { f.GroupBy = switchboard.StatsByDay })},
		{Name: "stats, month, group_by=hour", Stats: with(func(f *switchboard.CallStatsFilter) { f.GroupBy = switchboard.StatsByHour })},
		{Name: "stats, month, phone_number_id", Stats: with(func(f *switchboard.CallStatsFilter) { f.PhoneNumberID = pn })},
		{Name: "stats, month, endpoint_id", Stats: with(func(f *switchboard.CallStatsFilter) { f.EndpointID = ep })},
		{Name: "stats, month, direction=outbound", Stats: with(func(f *switchboard.CallStatsFilter) { f.Direction = switchboard.DirectionOutbound })},
		{Name: "stats, all time (120 days)", Stats: &switchboard.CallStatsFilter{}},
		list("one day", switchboard.CallFilter{From: day, To: day.AddDate(0, 0, 1).Add(-time.Microsecond)}),
		list("status=failed", switchboard.CallFilter{Status: failed}),
		list("live", switchboard.CallFilter{Live: true}),
		list("phone_number_id", switchboard.CallFilter{PhoneNumberID: pn}),
		list("endpoint_id", switchboard.CallFilter{EndpointID: ep}),
		list("direction=outbound", switchboard.CallFilter{Direction: switchboard.DirectionOutbound}),
		list("month, status=failed", switchboard.CallFilter{From: from, To: to, Status: failed}),
		list("month, phone_number_id", switchboard.CallFilter{From: from, To: to, PhoneNumberID: pn}),
		list("month, endpoint_id", switchboard.CallFilter{From: from, To: to, EndpointID: ep}),
		list("phone_number_id, status=no_answer", switchboard.CallFilter{PhoneNumberID: pn, Status: switchboard.CallNoAnswer}),
		list("endpoint_id, direction=outbound", switchboard.CallFilter{EndpointID: ep, Direction: switchboard.DirectionOutbound}),
		{Name: "GET /v1/calls/{id} (FindCall)", Find: CallID(mid)},
		{Name: "node restart (EndOrphanCalls, none open)", Orphans: Node},
	}
}

// CallID is the ID of call i, as the stores generate it.
func CallID(i int) string { return fmt.Sprintf("call_%012d", i) }

// Node is the node of every generated call.
const Node = "node-a"

// Runs is how many times each query is timed (the median is reported),
// after one run that warms the cache.
const Runs = 5

// Measure times each case on store for orgID, logs the table (median ms,
// and the ratio to the first case, the month's list page) and returns the
// medians.
func Measure(t *testing.T, store switchboard.Store, orgID string, s Shape) []time.Duration {
	var out []time.Duration
	var report strings.Builder
	fmt.Fprintf(&report, "%-60s %10s %8s %s\n", "query (organisation 0)", "median ms", "× list", "rows")
	for _, c := range Cases(s) {
		med, rows := Time(t, store, orgID, c, Runs)
		out = append(out, med)
		fmt.Fprintf(&report, "%-60s %10.1f %8.2f %s\n", c.Name, ms(med), float64(med)/float64(out[0]), rows)
	}
	t.Logf("%d calls:\n%s", s.Calls, report.String())
	return out
}

// slow is the time of a warm-up run past which a case is timed once more
// only: without its index a query may read the whole table.
const slow = 3 * time.Second

// Time runs c once to warm the cache, then up to runs times (once when
// the warm-up was slow), and returns the median and what the last run
// read.
func Time(t *testing.T, store switchboard.Store, orgID string, c Case, runs int) (time.Duration, string) {
	ctx := context.Background()
	var times []time.Duration
	var rows string
	for k := 0; k <= runs; k++ {
		start := time.Now()
		switch {
		case c.Stats != nil:
			st, err := store.CallStats(ctx, orgID, *c.Stats)
			if err != nil {
				t.Fatalf("%s: %v", c.Name, err)
			}
			rows = fmt.Sprintf("%d calls, %d buckets", st.TotalCalls, len(st.Series))
		case c.Find != "":
			if _, err := store.FindCall(ctx, orgID, c.Find); err != nil {
				t.Fatalf("%s: %v", c.Name, err)
			}
			rows = "1 call"
		case c.Orphans != "":
			n, err := store.EndOrphanCalls(ctx, c.Orphans, time.Now())
			if err != nil {
				t.Fatalf("%s: %v", c.Name, err)
			}
			rows = fmt.Sprintf("%d calls ended", n)
		default:
			list, total, err := store.ListCalls(ctx, orgID, c.List)
			if err != nil {
				t.Fatalf("%s: %v", c.Name, err)
			}
			rows = fmt.Sprintf("%d of %d calls", len(list), total)
		}
		d := time.Since(start)
		if k > 0 {
			times = append(times, d)
		}
		if k == 0 && d > slow {
			runs = 1
		}
	}
	slices.Sort(times)
	return times[len(times)/2], rows
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// StudyEnabled reports whether TestCallStatsScale studies each index
// after timing the cases: unless SWITCHBOARD_BENCH_STATS_STUDY=0 (the
// study drops and rebuilds every index of ten million calls, which takes
// longer than the rest).
func StudyEnabled() bool { return os.Getenv("SWITCHBOARD_BENCH_STATS_STUDY") != "0" }

// Indexes are a store's hands on the indexes of its calls table, for
// Study.
type Indexes struct {
	// Names are the indexes to study, each dropped in turn.
	Names []string
	// Drop drops the index and returns how to create it again.
	Drop func(name string) (restore func() error, err error)
	// Plan returns the store's plan of every statement the case runs.
	Plan func(c Case) string
	// Named returns the index the case's statements name, if any (SQLite's
	// live list, INDEXED BY): without it they fail, so Study skips them.
	Named func(c Case) string
}

// Study measures what each index of the calls table is for: with every
// index in place it takes each case's plan, then for each index drops it,
// takes the plans again and times the cases whose plan changed (the
// others run as before), logs the plan they fall back to, creates the
// index again and times those cases again with it, so that each pair is
// timed minutes apart at most on a machine whose load drifts. It logs one
// table: per index, each case whose plan changes, with and without it,
// and the ratio.
func Study(t *testing.T, store switchboard.Store, orgID string, s Shape, ix Indexes) {
	cases := Cases(s)
	plans := make([]string, len(cases))
	for i, c := range cases {
		plans[i] = ix.Plan(c)
		t.Logf("with every index, %s:\n%s", c.Name, plans[i])
	}
	var report strings.Builder
	fmt.Fprintf(&report, "%-20s %-60s %10s %12s %9s\n", "index dropped", "query whose plan changes", "with ms", "without ms", "× slower")
	for _, name := range ix.Names {
		restore, err := ix.Drop(name)
		if err != nil {
			t.Fatalf("drop %s: %v", name, err)
		}
		var changed []int
		without := map[int]time.Duration{}
		for i, c := range cases {
			if ix.Named != nil && ix.Named(c) == name {
				fmt.Fprintf(&report, "%-20s %-60s\n", name, c.Name+" names it (INDEXED BY)")
				continue
			}
			plan := ix.Plan(c)
			if plan == plans[i] {
				continue
			}
			changed = append(changed, i)
			d, rows := Time(t, store, orgID, c, 3)
			without[i] = d
			t.Logf("without %s, %s (%s):\n%s", name, c.Name, rows, plan)
		}
		start := time.Now()
		if err := restore(); err != nil {
			t.Fatalf("restore %s: %v", name, err)
		}
		t.Logf("%s created again in %v", name, time.Since(start).Round(time.Second))
		if len(changed) == 0 {
			fmt.Fprintf(&report, "%-20s %-60s\n", name, "(no plan changes)")
		}
		for _, i := range changed {
			with, _ := Time(t, store, orgID, cases[i], 3)
			fmt.Fprintf(&report, "%-20s %-60s %10.1f %12.1f %9.1f\n", name, cases[i].Name, ms(with), ms(without[i]),
				float64(without[i])/float64(with))
		}
	}
	t.Logf("%d calls, each index dropped in turn:\n%s", s.Calls, report.String())
}

// Batch is the number of call updates WriteCalls saves at once, as the
// SIP edge batches them.
const Batch = 64

// WriteCalls is the call path's writes for BenchmarkCallIndexes: SaveCalls
// of batches of Batch updates without timeline entries, each call written
// twice, answered and then completed (the two row writes per call of
// issue 18), so half of each batch inserts and half updates. The calls
// spread over 1,000 numbers, each with its endpoint, of one organisation
// (bench/sip's set-up): the index of each filter has that many places
// where new calls go. It reports ns/update.
func WriteCalls(b *testing.B, store switchboard.Store) {
	ctx := b.Context()
	org, _, err := store.EnsureOrganization(ctx, "acme")
	if err != nil {
		b.Fatal(err)
	}
	calls := make([]*switchboard.Call, Batch)
	updates := make([]switchboard.CallUpdate, Batch)
	answered := make([]bool, Batch)
	for i := range answered {
		answered[i] = i%2 == 1 // staggered: every batch inserts and updates
	}
	n := 0
	for b.Loop() {
		now := time.Now().UTC()
		for i := range calls {
			var c switchboard.Call
			if !answered[i] || calls[i] == nil {
				n++
				pn, ep := NumberID(0, n%1000), EndpointID(0, n%1000)
				c = switchboard.Call{
					ID: switchboard.NewID(switchboard.PrefixCall), OrganizationID: org.ID,
					Direction: switchboard.DirectionInbound, FromNumber: "+2348031234567", ToNumber: "+14155550101",
					PhoneNumberID: &pn, EndpointID: &ep, SIPCallID: "a84b4c76e66710@carrier.example.com",
					Node: Node, CreatedAt: now, Status: switchboard.CallInProgress, AnsweredAt: &now,
				}
			} else {
				c = *calls[i]
				c.Status, c.CompletedAt, c.Duration, c.HangupCause = switchboard.CallCompleted, &now, 1, switchboard.HangupNormalClearing
			}
			c.UpdatedAt = now
			calls[i] = &c
			updates[i] = switchboard.CallUpdate{Call: &c}
			answered[i] = !answered[i]
		}
		if err := store.SaveCalls(ctx, updates); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*Batch), "ns/update")
}

// WithoutName names a sub-benchmark of BenchmarkCallIndexes by the
// indexes it drops, of all secondary ones.
func WithoutName(drop []string, all int) string {
	switch len(drop) {
	case 0:
		return "all"
	case all:
		return "pk_only"
	}
	return "without=" + strings.Join(drop, "+")
}
