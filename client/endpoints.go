package client

import (
	"context"
	"iter"
	"net/url"

	"github.com/switchboard-voice/switchboard"
)

// EndpointCreate is the body of CreateEndpoint: name, type (agent or
// webhook, or a provider's name), url, provider_config, headers,
// ring_timeout, credentials.
type EndpointCreate = switchboard.EndpointInput

// EndpointUpdate is the body of UpdateEndpoint: only the fields set
// (switchboard.Some, or switchboard.Null to clear) are sent.
type EndpointUpdate = switchboard.EndpointPatch

// ListEndpointsParams filters ListEndpoints.
type ListEndpointsParams struct {
	Type   string // agent or webhook
	Status string // active or inactive
	ListOptions
}

func (p ListEndpointsParams) query() url.Values {
	q := url.Values{}
	setIf(q, "type", p.Type)
	setIf(q, "status", p.Status)
	return q
}

// Deleted is the answer to deleting an endpoint or a trunk.
type Deleted struct {
	ID      string `json:"id"`
	Deleted bool   `json:"deleted"`
	// DetachedPhoneNumbers is how many numbers lost the endpoint or trunk.
	DetachedPhoneNumbers int `json:"detached_phone_numbers"`
}

// ListEndpoints iterates over the organisation's endpoints, newest first
// (GET /v1/endpoints).
func (c *Client) ListEndpoints(ctx context.Context, p ListEndpointsParams) iter.Seq2[*switchboard.Endpoint, error] {
	return listAll(ctx, c, "/endpoints", "endpoints", p.query(), p.ListOptions, func(e *switchboard.Endpoint) string { return e.ID })
}

// ListEndpointsPage fetches one page of endpoints.
func (c *Client) ListEndpointsPage(ctx context.Context, p ListEndpointsParams) (*Page[switchboard.Endpoint], error) {
	return listPage[switchboard.Endpoint](ctx, c, "/endpoints", "endpoints", p.query(), p.ListOptions)
}

// CreateEndpoint creates an endpoint (POST /v1/endpoints).
func (c *Client) CreateEndpoint(ctx context.Context, in EndpointCreate) (*switchboard.Endpoint, error) {
	var out switchboard.Endpoint
	if err := c.do(ctx, "POST", "/endpoints", nil, in, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// GetEndpoint reads one endpoint (GET /v1/endpoints/{id}).
func (c *Client) GetEndpoint(ctx context.Context, id string) (*switchboard.Endpoint, error) {
	var out switchboard.Endpoint
	if err := c.do(ctx, "GET", "/endpoints/"+pathID(id), nil, nil, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// UpdateEndpoint changes the fields set in p (PATCH /v1/endpoints/{id}).
func (c *Client) UpdateEndpoint(ctx context.Context, id string, p EndpointUpdate) (*switchboard.Endpoint, error) {
	var out switchboard.Endpoint
	if err := c.do(ctx, "PATCH", "/endpoints/"+pathID(id), nil, p, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// DeleteEndpoint deletes an endpoint and detaches its numbers
// (DELETE /v1/endpoints/{id}).
func (c *Client) DeleteEndpoint(ctx context.Context, id string) (*Deleted, error) {
	var out Deleted
	if err := c.do(ctx, "DELETE", "/endpoints/"+pathID(id), nil, nil, &out); err != nil {
		return nil, err
	}
	return &out, nil
}
