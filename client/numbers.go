package client

import (
	"context"
	"iter"
	"net/url"

	"github.com/switchboard-voice/switchboard"
)

// ListPhoneNumbersParams filters ListPhoneNumbers.
type ListPhoneNumbersParams struct {
	Status     string // active, inactive or pending
	Country    string // ISO 3166 alpha-2, e.g. NG
	EndpointID string
	ListOptions
}

func (p ListPhoneNumbersParams) query() url.Values {
	q := url.Values{}
	setIf(q, "status", p.Status)
	setIf(q, "country", p.Country)
	setIf(q, "endpoint_id", p.EndpointID)
	return q
}

// ListAvailableParams filters ListAvailablePhoneNumbers.
type ListAvailableParams struct {
	Country string // ISO 3166 alpha-2
	Type    string // local, mobile or toll_free
	ListOptions
}

func (p ListAvailableParams) query() url.Values {
	q := url.Values{}
	setIf(q, "country", p.Country)
	setIf(q, "type", p.Type)
	return q
}

// ClaimPhoneNumberParams is the body of ClaimPhoneNumber: InventoryID or
// Number (E.164), the endpoint to attach, and whether the number takes
// inbound and places outbound calls (nil: true).
type ClaimPhoneNumberParams struct {
	InventoryID   string `json:"inventory_id,omitempty"`
	Number        string `json:"number,omitempty"`
	EndpointID    string `json:"endpoint_id,omitempty"`
	AllowInbound  *bool  `json:"allow_inbound,omitempty"`
	AllowOutbound *bool  `json:"allow_outbound,omitempty"`
}

// PhoneNumberUpdate is the body of UpdatePhoneNumber: only the fields set
// are sent; switchboard.Null[string]() detaches an endpoint or a trunk.
type PhoneNumberUpdate struct {
	EndpointID         switchboard.Optional[string] `json:"endpoint_id,omitzero"`
	FallbackEndpointID switchboard.Optional[string] `json:"fallback_endpoint_id,omitzero"`
	AllowInbound       switchboard.Optional[bool]   `json:"allow_inbound,omitzero"`
	AllowOutbound      switchboard.Optional[bool]   `json:"allow_outbound,omitzero"`
	TrunkID            switchboard.Optional[string] `json:"trunk_id,omitzero"`
}

// Released is the answer to ReleasePhoneNumber.
type Released struct {
	ID       string `json:"id"`
	Released bool   `json:"released"`
	Number   string `json:"number"`
}

// RouteTarget is one endpoint of a number's failover chain.
type RouteTarget = switchboard.ExplainedRouteTarget

// Route is the routing decision the SIP edge would take for a call to a
// number now (ExplainPhoneNumberRoute): the server's own type.
type Route = switchboard.RouteExplanation

// ListPhoneNumbers iterates over the organisation's numbers, newest first
// (GET /v1/phone-numbers).
func (c *Client) ListPhoneNumbers(ctx context.Context, p ListPhoneNumbersParams) iter.Seq2[*switchboard.PhoneNumber, error] {
	return listAll(ctx, c, "/phone-numbers", "phone_numbers", p.query(), p.ListOptions, func(n *switchboard.PhoneNumber) string { return n.ID })
}

// ListPhoneNumbersPage fetches one page of the organisation's numbers.
func (c *Client) ListPhoneNumbersPage(ctx context.Context, p ListPhoneNumbersParams) (*Page[switchboard.PhoneNumber], error) {
	return listPage[switchboard.PhoneNumber](ctx, c, "/phone-numbers", "phone_numbers", p.query(), p.ListOptions)
}

// ListAvailablePhoneNumbers iterates over the inventory's free numbers
// (GET /v1/phone-numbers/available).
func (c *Client) ListAvailablePhoneNumbers(ctx context.Context, p ListAvailableParams) iter.Seq2[*switchboard.InventoryNumber, error] {
	return listAll(ctx, c, "/phone-numbers/available", "phone_numbers", p.query(), p.ListOptions, func(n *switchboard.InventoryNumber) string { return n.ID })
}

// ListAvailablePhoneNumbersPage fetches one page of free numbers.
func (c *Client) ListAvailablePhoneNumbersPage(ctx context.Context, p ListAvailableParams) (*Page[switchboard.InventoryNumber], error) {
	return listPage[switchboard.InventoryNumber](ctx, c, "/phone-numbers/available", "phone_numbers", p.query(), p.ListOptions)
}

// ClaimPhoneNumber claims a free number for the organisation
// (POST /v1/phone-numbers). The answer's SIPCredentials.Password is shown
// this once.
func (c *Client) ClaimPhoneNumber(ctx context.Context, p ClaimPhoneNumberParams) (*switchboard.PhoneNumber, error) {
	return call[switchboard.PhoneNumber](ctx, c, "POST", "/phone-numbers", nil, p)
}

// GetPhoneNumber reads one number (GET /v1/phone-numbers/{id}).
func (c *Client) GetPhoneNumber(ctx context.Context, id string) (*switchboard.PhoneNumber, error) {
	return call[switchboard.PhoneNumber](ctx, c, "GET", "/phone-numbers/"+pathID(id), nil, nil)
}

// UpdatePhoneNumber attaches endpoints, a trunk, or changes what the
// number allows (PATCH /v1/phone-numbers/{id}).
func (c *Client) UpdatePhoneNumber(ctx context.Context, id string, p PhoneNumberUpdate) (*switchboard.PhoneNumber, error) {
	return call[switchboard.PhoneNumber](ctx, c, "PATCH", "/phone-numbers/"+pathID(id), nil, p)
}

// ReleasePhoneNumber returns a number to the inventory
// (DELETE /v1/phone-numbers/{id}).
func (c *Client) ReleasePhoneNumber(ctx context.Context, id string) (*Released, error) {
	return call[Released](ctx, c, "DELETE", "/phone-numbers/"+pathID(id), nil, nil)
}

// RotatePhoneNumberSIPCredentials gives the number a new SIP password,
// shown this once (POST /v1/phone-numbers/{id}/sip-credentials/rotate).
func (c *Client) RotatePhoneNumberSIPCredentials(ctx context.Context, id string) (*switchboard.PhoneNumber, error) {
	return call[switchboard.PhoneNumber](ctx, c, "POST", "/phone-numbers/"+pathID(id)+"/sip-credentials/rotate", nil, nil)
}

// ExplainPhoneNumberRoute says where a call to the number would go now
// (GET /v1/phone-numbers/{id}/route).
func (c *Client) ExplainPhoneNumberRoute(ctx context.Context, id string) (*Route, error) {
	return call[Route](ctx, c, "GET", "/phone-numbers/"+pathID(id)+"/route", nil, nil)
}
