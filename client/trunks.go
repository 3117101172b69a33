package client

import (
	"context"
	"iter"
	"net/url"

	"github.com/switchboard-voice/switchboard"
)

// TrunkCreate is the body of CreateTrunk.
type TrunkCreate = switchboard.TrunkInput

// TrunkUpdate is the body of UpdateTrunk: only the fields set are sent.
type TrunkUpdate = switchboard.TrunkPatch

// ListTrunksParams filters ListTrunks.
type ListTrunksParams struct {
	Status string // active or inactive
	ListOptions
}

// ListTrunks iterates over the organisation's trunks (GET /v1/trunks).
func (c *Client) ListTrunks(ctx context.Context, p ListTrunksParams) iter.Seq2[*switchboard.Trunk, error] {
	return listAll(ctx, c, "/trunks", "trunks", p.query(), p.ListOptions, func(t *switchboard.Trunk) string { return t.ID })
}

// ListTrunksPage fetches one page of trunks.
func (c *Client) ListTrunksPage(ctx context.Context, p ListTrunksParams) (*Page[switchboard.Trunk], error) {
	return listPage[switchboard.Trunk](ctx, c, "/trunks", "trunks", p.query(), p.ListOptions)
}

func (p ListTrunksParams) query() url.Values {
	q := url.Values{}
	setIf(q, "status", p.Status)
	return q
}

// CreateTrunk adds a carrier connection (POST /v1/trunks).
func (c *Client) CreateTrunk(ctx context.Context, in TrunkCreate) (*switchboard.Trunk, error) {
	return call[switchboard.Trunk](ctx, c, "POST", "/trunks", nil, in)
}

// GetTrunk reads one trunk (GET /v1/trunks/{id}).
func (c *Client) GetTrunk(ctx context.Context, id string) (*switchboard.Trunk, error) {
	return call[switchboard.Trunk](ctx, c, "GET", "/trunks/"+pathID(id), nil, nil)
}

// UpdateTrunk changes the fields set in p (PATCH /v1/trunks/{id}).
func (c *Client) UpdateTrunk(ctx context.Context, id string, p TrunkUpdate) (*switchboard.Trunk, error) {
	return call[switchboard.Trunk](ctx, c, "PATCH", "/trunks/"+pathID(id), nil, p)
}

// DeleteTrunk deletes a trunk and detaches its numbers
// (DELETE /v1/trunks/{id}).
func (c *Client) DeleteTrunk(ctx context.Context, id string) (*Deleted, error) {
	return call[Deleted](ctx, c, "DELETE", "/trunks/"+pathID(id), nil, nil)
}
