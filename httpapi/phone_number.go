package httpapi

import (
	"net/http"
	"time"

	"github.com/switchboard-voice/switchboard"
)

func (s *Server) handleListPhoneNumbers(w http.ResponseWriter, r *http.Request) error {
	// KrosAI's OpenAPI generation lists the inventory as ?action=available.
	if r.URL.Query().Get("action") == "available" {
		return s.handleListAvailable(w, r)
	}
	q := newQuery(r.URL.Query(), "action", "status", "country", "endpoint_id")
	q.oneOf("action", "assigned")
	f := switchboard.PhoneNumberFilter{
		Status:     q.oneOf("status", switchboard.StatusActive, switchboard.StatusInactive, "pending"),
		Country:    countryParam(q),
		EndpointID: q.str("endpoint_id"),
		Page:       q.page(),
	}
	if q.err != nil {
		return q.err
	}
	nums, total, err := s.store.ListPhoneNumbers(r.Context(), apiKey(r.Context()).OrganizationID, f)
	if err != nil {
		return err
	}
	out := make([]*switchboard.PhoneNumber, len(nums))
	for i, pn := range nums {
		out[i] = s.withSIPAddress(pn)
	}
	writeJSON(w, http.StatusOK, listBody("phone_numbers", out, total, f.Page))
	return nil
}

// availableNumber is an inventory entry as the API shows it: the inventory
// ID under both names, the number under both KrosAI spellings.
type availableNumber struct {
	ID          string    `json:"id"`
	InventoryID string    `json:"inventory_id"`
	Number      string    `json:"number"`
	E164        string    `json:"e164"`
	Country     string    `json:"country"`
	Type        string    `json:"type"`
	CreatedAt   time.Time `json:"created_at"`
}

func (s *Server) handleListAvailable(w http.ResponseWriter, r *http.Request) error {
	q := newQuery(r.URL.Query(), "action", "country", "type")
	q.oneOf("action", "available")
	f := switchboard.AvailableFilter{
		Country: countryParam(q),
		Type:    q.oneOf("type", switchboard.NumberLocal, switchboard.NumberMobile, switchboard.NumberTollFree),
		Page:    q.page(),
	}
	if q.err != nil {
		return q.err
	}
	inv, total, err := s.store.ListAvailable(r.Context(), f)
	if err != nil {
		return err
	}
	out := make([]availableNumber, len(inv))
	for i, n := range inv {
		out[i] = availableNumber{ID: n.ID, InventoryID: n.ID, Number: n.Number, E164: n.Number, Country: n.Country, Type: n.Type, CreatedAt: n.CreatedAt}
	}
	writeJSON(w, http.StatusOK, listBody("phone_numbers", out, total, f.Page))
	return nil
}

func countryParam(q *query) string {
	c := q.str("country")
	if c != "" && !switchboard.ValidCountry(c) {
		q.fail(switchboard.FieldError("country", "country must be an ISO 3166 alpha-2 code such as NG"))
	}
	return c
}

// claimBody is POST /phone-numbers. KrosAI clients send snake_case or
// camelCase; the billing fields of its dashboard flow are accepted and
// ignored, since a self-hosted bridge bills nothing.
type claimBody struct {
	InventoryID      string                       `json:"inventory_id"`
	InventoryIDCamel string                       `json:"inventoryId"`
	Number           string                       `json:"number"`
	E164             string                       `json:"e164"`
	Country          string                       `json:"country"`
	Type             string                       `json:"type"`
	EndpointID       switchboard.Optional[string] `json:"endpoint_id"`
	EndpointIDCamel  switchboard.Optional[string] `json:"endpointId"`
	AllowIn          switchboard.Optional[bool]   `json:"allow_inbound"`
	AllowInCamel     switchboard.Optional[bool]   `json:"allowInbound"`
	AllowOut         switchboard.Optional[bool]   `json:"allow_outbound"`
	AllowOutCamel    switchboard.Optional[bool]   `json:"allowOutbound"`
	TotalCost        *int64                       `json:"totalCostCents"`
	SetupCost        *int64                       `json:"setupCostCents"`
	MonthlyCost      *int64                       `json:"monthlyCostCents"`
	TotalCostSnake   *int64                       `json:"total_cost_cents"`
	SetupCostSnake   *int64                       `json:"setup_cost_cents"`
	MonthlyCostSnake *int64                       `json:"monthly_cost_cents"`
}

