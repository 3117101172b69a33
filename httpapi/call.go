package httpapi

import (
	"net/http"
	"strings"
	"time"

	"github.com/switchboard-voice/switchboard"
)

// Call records are written by the SIP edge; the API only reads them and,
// through Config.Calls, asks the edge to end a live call.

func (s *Server) handleListCalls(w http.ResponseWriter, r *http.Request) error {
	q := newQuery(r.URL.Query(), "status", "direction", "phone_number_id", "endpoint_id", "from_date", "to_date")
	f := switchboard.CallFilter{
		Status:        q.oneOf("status", switchboard.CallStatuses...),
		Direction:     q.oneOf("direction", switchboard.DirectionInbound, switchboard.DirectionOutbound),
		PhoneNumberID: q.str("phone_number_id"),
		EndpointID:    q.str("endpoint_id"),
		From:          dateParam(q, "from_date", false),
		To:            dateParam(q, "to_date", true),
		Page:          q.page(),
	}
	if !f.From.IsZero() && !f.To.IsZero() && f.To.Before(f.From) {
		q.fail(switchboard.FieldError("to_date", "to_date must not be before from_date"))
	}
	if q.err != nil {
		return q.err
	}
	calls, total, err := s.store.ListCalls(r.Context(), apiKey(r.Context()).OrganizationID, f)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, listBody("calls", calls, total, f.Page))
	return nil
}

// dateParam reads a from_date/to_date bound: an RFC 3339 date-time with a
// zone, or a plain date meaning that UTC day. As an upper bound a plain
// date includes the whole day, so ?from_date=D&to_date=D is the calls of
// day D; the bound is the day's last microsecond because stored times are
// truncated to microseconds (switchboard.SystemClock).
func dateParam(q *query, name string, endOfDay bool) time.Time {
	s := q.str(name)
	if s == "" {
		return time.Time{}
	}
	if d, err := time.Parse(time.DateOnly, s); err == nil {
		if endOfDay {
			return d.AddDate(0, 0, 1).Add(-time.Microsecond)
		}
		return d
	}
	// An offset's "+" arrives as a space when the caller did not escape it
	// (?from_date=2025-01-10T12:00:00+01:00); a space is otherwise never
	// valid in a date-time, so reading it back as "+" guesses nothing.
	if t, err := time.Parse(time.RFC3339Nano, strings.Replace(s, " ", "+", 1)); err == nil {
		return t.UTC()
	}
	q.fail(switchboard.FieldError(name,
		"%s must be a date (2025-01-10) or a date-time with a zone (2025-01-10T12:00:00Z)", name))
	return time.Time{}
}

func (s *Server) handleGetCall(w http.ResponseWriter, r *http.Request) error {
	call, err := s.store.FindCall(r.Context(), apiKey(r.Context()).OrganizationID, r.PathValue("id"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, call)
	return nil
}

// handleListCallEvents answers the call's timeline, oldest first, in the
// list envelope. A timeline is short (a handful of entries per leg), so it
// is read whole and paged here rather than in the store.
func (s *Server) handleListCallEvents(w http.ResponseWriter, r *http.Request) error {
	q := newQuery(r.URL.Query())
	p := q.page()
	if q.err != nil {
		return q.err
	}
	evs, err := s.store.ListCallEvents(r.Context(), apiKey(r.Context()).OrganizationID, r.PathValue("id"))
	if err != nil {
		return err
	}
	total := len(evs)
	window := evs[min(p.Offset, total):min(p.Offset+p.Limit, total)]
	writeJSON(w, http.StatusOK, listBody("events", window, total, p))
	return nil
}

// callHangingUp is the answer to a hangup the SIP edge accepted. The edge
// ends the legs and then writes the record, so the record may still show
// the call live for a moment: the final state is GET /v1/calls/{id} (or
// the call.completed event), with hangup_by "api".
type callHangingUp struct {
	ID     string `json:"id"`
	Status string `json:"status"`
}

// handleHangupCall asks the SIP edge to end a live call and answers 202
// (switchboard.HangUp).
func (s *Server) handleHangupCall(w http.ResponseWriter, r *http.Request) error {
	if err := s.noBody(r); err != nil {
		return err
	}
	orgID, id := apiKey(r.Context()).OrganizationID, r.PathValue("id")
	if err := switchboard.HangUp(r.Context(), s.store, s.calls, s.node, orgID, id); err != nil {
		return err
	}
	writeJSON(w, http.StatusAccepted, callHangingUp{ID: id, Status: "hanging_up"})
	return nil
}

// handleCallStats answers the organisation's call statistics
// (switchboard.CallStats): the filter's dates as the list reads them, the
// rest of the rules (group_by, direction, the ranges) in the domain.
func (s *Server) handleCallStats(w http.ResponseWriter, r *http.Request) error {
	q := newQuery(r.URL.Query(), "direction", "phone_number_id", "endpoint_id", "from_date", "to_date", "group_by")
	f := switchboard.CallStatsFilter{
		Direction:     q.str("direction"),
		PhoneNumberID: q.str("phone_number_id"),
		EndpointID:    q.str("endpoint_id"),
		From:          dateParam(q, "from_date", false),
		To:            dateParam(q, "to_date", true),
		GroupBy:       q.str("group_by"),
	}
	if q.err != nil {
		return q.err
	}
	st, err := s.store.CallStats(r.Context(), apiKey(r.Context()).OrganizationID, f)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, st)
	return nil
}
