package web

import (
	"net/http"
	"time"

	"github.com/switchboard-voice/switchboard"
)

// overviewView is the overview: each part only when the key may read it.
type overviewView struct {
	Calls        bool
	CallsToday   []statusCount
	TodayTotal   int
	Live         int
	Webhooks     bool
	Failing      []*switchboard.Delivery
	FailingTotal int
	QueueDepth   int
	SIPListeners []string
	Node         string
	Version      string
}

// statusCount is one status's number of calls.
type statusCount struct {
	Status string
	Count  int
}

// handleOverview shows today's calls by status, the live calls, the
// failing deliveries, the delivery queue and this node's SIP listeners.
func (h *Handler) handleOverview(w http.ResponseWriter, r *http.Request, c *session) error {
	ctx, org := r.Context(), c.key.OrganizationID
	v := overviewView{SIPListeners: h.cfg.SIPListeners, Node: h.cfg.Node, Version: switchboard.Version}
	if c.can(switchboard.ScopeCallsRead) {
		v.Calls = true
		now := h.cfg.Clock().UTC()
		today := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, time.UTC)
		stats, err := h.store.CallStats(ctx, org, switchboard.CallStatsFilter{From: today})
		if err != nil {
			return err
		}
		for _, st := range switchboard.CallStatuses {
			if n := stats.ByStatus[st]; n > 0 {
				v.CallsToday = append(v.CallsToday, statusCount{st, n})
				v.TodayTotal += n
			}
		}
		if _, v.Live, err = h.store.ListCalls(ctx, org, switchboard.CallFilter{Live: true, Page: switchboard.Page{Limit: 1}}); err != nil {
			return err
		}
	}
	if c.can(switchboard.ScopeWebhooksRead) {
		v.Webhooks = true
		var err error
		v.Failing, v.FailingTotal, err = h.store.ListDeliveries(ctx, org, switchboard.DeliveryFilter{
			Status: switchboard.DeliveryFailed, Page: switchboard.Page{Limit: 5}})
		if err != nil {
			return err
		}
		if v.QueueDepth, err = h.store.CountPendingDeliveries(ctx); err != nil {
			return err
		}
	}
	h.render(w, r, c, http.StatusOK, "overview", "Overview", v)
	return nil
}
