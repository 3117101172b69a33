package web

import (
	"context"
	"net/http"
	"strings"

	"github.com/switchboard-voice/switchboard"
)

// choices are the endpoints and trunks a number form offers, read once per
// page (one list each), also used to show names instead of IDs.
type choices struct {
	Endpoints []*switchboard.Endpoint
	Trunks    []*switchboard.Trunk
}

// EndpointName is the name of the endpoint with this ID, or the ID.
func (c choices) EndpointName(id *string) string {
	if id == nil {
		return ""
	}
	for _, e := range c.Endpoints {
		if e.ID == *id {
			return e.Name
		}
	}
	return *id
}

// TrunkName is the name of the trunk with this ID, or the ID.
func (c choices) TrunkName(id *string) string {
	if id == nil {
		return ""
	}
	for _, t := range c.Trunks {
		if t.ID == *id {
			return t.Name
		}
	}
	return *id
}

// loadChoices reads the first page of the endpoints, and of the trunks
// when the page shows them, that the key may read: one list each (its
// page and its count, as every list reads them).
func (h *Handler) loadChoices(ctx context.Context, c *session, trunks bool) (choices, error) {
	var ch choices
	all := switchboard.Page{Limit: switchboard.MaxLimit}
	var err error
	if c.can(switchboard.ScopeEndpointsRead) {
		if ch.Endpoints, _, err = h.store.ListEndpoints(ctx, c.key.OrganizationID, switchboard.EndpointFilter{Page: all}); err != nil {
			return ch, err
		}
	}
	if trunks && c.can(switchboard.ScopeTrunksRead) {
		if ch.Trunks, _, err = h.store.ListTrunks(ctx, c.key.OrganizationID, switchboard.TrunkFilter{Page: all}); err != nil {
			return ch, err
		}
	}
	return ch, nil
}

// numbersView is the organisation's numbers.
type numbersView struct {
	Numbers            []*switchboard.PhoneNumber
	Pager              pager
	Status, EndpointID string
	choices
}

func (h *Handler) handleNumbers(w http.ResponseWriter, r *http.Request, c *session) error {
	q := r.URL.Query()
	page, n := pageOf(q)
	f := switchboard.PhoneNumberFilter{Status: oneOf(q.Get("status"), switchboard.StatusActive, switchboard.StatusInactive),
		EndpointID: strings.TrimSpace(q.Get("endpoint_id")), Page: page}
	nums, total, err := h.store.ListPhoneNumbers(r.Context(), c.key.OrganizationID, f)
	if err != nil {
		return err
	}
	ch, err := h.loadChoices(r.Context(), c, true)
	if err != nil {
		return err
	}
	h.render(w, r, c, http.StatusOK, "numbers", "Numbers", numbersView{Numbers: nums, Pager: newPager(r, n, len(nums), total),
		Status: f.Status, EndpointID: f.EndpointID, choices: ch})
	return nil
}

// availableView is the free inventory.
type availableView struct {
	Numbers       []*switchboard.InventoryNumber
	Pager         pager
	Country, Type string
}

func (h *Handler) handleAvailable(w http.ResponseWriter, r *http.Request, c *session) error {
	q := r.URL.Query()
	page, n := pageOf(q)
	f := switchboard.AvailableFilter{Type: oneOf(q.Get("type"), switchboard.NumberLocal, switchboard.NumberMobile, switchboard.NumberTollFree), Page: page}
	if cc := strings.ToUpper(strings.TrimSpace(q.Get("country"))); switchboard.ValidCountry(cc) {
		f.Country = cc
	}
	nums, total, err := h.store.ListAvailable(r.Context(), f)
	if err != nil {
		return err
	}
	h.render(w, r, c, http.StatusOK, "available", "Claim a number", availableView{Numbers: nums, Pager: newPager(r, n, len(nums), total),
		Country: f.Country, Type: f.Type})
	return nil
}

// handleClaim claims an inventory number for the organisation. Its SIP
// credentials' password, when the node issues them, is shown once.
func (h *Handler) handleClaim(w http.ResponseWriter, r *http.Request, c *session) error {
	req := switchboard.ClaimRequest{InventoryID: strings.TrimSpace(r.PostForm.Get("inventory_id")),
		AllowInbound: true, AllowOutbound: true, SIPDomain: h.cfg.SIPDomain}
	pn, err := h.store.ClaimNumber(r.Context(), c.key.OrganizationID, req)
	if err != nil {
		return err
	}
	if pn.SIPCredentials != nil && pn.SIPCredentials.Password != "" {
		return h.showSIPPassword(w, r, c, pn, "Number "+pn.Number+" claimed", "Attach an endpoint")
	}
	redirect(w, r, "/ui/numbers/"+pn.ID, "claimed")
	return nil
}

// showSIPPassword shows the number's new SIP password, once.
func (h *Handler) showSIPPassword(w http.ResponseWriter, r *http.Request, c *session, pn *switchboard.PhoneNumber, heading, next string) error {
	return h.showSecret(w, r, c, secretView{
		Heading: heading,
		What: "Agent providers place calls from this number with these SIP credentials (domain " + h.cfg.SIPDomain +
			"). The password is shown only this once: copy it now.",
		Extra:  []secretLine{{"Username", pn.SIPCredentials.Username}},
		Secret: pn.SIPCredentials.Password, Next: "/ui/numbers/" + pn.ID, NextLabel: next,
	})
}