func (s *Server) handleClaimNumber(w http.ResponseWriter, r *http.Request) error {
	var b claimBody
	if err := s.decode(r, &b); err != nil {
		return err
	}
	req, err := b.request()
	if err != nil {
		return err
	}
	req.SIPDomain = s.sipDomain
	pn, err := s.store.ClaimNumber(r.Context(), apiKey(r.Context()).OrganizationID, req)
	if err != nil {
		return err
	}
	s.writeWithPassword(w, http.StatusCreated, pn)
	return nil
}

func (b *claimBody) request() (switchboard.ClaimRequest, error) {
	var req switchboard.ClaimRequest
	inv, err := sameString("inventory_id", b.InventoryID, b.InventoryIDCamel)
	if err != nil {
		return req, err
	}
	num, err := sameString("number", b.Number, b.E164)
	if err != nil {
		return req, err
	}
	switch {
	case inv == "" && num == "":
		return req, switchboard.FieldError("inventory_id", "send inventory_id or number")
	case inv != "" && num != "":
		return req, switchboard.FieldError("number", "send inventory_id or number, not both")
	case num != "":
		if num, err = switchboard.NormalizeE164(num, ""); err != nil {
			return req, switchboard.FieldError("number", "%s", switchboard.ErrorMessage(err))
		}
	}
	if b.Country != "" && !switchboard.ValidCountry(b.Country) {
		return req, switchboard.FieldError("country", "country must be an ISO 3166 alpha-2 code")
	}
	if b.Type != "" && !switchboard.ValidNumberType(b.Type) {
		return req, switchboard.FieldError("type", "type must be local, mobile or toll_free")
	}
	ep, err := pick("endpoint_id", b.EndpointID, b.EndpointIDCamel)
	if err != nil {
		return req, err
	}
	in, err := pick("allow_inbound", b.AllowIn, b.AllowInCamel)
	if err != nil {
		return req, err
	}
	out, err := pick("allow_outbound", b.AllowOut, b.AllowOutCamel)
	if err != nil {
		return req, err
	}
	req = switchboard.ClaimRequest{InventoryID: inv, Number: num, AllowInbound: true, AllowOutbound: true}
	if ep.Set && !ep.Null {
		req.EndpointID = &ep.Value
	}
	if in.Set && !in.Null {
		req.AllowInbound = in.Value
	}
	if out.Set && !out.Null {
		req.AllowOutbound = out.Value
	}
	return req, nil
}

