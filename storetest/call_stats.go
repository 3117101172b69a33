package storetest

import (
	"encoding/json"
	"errors"
	"time"

	"github.com/switchboard-voice/switchboard"
)

// statsWant is the expected measures of a set of calls: statuses and
// directions not named count 0; rate, avg and p95 are nil when the
// answer must be null.
type statsWant struct {
	total       int
	status      map[string]int
	dir         map[string]int
	answered    int
	rate        *float64
	avg, p95    *float64
	bucketStart time.Time
}

func (w statsWant) measures() switchboard.CallMeasures {
	m := switchboard.CallMeasures{TotalCalls: w.total, ByStatus: map[string]int{}, ByDirection: map[string]int{},
		AnsweredCalls: w.answered, AnswerRate: w.rate, AverageDuration: w.avg, P95Duration: w.p95}
	for _, s := range switchboard.CallStatuses {
		m.ByStatus[s] = w.status[s]
	}
	for _, d := range []string{switchboard.DirectionInbound, switchboard.DirectionOutbound} {
		m.ByDirection[d] = w.dir[d]
	}
	return m
}

// testCallStats checks the stats' numbers on calls of known durations:
// the overall measures, every filter, the day and hour series (UTC
// buckets, boundaries at the last microsecond of a day), isolation
// between organisations, an empty result and the filter's validation.
// Both stores must answer exactly these numbers, the p95 interpolated as
// percentile_cont(0.95) does.
func testCallStats(f *fixture) {
	t := f.t
	orgID, other := f.org("acme"), f.org("globex")
	pn1, pn2 := switchboard.NewID(switchboard.PrefixNumber), switchboard.NewID(switchboard.PrefixNumber)
	epA, epB := switchboard.NewID(switchboard.PrefixEndpoint), switchboard.NewID(switchboard.PrefixEndpoint)
	day1 := time.Date(2025, time.May, 1, 0, 0, 0, 0, time.UTC)
	day2, day3 := day1.AddDate(0, 0, 1), day1.AddDate(0, 0, 2)
	in, out := switchboard.DirectionInbound, switchboard.DirectionOutbound
	const (
		completed  = switchboard.CallCompleted
		noAnswer   = switchboard.CallNoAnswer
		inProgress = switchboard.CallInProgress
		failed     = switchboard.CallFailed
		busy       = switchboard.CallBusy
	)
	var batch []switchboard.CallUpdate
	// mk saves a call of org created at at; duration < 0: never answered;
	// ended false: answered and still in progress.
	mk := func(org string, at time.Time, dir, status string, pn, ep *string, duration int, ended bool) {
		c := f.newCall(org, "node-a")
		c.CreatedAt, c.UpdatedAt = at, at
		c.Direction, c.Status, c.PhoneNumberID, c.EndpointID = dir, status, pn, ep
		if duration >= 0 {
			c.AnsweredAt = ptr(at.Add(2 * time.Second))
		}
		if ended {
			end := at.Add(time.Minute)
			c.CompletedAt, c.UpdatedAt = &end, end
			c.Duration = max(duration, 0)
		}
		batch = append(batch, callUpdate(c))
	}
	mk(orgID, day1.Add(10*time.Hour+15*time.Minute), in, completed, &pn1, &epA, 7, true)    // 1
	mk(orgID, day1.Add(10*time.Hour+40*time.Minute), in, completed, &pn1, &epA, 20, true)   // 2
	mk(orgID, day1.Add(11*time.Hour+5*time.Minute), out, completed, &pn2, &epB, 31, true)   // 3
	mk(orgID, day1.Add(11*time.Hour+30*time.Minute), in, noAnswer, &pn1, &epA, -1, true)    // 4
	mk(orgID, day2.Add(9*time.Hour), in, completed, &pn2, &epA, 45, true)                   // 5
	mk(orgID, day2.Add(9*time.Hour+10*time.Minute), in, inProgress, &pn1, &epB, 0, false)   // 6
	mk(orgID, day3.Add(-time.Microsecond), in, failed, &pn1, &epA, -1, true)                // 7
	mk(orgID, day3, out, busy, &pn2, &epB, -1, true)                                        // 8
	mk(other, day1.Add(10*time.Hour+20*time.Minute), in, completed, &pn1, &epA, 1000, true) // theirs
	mk("", day1.Add(10*time.Hour+20*time.Minute), in, failed, nil, nil, -1, true)           // nobody's
	f.saveCalls(batch...)

	n := func(v float64) *float64 { return &v }
	all := statsWant{total: 8, status: map[string]int{completed: 4, noAnswer: 1, inProgress: 1, failed: 1, busy: 1},
		dir: map[string]int{in: 6, out: 2}, answered: 5, rate: n(0.625), avg: n(25.75), p95: n(42.9)}
	d1 := statsWant{bucketStart: day1, total: 4, status: map[string]int{completed: 3, noAnswer: 1}, dir: map[string]int{in: 3, out: 1},
		answered: 3, rate: n(0.75), avg: n(19.33), p95: n(29.9)}
	d2 := statsWant{bucketStart: day2, total: 3, status: map[string]int{completed: 1, inProgress: 1, failed: 1}, dir: map[string]int{in: 3},
		answered: 2, rate: n(0.6667), avg: n(45), p95: n(45)}
	d3 := statsWant{bucketStart: day3, total: 1, status: map[string]int{busy: 1}, dir: map[string]int{out: 1}, rate: n(0)}
	empty := statsWant{}
	for _, tc := range []struct {
		name   string
		org    string
		filter switchboard.CallStatsFilter
		want   statsWant
		series []statsWant
	}{
		{"all", orgID, switchboard.CallStatsFilter{}, all, nil},
		{"phone number", orgID, switchboard.CallStatsFilter{PhoneNumberID: pn1}, statsWant{total: 5,
			status: map[string]int{completed: 2, noAnswer: 1, inProgress: 1, failed: 1}, dir: map[string]int{in: 5},
			answered: 3, rate: n(0.6), avg: n(13.5), p95: n(19.35)}, nil},
		{"endpoint", orgID, switchboard.CallStatsFilter{EndpointID: epB}, statsWant{total: 3,
			status: map[string]int{completed: 1, inProgress: 1, busy: 1}, dir: map[string]int{in: 1, out: 2},
			answered: 2, rate: n(0.6667), avg: n(31), p95: n(31)}, nil},
		{"direction", orgID, switchboard.CallStatsFilter{Direction: out}, statsWant{total: 2,
			status: map[string]int{completed: 1, busy: 1}, dir: map[string]int{out: 2},
			answered: 1, rate: n(0.5), avg: n(31), p95: n(31)}, nil},
		{"one day, its last microsecond included", orgID, switchboard.CallStatsFilter{From: day2, To: day3.Add(-time.Microsecond)}, d2, nil},
		{"number and endpoint", orgID, switchboard.CallStatsFilter{PhoneNumberID: pn2, EndpointID: epA}, statsWant{total: 1,
			status: map[string]int{completed: 1}, dir: map[string]int{in: 1}, answered: 1, rate: n(1), avg: n(45), p95: n(45)}, nil},
		{"by day", orgID, switchboard.CallStatsFilter{GroupBy: switchboard.StatsByDay}, all, []statsWant{d1, d2, d3}},
		{"by hour", orgID, switchboard.CallStatsFilter{GroupBy: switchboard.StatsByHour, From: day1, To: day3.Add(time.Hour)}, all, []statsWant{
			{bucketStart: day1.Add(10 * time.Hour), total: 2, status: map[string]int{completed: 2}, dir: map[string]int{in: 2},
				answered: 2, rate: n(1), avg: n(13.5), p95: n(19.35)},
			{bucketStart: day1.Add(11 * time.Hour), total: 2, status: map[string]int{completed: 1, noAnswer: 1}, dir: map[string]int{in: 1, out: 1},
				answered: 1, rate: n(0.5), avg: n(31), p95: n(31)},
			{bucketStart: day2.Add(9 * time.Hour), total: 2, status: map[string]int{completed: 1, inProgress: 1}, dir: map[string]int{in: 2},
				answered: 2, rate: n(1), avg: n(45), p95: n(45)},
			{bucketStart: day2.Add(23 * time.Hour), total: 1, status: map[string]int{failed: 1}, dir: map[string]int{in: 1}, rate: n(0)},
			{bucketStart: day3, total: 1, status: map[string]int{busy: 1}, dir: map[string]int{out: 1}, rate: n(0)},
		}},
		{"by day, filtered", orgID, switchboard.CallStatsFilter{GroupBy: switchboard.StatsByDay, Direction: out}, statsWant{total: 2,
			status: map[string]int{completed: 1, busy: 1}, dir: map[string]int{out: 2}, answered: 1, rate: n(0.5), avg: n(31), p95: n(31)},
			[]statsWant{
				{bucketStart: day1, total: 1, status: map[string]int{completed: 1}, dir: map[string]int{out: 1}, answered: 1, rate: n(1), avg: n(31), p95: n(31)},
				{bucketStart: day3, total: 1, status: map[string]int{busy: 1}, dir: map[string]int{out: 1}, rate: n(0)},
			}},
		{"another organisation", other, switchboard.CallStatsFilter{GroupBy: switchboard.StatsByDay}, statsWant{total: 1,
			status: map[string]int{completed: 1}, dir: map[string]int{in: 1}, answered: 1, rate: n(1), avg: n(1000), p95: n(1000)},
			[]statsWant{{bucketStart: day1, total: 1, status: map[string]int{completed: 1}, dir: map[string]int{in: 1},
				answered: 1, rate: n(1), avg: n(1000), p95: n(1000)}}},
		{"no organisation", "", switchboard.CallStatsFilter{}, empty, nil},
		{"an unknown endpoint", orgID, switchboard.CallStatsFilter{EndpointID: "ep_doesNotExist"}, empty, nil},
		{"empty range, grouped", orgID, switchboard.CallStatsFilter{From: day3.Add(time.Hour), GroupBy: switchboard.StatsByDay}, empty, []statsWant{}},
	} {
		got, err := f.s.CallStats(f.ctx, tc.org, tc.filter)
		if err != nil {
			t.Errorf("CallStats %s: %v", tc.name, err)
			continue
		}
		want := switchboard.CallStats{CallMeasures: tc.want.measures(), GroupBy: tc.filter.GroupBy, Series: []switchboard.CallStatsBucket{}}
		for _, b := range tc.series {
			want.Series = append(want.Series, switchboard.CallStatsBucket{Start: b.bucketStart, CallMeasures: b.measures()})
		}
		gj, _ := json.Marshal(got)
		wj, _ := json.Marshal(&want)
		if string(gj) != string(wj) {
			t.Errorf("CallStats %s:\n got %s\nwant %s", tc.name, gj, wj)
		}
	}

	for _, tc := range []struct {
		name   string
		filter switchboard.CallStatsFilter
		field  string
	}{
		{"unknown grouping", switchboard.CallStatsFilter{GroupBy: "week"}, "group_by"},
		{"unknown direction", switchboard.CallStatsFilter{Direction: "sideways"}, "direction"},
		{"to before from", switchboard.CallStatsFilter{From: day2, To: day1}, "to_date"},
		{"hourly without from", switchboard.CallStatsFilter{GroupBy: switchboard.StatsByHour}, "from_date"},
		{"hourly over 32 days", switchboard.CallStatsFilter{GroupBy: switchboard.StatsByHour, From: day1, To: day1.AddDate(0, 0, 32)}, "to_date"},
	} {
		_, err := f.s.CallStats(f.ctx, orgID, tc.filter)
		wantCode(t, "CallStats "+tc.name, err, switchboard.ECodeValidation)
		var e *switchboard.Error
		if errors.As(err, &e) && e.Details["field"] != tc.field {
			t.Errorf("CallStats %s: details %v, want field %q", tc.name, e.Details, tc.field)
		}
	}
}
