package switchboard

import (
	"context"
	"fmt"
	"math"
	"slices"
	"time"
)

// Call statistics (GET /v1/calls/stats). The stores aggregate in SQL over
// the calls table's existing indexes (the organisation's (organization_id,
// created_at) index, or its number's or endpoint's, whichever the filter
// names): one statement counts per bucket (CallStatsCounts), the other
// takes the 95th percentile of the durations per bucket and overall. The
// rules of what is counted, and the arithmetic on the sums, are here once,
// so both stores answer the same numbers.

// Groupings of the stats series: UTC days or UTC hours of created_at.
const (
	StatsByDay  = "day"
	StatsByHour = "hour"
)

// MaxHourlyStatsRange bounds the range of an hourly series, so that one
// request answers at most 745 buckets.
const MaxHourlyStatsRange = 31 * 24 * time.Hour

// CallStatsFilter selects the organisation's calls to aggregate. From and
// To bound created_at (inclusive); zero values do not filter. GroupBy is
// "", StatsByDay or StatsByHour.
type CallStatsFilter struct {
	Direction     string
	PhoneNumberID string
	EndpointID    string
	From, To      time.Time
	GroupBy       string
}

// Conds are the equalities of the filter on the organisation's calls; the
// store bounds created_at by From and To and buckets it itself.
func (f CallStatsFilter) Conds(orgID string) []Cond {
	return conds([]Cond{{"organization_id", orgID}}, "phone_number_id", f.PhoneNumberID,
		"endpoint_id", f.EndpointID, "direction", f.Direction)
}

// Bucket is the width of the series' buckets (a day or an hour), or 0
// when the filter asks for no series. Buckets start at UTC midnight or on
// the UTC hour.
func (f CallStatsFilter) Bucket() time.Duration {
	switch f.GroupBy {
	case StatsByDay:
		return 24 * time.Hour
	case StatsByHour:
		return time.Hour
	}
	return 0
}

// CallStatsRow is one row of a store's counting statement: the calls of
// one bucket (zero Bucket when not grouped). ByStatus counts them by
// status in CallStatuses order, ByDirection inbound then outbound (the
// columns of CallStatsCounts). Answered counts the calls with an
// answered_at; Timed those of them that have ended (completed_at set),
// whose durations DurationSum adds up: a call still in progress has no
// duration yet.
type CallStatsRow struct {
	Bucket          time.Time
	Calls, Answered int
	Timed           int
	DurationSum     int64
	ByStatus        []int
	ByDirection     [2]int
}

// TimedCallSQL is the SQL condition of a call whose duration counts in
// the stats (Timed, DurationSum, the p95): answered and ended. Both
// stores' statements share it.
const TimedCallSQL = `answered_at IS NOT NULL AND completed_at IS NOT NULL`

// CallStatsCounts are the equalities a store counts per bucket, in the
// order of CallStatsRow's ByStatus then ByDirection: one conditional count
// each, so the statement aggregates in one pass without grouping by
// status and direction (which would sort every row).
func CallStatsCounts() []Cond {
	out := make([]Cond, 0, len(CallStatuses)+2)
	for _, st := range CallStatuses {
		out = append(out, Cond{"status", st})
	}
	return append(out, Cond{"direction", DirectionInbound}, Cond{"direction", DirectionOutbound})
}

// Dest returns the scan destinations of the counting statement's columns
// after the bucket: calls, answered, timed, the sum of durations, then
// the CallStatsCounts.
func (r *CallStatsRow) Dest() []any {
	d := []any{&r.Calls, &r.Answered, &r.Timed, &r.DurationSum}
	r.ByStatus = make([]int, len(CallStatuses))
	for i := range r.ByStatus {
		d = append(d, &r.ByStatus[i])
	}
	return append(d, &r.ByDirection[0], &r.ByDirection[1])
}

// CallStatsP95 is the 95th percentile of the durations of the timed calls
// of one bucket, or of all of them when All, interpolated between the two
// nearest ranks as PostgreSQL's percentile_cont(0.95) does.
type CallStatsP95 struct {
	Bucket time.Time
	All    bool
	P95    float64
}

// P95Ranks are the ranks (from 0, ascending) of the two durations of n
// that the 95th percentile lies between, and where between them, as
// PostgreSQL's percentile_cont computes them: pos = 0.95·(n-1), lo its
// floor, hi its ceiling, frac pos - lo. A store without percentile_cont
// selects the durations at lo and hi and calls Interpolate.
func P95Ranks(n int) (lo, hi int, frac float64) {
	pos := 0.95 * float64(n-1)
	lo, hi = int(math.Floor(pos)), int(math.Ceil(pos))
	return lo, hi, pos - float64(lo)
}

// Interpolate is percentile_cont's interpolation between the durations
// at the ranks P95Ranks gives, in the same float64 arithmetic, so both
// stores answer the same number.
func Interpolate(vlo, vhi float64, frac float64) float64 { return vlo + (vhi-vlo)*frac }

// CallMeasures are the figures of a set of calls. AnswerRate is answered
// over all calls, AverageDuration and P95Duration are in seconds over the
// answered calls that have ended; each is null when there is nothing to
// divide.
type CallMeasures struct {
	TotalCalls      int            `json:"total_calls"`
	ByStatus        map[string]int `json:"by_status"`
	ByDirection     map[string]int `json:"by_direction"`
	AnsweredCalls   int            `json:"answered_calls"`
	AnswerRate      *float64       `json:"answer_rate"`
	AverageDuration *float64       `json:"average_duration"`
	P95Duration     *float64       `json:"p95_duration"`
	timed           int
	durationSum     int64
}

