package callrec

import (
	"bytes"
	"encoding/json"
	"reflect"
	"testing"
	"time"

	"github.com/switchboard-voice/switchboard"
)

// marshalEntry is what appendEntry must write: json.Marshal of the line
// the replay reads, or json.Marshal's error.
func marshalEntry(upd switchboard.CallUpdate) ([]byte, error) {
	e := journalEntry{Call: upd.Call, Events: make([]journalEvent, len(upd.Events)), EventsOnly: upd.EventsOnly}
	if upd.Call != nil {
		for _, t := range upd.Call.Timeline {
			e.Timeline = append(e.Timeline, timelineEntry{ID: t.ID, Type: t.Type, Timestamp: t.Timestamp, Status: t.Status, Detail: t.Detail})
		}
	}
	for i, ev := range upd.Events {
		e.Events[i] = journalEvent{ID: ev.ID, Type: ev.Type, Timestamp: ev.Timestamp, Status: ev.Status,
			Detail: ev.Detail, SkipEndpoint: ev.SkipEndpoint, Data: ev.Data}
	}
	b, err := json.Marshal(e)
	if err != nil {
		return nil, err
	}
	return append(b, '\n'), nil
}

// fill sets every field of the struct v points to to a value that is not
// the zero value (but an event's Data), so a field appendEntry leaves out
// shows.
func fill(t *testing.T, v any) {
	t.Helper()
	s := reflect.ValueOf(v).Elem()
	when := time.Date(2026, 11, 29, 10, 0, 0, 123456789, time.FixedZone("WAT", 3600))
	for i := range s.NumField() {
		f := s.Field(i)
		switch p := f.Addr().Interface().(type) {
		case *string:
			*p = s.Type().Field(i).Name + ` "<&>" é`
		case **string:
			x := s.Type().Field(i).Name
			*p = &x
		case *int:
			*p = 100 + i
		case *bool:
			*p = true
		case *time.Time:
			*p = when.Add(time.Duration(i) * time.Second)
		case **time.Time:
			x := when.Add(time.Duration(i) * time.Minute)
			*p = &x
		case *json.RawMessage:
			*p = json.RawMessage(` {"k": "<&> é",` + "\n" + ` "n": [1, 2.50, null]} `)
		case **switchboard.CallEventData:
			// CallEvent.Data: the caller fills one and sets it.
		case *[]switchboard.CallEvent:
			// Call.Timeline: one entry with every field it keeps set, one with none.
			*p = []switchboard.CallEvent{{ID: "cev_1 <&>", Type: "call.ringing", Timestamp: when, Status: "ringing", Detail: "é"}, {}}
		default:
			t.Fatalf("%s.%s: fill does not know %s; teach it, and appendEntry the field", s.Type(), s.Type().Field(i).Name, f.Type())
		}
	}
}

func TestAppendEntryMatchesJSON(t *testing.T) {
	t.Parallel()
	var full switchboard.Call
	fill(t, &full)
	var data switchboard.CallEventData
	fill(t, &data)
	var ev switchboard.CallEvent
	fill(t, &ev)
	ev.Data = &data
	at := time.Date(2026, 11, 29, 10, 0, 0, 0, time.UTC)
	bare := &switchboard.Call{ID: "call_x", Status: switchboard.CallInitiated, CreatedAt: at, UpdatedAt: at}
	for _, tc := range []struct {
		name string
		upd  switchboard.CallUpdate
	}{
		{"every field set", switchboard.CallUpdate{Call: &full, Events: []*switchboard.CallEvent{&ev, {ID: "cev_2", Type: "call.failover", Timestamp: at}}, EventsOnly: true}},
		{"zero values and no events", switchboard.CallUpdate{Call: bare}},
		{"data with zero values", switchboard.CallUpdate{Call: bare, Events: []*switchboard.CallEvent{{Data: &switchboard.CallEventData{}}}}},
		{"no call", switchboard.CallUpdate{}},
		{"control characters, U+2028 and bad UTF-8", switchboard.CallUpdate{Call: &switchboard.Call{
			ID: "a\x00\x01\b\f\n\r\t\x1f\x7f\"\\/", FromNumber: "\u2028\u2029\xff\xfe", ToNumber: "\xe2\x82", CreatedAt: at,
		}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			prefix := []byte("kept\n")
			got, err := appendEntry(bytes.Clone(prefix), tc.upd)
			if err != nil {
				t.Fatal(err)
			}
			line, err := marshalEntry(tc.upd)
			if err != nil {
				t.Fatal(err)
			}
			want := append(bytes.Clone(prefix), line...)
			if !bytes.Equal(got, want) {
				t.Errorf("appendEntry wrote\n%s\njson.Marshal writes\n%s", got, want)
			}
		})
	}
}

