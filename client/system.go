package client

import (
	"context"
	"encoding/json"
)

// Health is the answer of the health check.
type Health struct {
	Status string `json:"status"` // "ok"
}

// Health checks that the node serves and its database answers
// (GET /healthz, no key needed). A node that is not healthy answers 503,
// an *Error.
func (c *Client) Health(ctx context.Context) (*Health, error) {
	var out Health
	if err := c.doRoot(ctx, "GET", "/healthz", nil, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// OpenAPI returns the API's contract as JSON (GET /v1/openapi.json).
func (c *Client) OpenAPI(ctx context.Context) (json.RawMessage, error) {
	var out json.RawMessage
	if err := c.do(ctx, "GET", "/openapi.json", nil, nil, &out); err != nil {
		return nil, err
	}
	return out, nil
}
