package callrec

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/switchboard-voice/switchboard"
	"github.com/switchboard-voice/switchboard/internal/jsonenc"
)

// The journal encodes every call update on the SIP path, where
// encoding/json's reflection and intermediate buffer per update were a
// measurable share of the CPU and allocations per call (BenchmarkAppendEntry
// compares the two). appendEntry writes the same bytes as json.Marshal of a
// journalEntry straight into the journal's buffer, with the string and
// time encoders of internal/jsonenc; the replay still reads lines with
// encoding/json. TestAppendEntryMatchesJSON and FuzzAppendEntry hold the
// two to byte equality, and fail when a field is added to the structs
// without being added here.

// errJournalTime is appendEntry's error for a time JSON cannot hold (a
// year outside 0-9999, a zone offset of a day or more), as
// time.Time.MarshalJSON refuses it.
var errJournalTime = errors.New("call journal: a time JSON cannot hold")

// appendEntry appends upd as one journal line (JSON and a newline) to dst.
func appendEntry(dst []byte, upd switchboard.CallUpdate) ([]byte, error) {
	w := jsonWriter{b: dst}
	w.b = append(w.b, `{"call":`...)
	if c := upd.Call; c == nil {
		w.b = append(w.b, "null"...)
	} else {
		w.str(`{"id":`, c.ID)
		w.str(`,"organization_id":`, c.OrganizationID)
		w.str(`,"direction":`, c.Direction)
		w.str(`,"from_number":`, c.FromNumber)
		w.strOmit(`,"from_raw":`, c.FromRaw)
		w.str(`,"to_number":`, c.ToNumber)
		w.optStr(`,"phone_number_id":`, c.PhoneNumberID)
		w.optStr(`,"endpoint_id":`, c.EndpointID)
		w.str(`,"status":`, c.Status)
		w.strOmit(`,"hangup_cause":`, c.HangupCause)
		w.strOmit(`,"hangup_by":`, c.HangupBy)
		w.strOmit(`,"failure_reason":`, c.FailureReason)
		w.intOmit(`,"sip_status":`, c.SIPStatus)
		w.int(`,"duration":`, c.Duration)
		w.str(`,"sip_call_id":`, c.SIPCallID)
		w.strOmit(`,"node":`, c.Node)
		w.rawOmit(`,"metadata":`, c.Metadata)
		w.bool(`,"test":`, c.Test)
		w.time(`,"created_at":`, c.CreatedAt)
		w.optTime(`,"answered_at":`, c.AnsweredAt)
		w.optTime(`,"completed_at":`, c.CompletedAt)
		w.time(`,"updated_at":`, c.UpdatedAt)
		w.b = append(w.b, '}')
	}
	if len(upd.Events) > 0 {
		w.b = append(w.b, `,"events":[`...)
		for i, ev := range upd.Events {
			if i > 0 {
				w.b = append(w.b, ',')
			}
			w.str(`{"id":`, ev.ID)
			w.str(`,"type":`, ev.Type)
			w.time(`,"timestamp":`, ev.Timestamp)
			w.str(`,"status":`, ev.Status)
			w.strOmit(`,"detail":`, ev.Detail)
			if ev.SkipEndpoint {
				w.b = append(w.b, `,"skip_endpoint":true`...)
			}
			if d := ev.Data; d != nil {
				w.str(`,"data":{"call_id":`, d.CallID)
				w.str(`,"direction":`, d.Direction)
				w.str(`,"from_number":`, d.FromNumber)
				w.strOmit(`,"from_raw":`, d.FromRaw)
				w.str(`,"to_number":`, d.ToNumber)
				w.optStr(`,"phone_number_id":`, d.PhoneNumberID)
				w.optStr(`,"endpoint_id":`, d.EndpointID)
				w.str(`,"status":`, d.Status)
				w.strOmit(`,"hangup_cause":`, d.HangupCause)
				w.strOmit(`,"hangup_by":`, d.HangupBy)
				w.strOmit(`,"failure_reason":`, d.FailureReason)
				w.intOmit(`,"sip_status":`, d.SIPStatus)
				w.int(`,"duration":`, d.Duration)
				w.time(`,"created_at":`, d.CreatedAt)
				if d.AnsweredAt != nil {
					w.time(`,"answered_at":`, *d.AnsweredAt)
				}
				if d.CompletedAt != nil {
					w.time(`,"completed_at":`, *d.CompletedAt)
				}
				w.rawOmit(`,"metadata":`, d.Metadata)
				if d.Test {
					w.b = append(w.b, `,"test":true`...)
				}
				w.b = append(w.b, '}')
			}
			w.b = append(w.b, '}')
		}
		w.b = append(w.b, ']')
	}
	if upd.EventsOnly {
		w.b = append(w.b, `,"events_only":true`...)
	}
	if c := upd.Call; c != nil && len(c.Timeline) > 0 {
		w.b = append(w.b, `,"timeline":[`...)
		for i := range c.Timeline {
			e := &c.Timeline[i]
			if i > 0 {
				w.b = append(w.b, ',')
			}
			w.str(`{"id":`, e.ID)
			w.str(`,"type":`, e.Type)
			w.time(`,"timestamp":`, e.Timestamp)
			w.str(`,"status":`, e.Status)
			w.strOmit(`,"detail":`, e.Detail)
			w.b = append(w.b, '}')
		}
		w.b = append(w.b, ']')
	}
	w.b = append(w.b, "}\n"...)
	if w.err != nil {
		return dst, w.err
	}
	return w.b, nil
}

// jsonWriter appends JSON members; the first error sticks.
type jsonWriter struct {
	b   []byte
	err error
}

func (w *jsonWriter) str(key, s string) {
	w.b = jsonenc.AppendString(append(w.b, key...), s)
}

func (w *jsonWriter) strOmit(key, s string) {
	w.b = jsonenc.AppendOptional(w.b, key, s)
}

func (w *jsonWriter) optStr(key string, s *string) {
	if s == nil {
		w.b = append(append(w.b, key...), "null"...)
		return
	}
	w.str(key, *s)
}

// rawOmit writes a JSON value as json.Marshal writes a json.RawMessage:
// compacted, with <, > and & escaped; nothing when it is empty. Only calls
// placed through the API have one, so encoding/json's cost here is paid
// off the hot path.
func (w *jsonWriter) rawOmit(key string, m json.RawMessage) {
	if len(m) == 0 {
		return
	}
	var compact bytes.Buffer
	if err := json.Compact(&compact, m); err != nil {
		if w.err == nil {
			w.err = fmt.Errorf("call journal: metadata: %w", err)
		}
		return
	}
	out := bytes.NewBuffer(append(w.b, key...))
	json.HTMLEscape(out, compact.Bytes())
	w.b = out.Bytes()
}

func (w *jsonWriter) bool(key string, v bool) {
	w.b = strconv.AppendBool(append(w.b, key...), v)
}

func (w *jsonWriter) int(key string, n int) {
	w.b = strconv.AppendInt(append(w.b, key...), int64(n), 10)
}

func (w *jsonWriter) intOmit(key string, n int) {
	if n != 0 {
		w.int(key, n)
	}
}

func (w *jsonWriter) time(key string, t time.Time) {
	b, ok := jsonenc.AppendTime(append(w.b, key...), t)
	if !ok {
		w.err = errJournalTime
		return
	}
	w.b = b
}

func (w *jsonWriter) optTime(key string, t *time.Time) {
	if t == nil {
		w.b = append(append(w.b, key...), "null"...)
		return
	}
	w.time(key, *t)
}
