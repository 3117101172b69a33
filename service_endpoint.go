package switchboard

import (
	"context"
	"errors"
	"fmt"
)

// CreateEndpoint stores e for the organisation, setting its ID,
// OrganizationID, CreatedAt and UpdatedAt, and emits endpoint.created. e
// must already be valid.
func (s *Service) CreateEndpoint(ctx context.Context, orgID string, e *Endpoint) error {
	e.ID = NewID(PrefixEndpoint)
	e.OrganizationID = orgID
	e.CreatedAt = s.now()
	e.UpdatedAt = e.CreatedAt
	err := s.write(ctx, orgID, func(c *change) error {
		c.at(e.CreatedAt)
		if err := c.InsertEndpoint(ctx, e); err != nil {
			return err
		}
		if err := c.NotifyRoutingChanged(ctx, orgID); err != nil {
			return err
		}
		return c.emit(ctx, EventEndpointCreated, e.EventView())
	})
	if err != nil {
		return fmt.Errorf("create endpoint: %w", err)
	}
	return nil
}

// FindEndpoint returns the organisation's endpoint, or ENDPOINT_NOT_FOUND.
// It runs on every call and most API requests: one primary-key lookup.
func (s *Service) FindEndpoint(ctx context.Context, orgID, id string) (*Endpoint, error) {
	return lookup("find endpoint", PrefixEndpoint, id, endpointNotFound,
		func() (*Endpoint, error) { return s.d.Endpoint(ctx, orgID, id) })
}

// ListEndpoints returns one page of the organisation's endpoints, newest
// first, and the total that match the filter.
func (s *Service) ListEndpoints(ctx context.Context, orgID string, f EndpointFilter) ([]*Endpoint, int, error) {
	list, total, err := s.d.ListEndpoints(ctx, orgID, f)
	if err != nil {
		return nil, 0, fmt.Errorf("list endpoints: %w", err)
	}
	return list, total, nil
}

// lockEndpoint reads the organisation's endpoint in the change, locked for
// lock, or ENDPOINT_NOT_FOUND.
func (c *change) lockEndpoint(ctx context.Context, orgID, id string, lock Lock) (*Endpoint, error) {
	e, err := c.LockEndpoint(ctx, orgID, id, lock)
	if errors.Is(err, ErrNoRows) {
		return nil, endpointNotFound(id)
	}
	return e, err
}

// UpdateEndpoint reads the endpoint, calls fn with it and stores what fn
// returns, all in one transaction that holds the endpoint's row lock, so
// concurrent updates cannot lose each other's changes. The ID, organisation
// and CreatedAt are kept whatever fn returns; UpdatedAt is set from the
// clock. It emits endpoint.updated. fn must not call the store, and may be
// called again if the driver reruns the transaction.
func (s *Service) UpdateEndpoint(ctx context.Context, orgID, id string, fn func(*Endpoint) (*Endpoint, error)) (*Endpoint, error) {
	if !ValidID(PrefixEndpoint, id) {
		return nil, endpointNotFound(id) // without taking the write lock
	}
	var out *Endpoint
	err := s.write(ctx, orgID, func(c *change) error {
		cur, err := c.lockEndpoint(ctx, orgID, id, LockUpdate)
		if err != nil {
			return err
		}
		next, err := fn(cur)
		if err != nil {
			return err
		}
		if next == nil {
			return errors.New("update function returned no endpoint")
		}
		n := *next
		n.ID, n.OrganizationID, n.CreatedAt = cur.ID, cur.OrganizationID, cur.CreatedAt
		n.UpdatedAt = s.now()
		c.at(n.UpdatedAt)
		if err := c.UpdateEndpoint(ctx, &n); err != nil {
			return err
		}
		if err := c.NotifyRoutingChanged(ctx, orgID); err != nil {
			return err
		}
		out = &n
		return c.emit(ctx, EventEndpointUpdated, n.EventView())
	})
	if err != nil {
		return nil, fmt.Errorf("update endpoint %s: %w", id, err)
	}
	return out, nil
}

// DeleteEndpoint deletes the endpoint and, in the same transaction,
// detaches every number that pointed at it as primary or fallback, and
// returns how many numbers it detached. Such numbers stay held and answer
// unrouted until re-attached. It emits endpoint.deleted, with the endpoint
// as it was, and phone_number.updated for each detached number.
func (s *Service) DeleteEndpoint(ctx context.Context, orgID, id string) (int, error) {
	if !ValidID(PrefixEndpoint, id) {
		return 0, endpointNotFound(id)
	}
	var detached int
	err := s.write(ctx, orgID, func(c *change) error {
		// The endpoint's lock first, as every change that touches an
		// endpoint and numbers takes them, so that none deadlock.
		ep, err := c.lockEndpoint(ctx, orgID, id, LockDelete)
		if err != nil {
			return err
		}
		detached, err = s.detachAndDelete(ctx, c, orgID, id, c.DetachEndpoint, c.DeleteEndpoint,
			EventEndpointDeleted, ep.EventView())
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("delete endpoint %s: %w", id, err)
	}
	return detached, nil
}
