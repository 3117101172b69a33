package switchboard

import (
	"encoding/json"
	"reflect"
	"testing"
	"time"
)

// TestTimelineRoundTrip: what AppendTimeline writes is valid JSON that
// ParseTimeline reads back as it was, times in UTC to the microsecond.
func TestTimelineRoundTrip(t *testing.T) {
	t.Parallel()
	at := time.Date(2026, 11, 29, 10, 0, 0, 123456789, time.FixedZone("WAT", 3600))
	for _, tc := range []struct {
		name     string
		timeline []CallEvent
	}{
		{"empty", nil},
		{"one", []CallEvent{{ID: "cev_1", Type: EventCallInitiated, Timestamp: at, Status: CallInitiated}}},
		{"escaping and detail", []CallEvent{
			{ID: "cev_1", Type: EventCallInitiated, Timestamp: at, Status: CallInitiated, Detail: `routed "<&>" é ` + "\x01\n\u2028"},
			{ID: "cev_2", Type: "call.failover", Timestamp: at.Add(time.Second), Status: CallRinging, Detail: "503"},
		}},
		{"before 1970", []CallEvent{{ID: "cev_1", Type: EventCallFailed, Timestamp: time.Date(1969, 12, 31, 23, 59, 59, 999999000, time.UTC), Status: CallFailed}}},
	} {
		b := AppendTimeline(nil, tc.timeline)
		if !json.Valid(b) {
			t.Fatalf("%s: %s is not JSON", tc.name, b)
		}
		got, err := ParseTimeline(b, "call_x")
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		var want []CallEvent
		for _, e := range tc.timeline {
			e.CallID, e.Timestamp = "call_x", e.Timestamp.UTC().Truncate(time.Microsecond)
			want = append(want, e)
		}
		if len(want) == 0 {
			want = []CallEvent{}
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%s: %s read back as\n%+v\nwant\n%+v", tc.name, b, got, want)
		}
	}
}

// TestRecordTimeline: each update Record returns carries the whole
// timeline so far, unchanged by later entries, and writes the row only
// once the call has ended.
func TestRecordTimeline(t *testing.T) {
	t.Parallel()
	c := &Call{ID: "call_x", Status: CallInitiated}
	at := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	u1 := c.Record(EventCallInitiated, "", at)
	c.Status = CallRinging
	u2 := c.Record(EventCallRinging, "", at.Add(time.Second))
	c.Status = CallCompleted
	u3 := c.Record(EventCallCompleted, "user_hangup", at.Add(time.Minute))
	for i, tc := range []struct {
		u          CallUpdate
		entries    int
		eventsOnly bool
	}{{u1, 1, true}, {u2, 2, true}, {u3, 3, false}} {
		if len(tc.u.Call.Timeline) != tc.entries || tc.u.EventsOnly != tc.eventsOnly || len(tc.u.Events) != 1 ||
			tc.u.Call.Timeline[tc.entries-1].ID != tc.u.Events[0].ID || tc.u.Events[0].CallID != "call_x" {
			t.Errorf("update %d: %+v, timeline %+v; want %d entries, events-only %v, its entry last", i, tc.u, tc.u.Call.Timeline, tc.entries, tc.eventsOnly)
		}
	}
	if u1.Call.Timeline[0].Status != CallInitiated || u3.Call.Timeline[2].Detail != "user_hangup" || !u2.Call.UpdatedAt.Equal(at.Add(time.Second)) {
		t.Errorf("entries %+v", u3.Call.Timeline)
	}
	if id := CallEventID(u1.Events[0].ID); !ValidID(PrefixEvent, id) {
		t.Errorf("CallEventID(%s) = %s, not an event ID", u1.Events[0].ID, id)
	}
}