// TestAppendEntryBadTime: a time JSON cannot hold fails the entry, as
// json.Marshal does, and leaves dst as it was.
func TestAppendEntryBadTime(t *testing.T) {
	t.Parallel()
	for _, at := range []time.Time{
		time.Date(-1, 1, 1, 0, 0, 0, 0, time.UTC),
		time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC),
		time.Date(2026, 1, 1, 0, 0, 0, 0, time.FixedZone("", 25*3600)),
	} {
		upd := switchboard.CallUpdate{Call: &switchboard.Call{ID: "call_x", CreatedAt: at}}
		got, err := appendEntry([]byte("kept"), upd)
		if err == nil || string(got) != "kept" {
			t.Errorf("%v: %q, %v; want the buffer unchanged and an error", at, got, err)
		}
		if _, err := marshalEntry(upd); err == nil {
			t.Errorf("%v: json.Marshal takes it; appendEntry should too", at)
		}
	}
}

// FuzzAppendEntry: for any strings, numbers and times, appendEntry writes
// what json.Marshal writes.
func FuzzAppendEntry(f *testing.F) {
	f.Add("call_x", "+2348031000000", "detail <&>", int64(1796000000123456789), 480, true)
	f.Add("\xff\u2028", "\x00", "\\\"", int64(-62135596800000000), -1, false)
	f.Fuzz(func(t *testing.T, id, num, detail string, nanos int64, status int, skip bool) {
		at := time.Unix(0, nanos).In(time.FixedZone("", status%50400))
		c := &switchboard.Call{ID: id, FromNumber: num, FailureReason: detail, SIPStatus: status, Duration: -status,
			PhoneNumberID: &num, CreatedAt: at, AnsweredAt: &at, UpdatedAt: at.Add(time.Duration(status))}
		d := c.EventData()
		upd := switchboard.CallUpdate{Call: c, Events: []*switchboard.CallEvent{
			{ID: detail, Type: id, Timestamp: at, Status: num, Detail: detail, SkipEndpoint: skip, Data: &d},
		}}
		got, err := appendEntry(nil, upd)
		want, jerr := marshalEntry(upd)
		if (err != nil) != (jerr != nil) {
			t.Fatalf("appendEntry error %v, json.Marshal error %v", err, jerr)
		}
		if err == nil && !bytes.Equal(got, want) {
			t.Fatalf("appendEntry wrote\n%s\njson.Marshal writes\n%s", got, want)
		}
	})
}

// BenchmarkAppendEntry is the journal's cost per update on the SIP path,
// against encoding/json.
func BenchmarkAppendEntry(b *testing.B) {
	steps := callSteps("org_x", time.Now())
	if err := switchboard.PrepareCallUpdates(steps); err != nil {
		b.Fatal(err)
	}
	b.Run("appendEntry", func(b *testing.B) {
		var buf []byte
		for i := 0; b.Loop(); i++ {
			buf, _ = appendEntry(buf[:0], steps[i%len(steps)])
		}
	})
	b.Run("json.Marshal", func(b *testing.B) {
		for i := 0; b.Loop(); i++ {
			if _, err := marshalEntry(steps[i%len(steps)]); err != nil {
				b.Fatal(err)
			}
		}
	})
}