// handleRotateSIP gives the number a new SIP password (the old one stops
// working at once) and shows it once.
func (h *Handler) handleRotateSIP(w http.ResponseWriter, r *http.Request, c *session) error {
	pn, err := h.store.RotateSIPCredentials(r.Context(), c.key.OrganizationID, r.PathValue("id"), h.cfg.SIPDomain)
	if err != nil {
		return err
	}
	return h.showSIPPassword(w, r, c, pn, "New SIP password for "+pn.Number, "Back to the number")
}

// numberView is one number: its routing form and the route it explains.
type numberView struct {
	Number    *switchboard.PhoneNumber
	Route     *switchboard.Decision
	Error     string
	SIPDomain string // "": the node issues no SIP credentials
	choices
}

func (h *Handler) handleNumber(w http.ResponseWriter, r *http.Request, c *session) error {
	pn, err := h.store.FindPhoneNumber(r.Context(), c.key.OrganizationID, r.PathValue("id"))
	if err != nil {
		return err
	}
	return h.showNumber(w, r, c, pn, "", http.StatusOK)
}

// showNumber renders the number page. The route is explained with the
// same pure function the SIP edge routes with (switchboard.Route), over
// the endpoints already read for the form.
func (h *Handler) showNumber(w http.ResponseWriter, r *http.Request, c *session, pn *switchboard.PhoneNumber, formErr string, status int) error {
	ch, err := h.loadChoices(r.Context(), c, true)
	if err != nil {
		return err
	}
	v := numberView{Number: pn, Error: formErr, SIPDomain: h.cfg.SIPDomain, choices: ch}
	if c.can(switchboard.ScopeEndpointsRead) {
		in := switchboard.RouteInput{Number: pn}
		for _, e := range ch.Endpoints {
			if pn.EndpointID != nil && e.ID == *pn.EndpointID {
				in.Endpoint = e
			}
			if pn.FallbackEndpointID != nil && e.ID == *pn.FallbackEndpointID {
				in.Fallback = e
			}
		}
		if in.Endpoint == nil && pn.EndpointID != nil {
			in.Endpoint = h.findEndpoint(r.Context(), c, *pn.EndpointID) // beyond the first page
		}
		if in.Fallback == nil && pn.FallbackEndpointID != nil {
			in.Fallback = h.findEndpoint(r.Context(), c, *pn.FallbackEndpointID)
		}
		d := switchboard.Route(in)
		v.Route = &d
	}
	h.render(w, r, c, status, "number", pn.Number, v)
	return nil
}

// findEndpoint is the endpoint with this ID, or nil.
func (h *Handler) findEndpoint(ctx context.Context, c *session, id string) *switchboard.Endpoint {
	e, err := h.store.FindEndpoint(ctx, c.key.OrganizationID, id)
	if err != nil {
		return nil
	}
	return e
}

// handleUpdateNumber attaches (or detaches) the number's endpoint,
// fallback and trunk, and sets its directions.
func (h *Handler) handleUpdateNumber(w http.ResponseWriter, r *http.Request, c *session) error {
	pf := r.PostForm
	ref := func(name string) switchboard.Optional[string] {
		v := strings.TrimSpace(pf.Get(name))
		return switchboard.Optional[string]{Set: true, Null: v == "", Value: v}
	}
	p := switchboard.PhoneNumberPatch{
		AllowInbound: set(pf.Get("allow_inbound") != ""), AllowOutbound: set(pf.Get("allow_outbound") != ""),
	}
	// The form offers endpoints and trunks only to a key that may read
	// them: without the scope, what the number has is kept.
	if c.can(switchboard.ScopeEndpointsRead) {
		p.EndpointID, p.FallbackEndpointID = ref("endpoint_id"), ref("fallback_endpoint_id")
	}
	if c.can(switchboard.ScopeTrunksRead) {
		p.TrunkID = ref("trunk_id")
	}
	org, id := c.key.OrganizationID, r.PathValue("id")
	pn, err := h.store.UpdatePhoneNumber(r.Context(), org, id, p)
	if code := switchboard.ErrorCode(err); code == switchboard.ECodeValidation || code == switchboard.ECodeEndpointNotFound || code == switchboard.ECodeTrunkNotFound {
		cur, ferr := h.store.FindPhoneNumber(r.Context(), org, id)
		if ferr != nil {
			return ferr
		}
		return h.showNumber(w, r, c, cur, switchboard.ErrorMessage(err), http.StatusUnprocessableEntity)
	}
	if err != nil {
		return err
	}
	redirect(w, r, "/ui/numbers/"+pn.ID, "updated")
	return nil
}

func (h *Handler) handleConfirmRelease(w http.ResponseWriter, r *http.Request, c *session) error {
	pn, err := h.store.FindPhoneNumber(r.Context(), c.key.OrganizationID, r.PathValue("id"))
	if err != nil {
		return err
	}
	return h.confirm(w, r, c, confirmView{
		Heading: "Release " + pn.Number + "?",
		Message: "The number goes back to the inventory: its calls are refused and another organisation may claim it.",
		Action:  "/ui/numbers/" + pn.ID + "/release", Button: "Release number", Back: "/ui/numbers/" + pn.ID,
	})
}

func (h *Handler) handleRelease(w http.ResponseWriter, r *http.Request, c *session) error {
	if _, err := h.store.ReleaseNumber(r.Context(), c.key.OrganizationID, r.PathValue("id")); err != nil {
		return err
	}
	redirect(w, r, "/ui/numbers", "released")
	return nil
}