// CallStatsBucket is one bucket of a series: its calls' measures and
// where it starts (UTC).
type CallStatsBucket struct {
	Start time.Time `json:"start"`
	CallMeasures
}

// CallStats is the answer of GET /v1/calls/stats: the measures of every
// call the filter selects and, with group_by, the series of buckets that
// hold calls, oldest first (buckets without calls are left out).
type CallStats struct {
	CallMeasures
	GroupBy string            `json:"group_by,omitempty"`
	Series  []CallStatsBucket `json:"series"`
}

// CallStatsService computes call statistics.
type CallStatsService interface {
	// CallStats aggregates the organisation's calls that match the
	// filter; VALIDATION_ERROR names a bad field.
	CallStats(ctx context.Context, orgID string, f CallStatsFilter) (*CallStats, error)
}

// Validate checks the filter: a known grouping, To not before From, and
// an hourly series over a bounded range (to defaults to now).
func (f CallStatsFilter) Validate(now time.Time) error {
	switch f.GroupBy {
	case "", StatsByDay, StatsByHour:
	default:
		return FieldError("group_by", "group_by must be day or hour")
	}
	switch f.Direction {
	case "", DirectionInbound, DirectionOutbound:
	default:
		return FieldError("direction", "direction must be inbound or outbound")
	}
	if !f.From.IsZero() && !f.To.IsZero() && f.To.Before(f.From) {
		return FieldError("to_date", "to_date must not be before from_date")
	}
	if f.GroupBy == StatsByHour {
		if f.From.IsZero() {
			return FieldError("from_date", "group_by=hour needs from_date (a range of at most 31 days)")
		}
		end := f.To
		if end.IsZero() {
			end = now
		}
		if end.Sub(f.From) > MaxHourlyStatsRange {
			return FieldError("to_date", "group_by=hour covers at most 31 days from from_date; use group_by=day")
		}
	}
	return nil
}

// CallStats validates the filter and aggregates the organisation's calls
// in the store.
func (s *Service) CallStats(ctx context.Context, orgID string, f CallStatsFilter) (*CallStats, error) {
	if err := f.Validate(s.now()); err != nil {
		return nil, err
	}
	if orgID == "" {
		return BuildCallStats(f, nil, nil), nil
	}
	rows, p95s, err := s.d.CallStats(ctx, orgID, f)
	if err != nil {
		return nil, fmt.Errorf("call stats: %w", err)
	}
	return BuildCallStats(f, rows, p95s), nil
}

// BuildCallStats assembles the answer from a store's rows, which may come
// in any order: the overall measures, and with a grouping the series,
// oldest bucket first.
func BuildCallStats(f CallStatsFilter, rows []CallStatsRow, p95s []CallStatsP95) *CallStats {
	st := &CallStats{CallMeasures: newMeasures(), GroupBy: f.GroupBy, Series: []CallStatsBucket{}}
	index := map[time.Time]int{} // bucket start → its index in Series
	for _, r := range rows {
		if r.Calls == 0 {
			continue // the one row of an ungrouped count of no calls
		}
		st.add(r)
		if f.GroupBy == "" {
			continue
		}
		b := r.Bucket.UTC()
		i, ok := index[b]
		if !ok {
			i = len(st.Series)
			index[b] = i
			st.Series = append(st.Series, CallStatsBucket{Start: b, CallMeasures: newMeasures()})
		}
		st.Series[i].add(r)
	}
	for _, p := range p95s {
		v := round(p.P95, 100)
		if p.All {
			st.P95Duration = &v
		} else if i, ok := index[p.Bucket.UTC()]; ok {
			st.Series[i].P95Duration = &v
		}
	}
	st.finish()
	for i := range st.Series {
		st.Series[i].finish()
	}
	sortBuckets(st.Series)
	return st
}

func newMeasures() CallMeasures {
	m := CallMeasures{ByStatus: map[string]int{}, ByDirection: map[string]int{}}
	for _, s := range CallStatuses {
		m.ByStatus[s] = 0
	}
	m.ByDirection[DirectionInbound], m.ByDirection[DirectionOutbound] = 0, 0
	return m
}

func (m *CallMeasures) add(r CallStatsRow) {
	m.TotalCalls += r.Calls
	for i, n := range r.ByStatus {
		m.ByStatus[CallStatuses[i]] += n
	}
	m.ByDirection[DirectionInbound] += r.ByDirection[0]
	m.ByDirection[DirectionOutbound] += r.ByDirection[1]
	m.AnsweredCalls += r.Answered
	m.timed += r.Timed
	m.durationSum += r.DurationSum
}

// finish derives the rates from the sums: answer_rate to four decimals,
// the average to two, as the p95 is.
func (m *CallMeasures) finish() {
	if m.TotalCalls > 0 {
		v := round(float64(m.AnsweredCalls)/float64(m.TotalCalls), 10000)
		m.AnswerRate = &v
	}
	if m.timed > 0 {
		v := round(float64(m.durationSum)/float64(m.timed), 100)
		m.AverageDuration = &v
	} else {
		m.P95Duration = nil
	}
}

func round(v, unit float64) float64 { return math.Round(v*unit) / unit }

func sortBuckets(bs []CallStatsBucket) {
	slices.SortFunc(bs, func(a, b CallStatsBucket) int { return a.Start.Compare(b.Start) })
}
