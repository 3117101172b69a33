package switchboard

import (
	"context"
	"errors"
	"fmt"
)

// CreateTrunk stores t for the organisation, setting its ID,
// OrganizationID, CreatedAt and UpdatedAt, and emits trunk.created. When t
// is the default, the organisation's previous default stops being one in
// the same transaction (trunk.updated for it). t must already be valid.
func (s *Service) CreateTrunk(ctx context.Context, orgID string, t *Trunk) error {
	t.ID = NewID(PrefixTrunk)
	t.OrganizationID = orgID
	err := s.write(ctx, orgID, func(c *change) error {
		if t.Default {
			if err := s.clearDefaultTrunk(ctx, c, orgID, t.ID); err != nil {
				return err
			}
		}
		t.CreatedAt = s.now()
		t.UpdatedAt = t.CreatedAt
		c.at(t.CreatedAt)
		if err := c.InsertTrunk(ctx, t); err != nil {
			return err
		}
		if err := c.NotifyRoutingChanged(ctx, orgID); err != nil { // its inbound networks
			return err
		}
		return c.emit(ctx, EventTrunkCreated, t)
	})
	if err != nil {
		return fmt.Errorf("create trunk: %w", err)
	}
	return nil
}

// clearDefaultTrunk makes no trunk of the organisation but except its
// default and emits trunk.updated for each it changed. It runs first in
// its change: the organisation-wide serialisation comes before any trunk's
// row lock, in every change that takes both.
func (s *Service) clearDefaultTrunk(ctx context.Context, c *change, orgID, except string) error {
	now := s.now()
	ids, err := c.ClearDefaultTrunk(ctx, orgID, except, now)
	if err != nil || len(ids) == 0 {
		return err
	}
	c.at(now)
	trunks, err := c.Trunks(ctx, orgID, ids)
	if err != nil {
		return err
	}
	return emitAll(ctx, c, EventTrunkUpdated, trunks)
}

// FindTrunk returns the organisation's trunk, or TRUNK_NOT_FOUND.
func (s *Service) FindTrunk(ctx context.Context, orgID, id string) (*Trunk, error) {
	return lookup("find trunk", PrefixTrunk, id, trunkNotFound,
		func() (*Trunk, error) { return s.d.Trunk(ctx, orgID, id) })
}

// ListTrunks returns one page of the organisation's trunks, newest first,
// and the total that match the filter.
func (s *Service) ListTrunks(ctx context.Context, orgID string, f TrunkFilter) ([]*Trunk, int, error) {
	list, total, err := s.d.ListTrunks(ctx, orgID, f)
	if err != nil {
		return nil, 0, fmt.Errorf("list trunks: %w", err)
	}
	return list, total, nil
}

// lockTrunk reads the organisation's trunk in the change, locked for lock,
// or TRUNK_NOT_FOUND.
func (c *change) lockTrunk(ctx context.Context, orgID, id string, lock Lock) (*Trunk, error) {
	t, err := c.LockTrunk(ctx, orgID, id, lock)
	if errors.Is(err, ErrNoRows) {
		return nil, trunkNotFound(id)
	}
	return t, err
}

// checkTrunk answers TRUNK_NOT_FOUND unless the organisation owns the trunk
// (a number may only use its own organisation's trunks), and keeps it from
// being deleted until the change commits.
func (c *change) checkTrunk(ctx context.Context, orgID, id string) error {
	if !ValidID(PrefixTrunk, id) {
		return trunkNotFound(id)
	}
	err := c.ShareTrunk(ctx, orgID, id)
	if errors.Is(err, ErrNoRows) {
		return trunkNotFound(id)
	}
	return err
}

// UpdateTrunk applies the patch to the trunk in one transaction that holds
// the trunk's row lock, and emits trunk.updated. Making it the default
// clears the organisation's previous default in the same transaction,
// before the trunk's row lock is taken (clearDefaultTrunk).
func (s *Service) UpdateTrunk(ctx context.Context, orgID, id string, p TrunkPatch) (*Trunk, error) {
	if !ValidID(PrefixTrunk, id) {
		return nil, trunkNotFound(id)
	}
	var out *Trunk
	err := s.write(ctx, orgID, func(c *change) error {
		if p.Default.Set && p.Default.Value {
			if err := s.clearDefaultTrunk(ctx, c, orgID, id); err != nil {
				return err
			}
		}
		cur, err := c.lockTrunk(ctx, orgID, id, LockUpdate)
		if err != nil {
			return err
		}
		n, err := cur.Apply(p)
		if err != nil {
			return err
		}
		n.ID, n.OrganizationID, n.CreatedAt = cur.ID, cur.OrganizationID, cur.CreatedAt
		n.UpdatedAt = s.now()
		c.at(n.UpdatedAt)
		if err := c.UpdateTrunk(ctx, n); err != nil {
			return err
		}
		if err := c.NotifyRoutingChanged(ctx, orgID); err != nil {
			return err
		}
		out = n
		return c.emit(ctx, EventTrunkUpdated, n)
	})
	if err != nil {
		return nil, fmt.Errorf("update trunk %s: %w", id, err)
	}
	return out, nil
}

// DeleteTrunk deletes the trunk and, in the same transaction, detaches
// every number that used it, and returns how many it detached. It emits
// trunk.deleted, with the trunk as it was, and phone_number.updated for
// each detached number.
func (s *Service) DeleteTrunk(ctx context.Context, orgID, id string) (int, error) {
	if !ValidID(PrefixTrunk, id) {
		return 0, trunkNotFound(id)
	}
	var detached int
	err := s.write(ctx, orgID, func(c *change) error {
		t, err := c.lockTrunk(ctx, orgID, id, LockDelete)
		if err != nil {
			return err
		}
		detached, err = s.detachAndDelete(ctx, c, orgID, id, c.DetachTrunk, c.DeleteTrunk, EventTrunkDeleted, t)
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("delete trunk %s: %w", id, err)
	}
	return detached, nil
}
