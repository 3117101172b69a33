package switchboard

import (
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/switchboard-voice/switchboard/internal/jsonenc"
)

// A call's timeline lives in its row (the timeline column), written whole
// with each of the row's writes: a separate table took one indexed insert
// per entry, four to six per call, where the row is written anyway. The
// column holds a JSON array, oldest entry first, of
//
//	{"id": "cev_…", "type": "call.ringing", "at": 1733540000123456, "status": "ringing", "detail": "…"}
//
// with "at" in Unix microseconds (the stores' precision): an integer is
// shorter than an RFC 3339 string, is read without parsing a date, and
// each store's migration writes it from its old timestamp column in plain
// SQL. "detail" is left out when empty.

// CallEventID is the ID of the event a timeline entry emits: derived from
// the entry's, so that an update saved twice (a batch retried after an
// error that hid its commit, a journal replay) emits each event once, the
// second insert of its event row doing nothing.
func CallEventID(entryID string) string {
	return PrefixEvent + strings.TrimPrefix(entryID, PrefixCallEvent)
}

// NewCallEntry returns a timeline entry of the call in its current
// status, named now, so that every copy of the call's Timeline and the
// update that carries it agree on its ID.
func NewCallEntry(c *Call, typ string, at time.Time, detail string) *CallEvent {
	return &CallEvent{ID: NewID(PrefixCallEvent), CallID: c.ID, Type: typ, Timestamp: at, Status: c.Status, Detail: detail}
}

// Record adds a timeline entry of type typ to the call, in its current
// status, at at (its new UpdatedAt), and returns the update that records
// it: a snapshot of the call, whose Timeline holds every entry so far, and
// the entry. The writer of a call's updates (the SIP edge) calls it for
// each change, in order, and hands the updates to the recorder.
//
// The update writes the call's row only when the call has ended: every
// other change is events-only (its events are emitted at once, its entry
// waits in the Timeline for the next row write), but for the one update
// the writer makes durable, the answer, which it marks to write the row
// (EventsOnly false). So a call's row is written at most twice, when it is
// answered or fails and when it ends, whatever its number of changes.
func (c *Call) Record(typ, detail string, at time.Time) CallUpdate {
	c.UpdatedAt = at
	ev := NewCallEntry(c, typ, at, detail)
	c.Timeline = append(c.Timeline, *ev)
	snap := *c
	return CallUpdate{Call: &snap, Events: []*CallEvent{ev}, EventsOnly: !CallEnded(c.Status)}
}

// withEntries returns timeline with the entries of events it lacks (by ID)
// appended, sharing nothing with timeline's array when it adds any.
func withEntries(timeline []CallEvent, events []*CallEvent) []CallEvent {
	out := timeline
	for _, ev := range events {
		if slices.ContainsFunc(out, func(e CallEvent) bool { return e.ID == ev.ID }) {
			continue
		}
		if len(out) == len(timeline) {
			out = slices.Clip(out)
		}
		out = append(out, *ev)
	}
	return out
}

// AppendTimeline appends the JSON of a call's timeline, as its row's
// timeline column holds it, to dst.
func AppendTimeline(dst []byte, timeline []CallEvent) []byte {
	dst = append(dst, '[')
	for i := range timeline {
		e := &timeline[i]
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = jsonenc.AppendString(append(dst, `{"id":`...), e.ID)
		dst = jsonenc.AppendString(append(dst, `,"type":`...), e.Type)
		dst = strconv.AppendInt(append(dst, `,"at":`...), e.Timestamp.UnixMicro(), 10)
		dst = jsonenc.AppendString(append(dst, `,"status":`...), e.Status)
		dst = jsonenc.AppendOptional(dst, `,"detail":`, e.Detail)
		dst = append(dst, '}')
	}
	return append(dst, ']')
}

// timelineEntry is one entry as the timeline column holds it.
type timelineEntry struct {
	ID     string `json:"id"`
	Type   string `json:"type"`
	At     int64  `json:"at"`
	Status string `json:"status"`
	Detail string `json:"detail"`
}

// ParseTimeline reads the call's timeline column: its entries, oldest
// first (an entry saved late sits at its time; entries at the same
// instant keep the order they were saved in), their times in UTC. An
// empty column is an empty timeline.
func ParseTimeline(b []byte, callID string) ([]CallEvent, error) {
	if len(b) == 0 {
		return nil, nil
	}
	var entries []timelineEntry
	if err := json.Unmarshal(b, &entries); err != nil {
		return nil, fmt.Errorf("call %s: timeline: %w", callID, err)
	}
	out := make([]CallEvent, len(entries))
	for i, e := range entries {
		out[i] = CallEvent{ID: e.ID, CallID: callID, Type: e.Type, Timestamp: time.UnixMicro(e.At).UTC(),
			Status: e.Status, Detail: e.Detail}
	}
	slices.SortStableFunc(out, func(a, b CallEvent) int { return a.Timestamp.Compare(b.Timestamp) })
	return out, nil
}

// TimelineDest is the scan destination of a call's timeline column, after
// CallColumns: ScanCall(s, d) then d.Set(call).
type TimelineDest struct{ t nullText }

// Scan implements sql.Scanner.
func (d *TimelineDest) Scan(src any) error { return d.t.Scan(src) }

// Set parses the column scanned into c's Timeline.
func (d *TimelineDest) Set(c *Call) error {
	tl, err := ParseTimeline(d.t.b, c.ID)
	if err != nil {
		return err
	}
	c.Timeline = tl
	return nil
}

// Events returns the call's timeline column, scanned into d, as the API
// lists it.
func (d *TimelineDest) Events(callID string) ([]*CallEvent, error) {
	tl, err := ParseTimeline(d.t.b, callID)
	if err != nil {
		return nil, err
	}
	out := make([]*CallEvent, len(tl))
	for i := range tl {
		out[i] = &tl[i]
	}
	return out, nil
}
