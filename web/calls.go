package web

import (
	"net/http"
	"strings"
	"time"

	"github.com/switchboard-voice/switchboard"
)

// callsView is the call log and its filters, as the query string gives
// them (so a filtered log is a bookmark).
type callsView struct {
	Calls                                   []*switchboard.Call
	Pager                                   pager
	Status, Direction, NumberID, EndpointID string
	FromDate, ToDate                        string
	Statuses                                []string
	Numbers                                 []*switchboard.PhoneNumber
	choices
}

func (h *Handler) handleCalls(w http.ResponseWriter, r *http.Request, c *session) error {
	q := r.URL.Query()
	page, n := pageOf(q)
	f := switchboard.CallFilter{
		Status:        oneOf(q.Get("status"), switchboard.CallStatuses...),
		Direction:     oneOf(q.Get("direction"), switchboard.DirectionInbound, switchboard.DirectionOutbound),
		PhoneNumberID: strings.TrimSpace(q.Get("phone_number_id")),
		EndpointID:    strings.TrimSpace(q.Get("endpoint_id")),
		Page:          page,
	}
	v := callsView{Status: f.Status, Direction: f.Direction, NumberID: f.PhoneNumberID, EndpointID: f.EndpointID,
		Statuses: switchboard.CallStatuses}
	if d, err := time.Parse(time.DateOnly, q.Get("from")); err == nil {
		f.From, v.FromDate = d, q.Get("from")
	}
	if d, err := time.Parse(time.DateOnly, q.Get("to")); err == nil {
		// The whole day: stored times are truncated to microseconds.
		f.To, v.ToDate = d.AddDate(0, 0, 1).Add(-time.Microsecond), q.Get("to")
	}
	calls, total, err := h.store.ListCalls(r.Context(), c.key.OrganizationID, f)
	if err != nil {
		return err
	}
	v.Calls, v.Pager = calls, newPager(r, n, len(calls), total)
	if v.choices, err = h.loadChoices(r.Context(), c, false); err != nil {
		return err
	}
	if c.can(switchboard.ScopeNumbersRead) {
		if v.Numbers, _, err = h.store.ListPhoneNumbers(r.Context(), c.key.OrganizationID,
			switchboard.PhoneNumberFilter{Page: switchboard.Page{Limit: switchboard.MaxLimit}}); err != nil {
			return err
		}
	}
	h.render(w, r, c, http.StatusOK, "calls", "Call log", v)
	return nil
}

// liveView is the live calls: the page, and the table htmx refreshes.
type liveView struct {
	Calls []*switchboard.Call
	Pager pager
	Now   time.Time
}

// liveCalls reads one page of the calls not yet ended.
func (h *Handler) liveCalls(r *http.Request, c *session) (liveView, error) {
	page, n := pageOf(r.URL.Query())
	calls, total, err := h.store.ListCalls(r.Context(), c.key.OrganizationID, switchboard.CallFilter{Live: true, Page: page})
	if err != nil {
		return liveView{}, err
	}
	return liveView{Calls: calls, Pager: newPagerAt(r, "/ui/calls/live", n, len(calls), total), Now: h.cfg.Clock()}, nil
}

func (h *Handler) handleLive(w http.ResponseWriter, r *http.Request, c *session) error {
	v, err := h.liveCalls(r, c)
	if err != nil {
		return err
	}
	h.render(w, r, c, http.StatusOK, "live", "Live calls", v)
	return nil
}

// handleLiveRows answers htmx's poll (every 2 s) with the table alone.
func (h *Handler) handleLiveRows(w http.ResponseWriter, r *http.Request, c *session) error {
	v, err := h.liveCalls(r, c)
	if err != nil {
		return err
	}
	h.renderTemplate(w, r, c, http.StatusOK, "live", "livetable", "Live calls", v)
	return nil
}

// callView is one call: its record, timeline and names.
type callView struct {
	Call     *switchboard.Call
	Timeline []*switchboard.CallEvent
	Failover bool
	// Deliveries are the webhook deliveries of the call's events.
	Deliveries      []*switchboard.Delivery
	DeliveriesTotal int
	choices
}

func (h *Handler) handleCall(w http.ResponseWriter, r *http.Request, c *session) error {
	org, id := c.key.OrganizationID, r.PathValue("id")
	call, err := h.store.FindCall(r.Context(), org, id)
	if err != nil {
		return err
	}
	evs, err := h.store.ListCallEvents(r.Context(), org, id)
	if err != nil {
		return err
	}
	v := callView{Call: call, Timeline: evs}
	for _, ev := range evs {
		if ev.Type == "call.failover" { // the SIP edge's entry when it rings the fallback
			v.Failover = true
		}
	}
	if call.EndpointID != nil && c.can(switchboard.ScopeEndpointsRead) {
		if ep := h.findEndpoint(r.Context(), c, *call.EndpointID); ep != nil {
			v.Endpoints = []*switchboard.Endpoint{ep} // for its name
		}
	}
	if c.can(switchboard.ScopeWebhooksRead) {
		if v.Deliveries, v.DeliveriesTotal, err = h.store.ListDeliveries(r.Context(), org,
			switchboard.DeliveryFilter{CallID: call.ID, Page: switchboard.Page{Limit: pageSize}}); err != nil {
			return err
		}
	}
	h.render(w, r, c, http.StatusOK, "call", "Call "+call.ID, v)
	return nil
}

func (h *Handler) handleConfirmHangup(w http.ResponseWriter, r *http.Request, c *session) error {
	call, err := h.store.FindCall(r.Context(), c.key.OrganizationID, r.PathValue("id"))
	if err != nil {
		return err
	}
	return h.confirm(w, r, c, confirmView{
		Heading: "Hang up the call from " + call.Caller() + " to " + call.ToNumber + "?",
		Message: "Both legs end at once: the caller and the agent hear the line drop.",
		Action:  "/ui/calls/" + call.ID + "/hangup", Button: "Hang up", Back: "/ui/calls/live",
	})
}

func (h *Handler) handleHangup(w http.ResponseWriter, r *http.Request, c *session) error {
	id := r.PathValue("id")
	if err := switchboard.HangUp(r.Context(), h.store, h.cfg.Calls, h.cfg.Node, c.key.OrganizationID, id); err != nil {
		return err
	}
	redirect(w, r, "/ui/calls/live", "hangup")
	return nil
}
