package httpapi_test

import (
	"encoding/json"
	"slices"
	"testing"

	"github.com/switchboard-voice/switchboard"
)

// statsBody is a stats answer, decoded.
type statsBody struct {
	TotalCalls      int            `json:"total_calls"`
	ByStatus        map[string]int `json:"by_status"`
	ByDirection     map[string]int `json:"by_direction"`
	AnsweredCalls   int            `json:"answered_calls"`
	AnswerRate      *float64       `json:"answer_rate"`
	AverageDuration *float64       `json:"average_duration"`
	P95Duration     *float64       `json:"p95_duration"`
	GroupBy         string         `json:"group_by"`
	Series          []struct {
		Start           string   `json:"start"`
		TotalCalls      int      `json:"total_calls"`
		AnsweredCalls   int      `json:"answered_calls"`
		AverageDuration *float64 `json:"average_duration"`
		P95Duration     *float64 `json:"p95_duration"`
	} `json:"series"`
}

func num(p *float64) any {
	if p == nil {
		return nil
	}
	return *p
}

// TestCallStats checks the stats over HTTP on the seeded calls of
// organisation A: a (inbound, completed, 180 s, 10 Jan 10:00), b (inbound,
// failed, 10 Jan 23:59:59.999999), c (inbound, answered and live, 11 Jan),
// d (outbound, completed, 1 s, 12 Jan 00:00); the store's own numbers are
// the conformance suite's (storetest).
func TestCallStats(t *testing.T) {
	t.Parallel()
	e := newCallEnv(t)
	h := e.api(nil)
	cases := []struct {
		query           string
		total, answered int
		rate, avg, p95  any
		completed       int
		inbound         int
		series          []string // bucket starts
	}{
		{"", 4, 3, 0.75, 90.5, 171.05, 2, 3, []string{}},
		{"?direction=outbound", 1, 1, 1.0, 1.0, 1.0, 1, 0, []string{}},
		{"?phone_number_id=pn_one", 2, 1, 0.5, 180.0, 180.0, 1, 2, []string{}},
		{"?endpoint_id=ep_two", 1, 1, 1.0, nil, nil, 0, 1, []string{}},
		{"?to_date=2025-01-10", 2, 1, 0.5, 180.0, 180.0, 1, 2, []string{}}, // b's last microsecond of the day included
		{"?from_date=2025-01-11T00:00:00Z&to_date=2025-01-11", 1, 1, 1.0, nil, nil, 0, 1, []string{}},
		{"?from_date=2025-02-01", 0, 0, nil, nil, nil, 0, 0, []string{}},
		{"?group_by=day", 4, 3, 0.75, 90.5, 171.05, 2, 3,
			[]string{"2025-01-10T00:00:00Z", "2025-01-11T00:00:00Z", "2025-01-12T00:00:00Z"}},
		{"?group_by=hour&from_date=2025-01-10&to_date=2025-01-12", 4, 3, 0.75, 90.5, 171.05, 2, 3,
			[]string{"2025-01-10T10:00:00Z", "2025-01-10T23:00:00Z", "2025-01-11T08:00:00Z", "2025-01-12T00:00:00Z"}},
	}
	for _, tc := range cases {
		for _, prefix := range []string{"/v1", "/api/v1"} {
			r := do(t, h, e.keyA, "GET", prefix+"/calls/stats"+tc.query, "")
			if r.status != 200 {
				t.Fatalf("%s%s: status %d: %s", prefix, tc.query, r.status, r.raw)
			}
			var b statsBody
			if err := json.Unmarshal(r.raw, &b); err != nil {
				t.Fatal(err)
			}
			if b.TotalCalls != tc.total || b.AnsweredCalls != tc.answered || num(b.AnswerRate) != tc.rate ||
				num(b.AverageDuration) != tc.avg || num(b.P95Duration) != tc.p95 ||
				b.ByStatus[switchboard.CallCompleted] != tc.completed || b.ByDirection[switchboard.DirectionInbound] != tc.inbound {
				t.Errorf("%s%s: %s", prefix, tc.query, r.raw)
			}
			var starts []string
			for _, s := range b.Series {
				starts = append(starts, s.Start)
			}
			if len(starts) != len(tc.series) || (len(starts) > 0 && !slices.Equal(starts, tc.series)) {
				t.Errorf("%s%s: series %v, want %v", prefix, tc.query, starts, tc.series)
			}
		}
	}
	// Every status and both directions are present, zeros included.
	r := do(t, h, e.keyA, "GET", "/v1/calls/stats?group_by=day", "")
	var b statsBody
	_ = json.Unmarshal(r.raw, &b)
	if len(b.ByStatus) != len(switchboard.CallStatuses) || len(b.ByDirection) != 2 || b.GroupBy != "day" {
		t.Errorf("by_status %v, by_direction %v, group_by %q", b.ByStatus, b.ByDirection, b.GroupBy)
	}
	if d := b.Series[0]; d.TotalCalls != 2 || d.AnsweredCalls != 1 || num(d.AverageDuration) != 180.0 || num(d.P95Duration) != 180.0 {
		t.Errorf("10 January: %+v", d)
	}

	// Organisation B sees its own call only.
	r = do(t, h, e.keyB, "GET", "/v1/calls/stats", "")
	if r.status != 200 || r.body["total_calls"] != 1.0 || r.body["answered_calls"] != 1.0 {
		t.Errorf("organisation B: %d %s", r.status, r.raw)
	}
}

func TestCallStatsValidation(t *testing.T) {
	t.Parallel()
	e := newCallEnv(t)
	h := e.api(nil)
	for _, tc := range []struct{ query, field string }{
		{"group_by=week", "group_by"},
		{"direction=sideways", "direction"},
		{"from_date=yesterday", "from_date"},
		{"to_date=2025-01-10T10:00:00", "to_date"},
		{"from_date=2025-01-11&to_date=2025-01-10", "to_date"},
		{"group_by=hour", "from_date"},
		{"group_by=hour&from_date=2025-01-01&to_date=2025-03-01", "to_date"},
		{"status=completed", "status"},
		{"sort=created_at", "sort"},
	} {
		r := do(t, h, e.keyA, "GET", "/v1/calls/stats?"+tc.query, "")
		wantErr(t, r, 400, switchboard.ECodeValidation)
		if r.errField() != tc.field {
			t.Errorf("%s: details.field = %q, want %q: %s", tc.query, r.errField(), tc.field, r.raw)
		}
	}
	// calls:read is the scope; another key is refused.
	other := e.newKey(e.orgA, switchboard.ScopeCallsWrite)
	wantErr(t, do(t, h, other, "GET", "/v1/calls/stats", ""), 403, switchboard.ECodeInsufficientScope)
	read := e.newKey(e.orgA, switchboard.ScopeCallsRead)
	if r := do(t, h, read, "GET", "/v1/calls/stats", ""); r.status != 200 {
		t.Errorf("calls:read: %d %s", r.status, r.raw)
	}
	wantErr(t, do(t, h, "", "GET", "/v1/calls/stats", ""), 401, switchboard.ECodeMissingAPIKey)
}