func (s *Server) handleGetPhoneNumber(w http.ResponseWriter, r *http.Request) error {
	pn, err := s.store.FindPhoneNumber(r.Context(), apiKey(r.Context()).OrganizationID, r.PathValue("id"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, s.withSIPAddress(pn))
	return nil
}

// patchNumberBody is PATCH /phone-numbers/{id} in both spellings.
type patchNumberBody struct {
	EndpointID         switchboard.Optional[string] `json:"endpoint_id"`
	EndpointIDCamel    switchboard.Optional[string] `json:"endpointId"`
	FallbackID         switchboard.Optional[string] `json:"fallback_endpoint_id"`
	FallbackIDCamel    switchboard.Optional[string] `json:"fallbackEndpointId"`
	AllowInbound       switchboard.Optional[bool]   `json:"allow_inbound"`
	AllowInboundCamel  switchboard.Optional[bool]   `json:"allowInbound"`
	AllowOutbound      switchboard.Optional[bool]   `json:"allow_outbound"`
	AllowOutboundCamel switchboard.Optional[bool]   `json:"allowOutbound"`
	TrunkID            switchboard.Optional[string] `json:"trunk_id"`
	TrunkIDCamel       switchboard.Optional[string] `json:"trunkId"`
}

func (b *patchNumberBody) patch() (switchboard.PhoneNumberPatch, error) {
	var p switchboard.PhoneNumberPatch
	var err error
	if p.EndpointID, err = pick("endpoint_id", b.EndpointID, b.EndpointIDCamel); err != nil {
		return p, err
	}
	if p.FallbackEndpointID, err = pick("fallback_endpoint_id", b.FallbackID, b.FallbackIDCamel); err != nil {
		return p, err
	}
	if p.AllowInbound, err = pick("allow_inbound", b.AllowInbound, b.AllowInboundCamel); err != nil {
		return p, err
	}
	if p.AllowOutbound, err = pick("allow_outbound", b.AllowOutbound, b.AllowOutboundCamel); err != nil {
		return p, err
	}
	if p.TrunkID, err = pick("trunk_id", b.TrunkID, b.TrunkIDCamel); err != nil {
		return p, err
	}
	for field, o := range map[string]switchboard.Optional[bool]{"allow_inbound": p.AllowInbound, "allow_outbound": p.AllowOutbound} {
		if o.Null {
			return p, switchboard.FieldError(field, "%s cannot be null", field)
		}
	}
	return p, nil
}

func (s *Server) handleUpdatePhoneNumber(w http.ResponseWriter, r *http.Request) error {
	var b patchNumberBody
	if err := s.decode(r, &b); err != nil {
		return err
	}
	p, err := b.patch()
	if err != nil {
		return err
	}
	pn, err := s.store.UpdatePhoneNumber(r.Context(), apiKey(r.Context()).OrganizationID, r.PathValue("id"), p)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, s.withSIPAddress(pn))
	return nil
}

func (s *Server) handleReleaseNumber(w http.ResponseWriter, r *http.Request) error {
	q := newQuery(r.URL.Query(), "action")
	q.oneOf("action", "release")
	if q.err != nil {
		return q.err
	}
	pn, err := s.store.ReleaseNumber(r.Context(), apiKey(r.Context()).OrganizationID, r.PathValue("id"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"id": pn.ID, "released": true, "number": pn.Number})
	return nil
}

// handleRotateSIPCredentials answers with the number and its new password,
// the one time it is shown.
func (s *Server) handleRotateSIPCredentials(w http.ResponseWriter, r *http.Request) error {
	pn, err := s.store.RotateSIPCredentials(r.Context(), apiKey(r.Context()).OrganizationID, r.PathValue("id"), s.sipDomain)
	if err != nil {
		return err
	}
	s.writeWithPassword(w, http.StatusOK, pn)
	return nil
}

// writeWithPassword answers with pn and its SIP password, and has an
// Idempotency-Key replay answer without the password, which the node keeps
// nowhere.
func (s *Server) writeWithPassword(w http.ResponseWriter, status int, pn *switchboard.PhoneNumber) {
	out := s.withSIPAddress(pn)
	writeJSON(w, status, out)
	if out.SIPCredentials != nil {
		kept := *out
		c := *out.SIPCredentials
		c.Password = ""
		kept.SIPCredentials = &c
		storeInstead(w, &kept)
	}
}

// withSIPAddress returns pn with the node's SIP domain and transports in
// its credentials, which the store does not keep (they are the node's, not
// the number's).
func (s *Server) withSIPAddress(pn *switchboard.PhoneNumber) *switchboard.PhoneNumber {
	if pn.SIPCredentials == nil {
		return pn
	}
	out, c := *pn, *pn.SIPCredentials
	c.Domain, c.Transports = s.sipDomain, s.sipTransports
	out.SIPCredentials = &c
	return &out
}

// pick merges a field sent in snake_case and camelCase: either may be
// used, but both at once must agree.
func pick[T comparable](field string, snake, camel switchboard.Optional[T]) (switchboard.Optional[T], error) {
	switch {
	case snake.Set && camel.Set && snake != camel:
		return snake, switchboard.FieldError(field, "%s and its camelCase spelling disagree", field)
	case snake.Set:
		return snake, nil
	}
	return camel, nil
}

func sameString(field, a, b string) (string, error) {
	if a != "" && b != "" && a != b {
		return "", switchboard.FieldError(field, "%s is sent twice with different values", field)
	}
	if a != "" {
		return a, nil
	}
	return b, nil
}
