package switchboard

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"
)

func numberNotFound(id string) error {
	return Errorf(ECodeNumberNotFound, "Phone number %s not found.", id)
}

func numberNotAvailable(what string) error {
	return Errorf(ECodeNumberNotAvail, "Number %s is not available.", what)
}

// errEndpointGone is the backstop for a number written to point at an
// endpoint deleted under it; the locks the drivers take keep it from
// happening.
var errEndpointGone = Errorf(ECodeEndpointNotFound, "Endpoint not found.")

// storable reports whether a database can hold s as text (PostgreSQL
// refuses invalid UTF-8 and NUL).
func storable(s string) bool { return utf8.ValidString(s) && !strings.ContainsRune(s, 0) }

// AddInventory adds numbers to the inventory, skipping numbers already
// there (or earlier in nums), and returns how many it added. Added numbers
// get their ID and CreatedAt set, once committed; skipped ones are left as
// they were.
func (s *Service) AddInventory(ctx context.Context, nums []*InventoryNumber) (int, error) {
	if len(nums) == 0 {
		return 0, nil
	}
	now := s.now()
	ids := make([]string, len(nums))
	for i := range ids {
		ids[i] = NewID(PrefixInventory)
	}
	added, err := s.d.InsertInventory(ctx, nums, ids, now)
	if err != nil {
		return 0, fmt.Errorf("add inventory: %w", err)
	}
	n := 0
	for i, ok := range added {
		if ok {
			nums[i].ID, nums[i].CreatedAt = ids[i], now
			n++
		}
	}
	return n, nil
}

// ListAvailable returns one page of the inventory numbers no organisation
// holds, newest first, and the total that match the filter.
func (s *Service) ListAvailable(ctx context.Context, f AvailableFilter) ([]*InventoryNumber, int, error) {
	list, total, err := s.d.ListAvailable(ctx, f)
	if err != nil {
		return nil, 0, fmt.Errorf("list available numbers: %w", err)
	}
	return list, total, nil
}

// ListInventory returns one page of the inventory, held numbers too, newest
// first, and the total that match the filter.
func (s *Service) ListInventory(ctx context.Context, f InventoryFilter) ([]*InventoryEntry, int, error) {
	list, total, err := s.d.ListInventory(ctx, f)
	if err != nil {
		return nil, 0, fmt.Errorf("list inventory: %w", err)
	}
	return list, total, nil
}

// RemoveInventory takes an available number out of the inventory. A held
// number stays: removing it would pull it from under its organisation's
// routes, so the organisation must release it first.
func (s *Service) RemoveInventory(ctx context.Context, number string) error {
	e164, err := NormalizeE164(number, "")
	if err != nil {
		return err
	}
	holder, err := s.d.DeleteInventory(ctx, e164)
	if errors.Is(err, ErrNoRows) {
		return Errorf(ECodeNumberNotFound, "Number %s is not in the inventory.", e164)
	}
	if err != nil {
		return fmt.Errorf("remove %s from the inventory: %w", e164, err)
	}
	if holder != "" {
		return Errorf(ECodeConflict, "Number %s is held by organisation %s; it must release it (DELETE /v1/phone-numbers/{id}) before the number can leave the inventory.", e164, holder)
	}
	return nil
}

// checkEndpoint answers ENDPOINT_NOT_FOUND unless the organisation owns the
// endpoint (numbers may only point at their own organisation's endpoints),
// and keeps it from being deleted until the change commits.
func (c *change) checkEndpoint(ctx context.Context, orgID, id string) error {
	if !ValidID(PrefixEndpoint, id) {
		return endpointNotFound(id)
	}
	err := c.ShareEndpoint(ctx, orgID, id)
	if errors.Is(err, ErrNoRows) {
		return endpointNotFound(id)
	}
	return err
}

// phoneNumber reads the organisation's number in the change, locked for
// lock (0 for none), or PHONE_NUMBER_NOT_FOUND.
func (c *change) phoneNumber(ctx context.Context, orgID, id string, lock Lock) (*PhoneNumber, error) {
	pn, err := c.LockPhoneNumber(ctx, orgID, id, lock)
	if errors.Is(err, ErrNoRows) {
		return nil, numberNotFound(id)
	}
	return pn, err
}

// ClaimNumber gives an available number, named by inventory ID or by E.164
// number (both must match when both are given), to the organisation. It
// fails with NUMBER_NOT_AVAILABLE when no such number is free, and with
// ENDPOINT_NOT_FOUND when req.EndpointID is not one of the organisation's.
// It emits phone_number.purchased. The unique inventory_id decides who
// holds a number, so of several claims racing for it one wins and the
// others are NUMBER_NOT_AVAILABLE.
func (s *Service) ClaimNumber(ctx context.Context, orgID string, req ClaimRequest) (*PhoneNumber, error) {
	what := req.InventoryID
	switch {
	case req.InventoryID == "" && req.Number == "":
		return nil, FieldError("inventory_id", "inventory_id or number is required")
	case req.InventoryID != "" && !ValidID(PrefixInventory, req.InventoryID):
		return nil, numberNotAvailable(req.InventoryID)
	}
	if req.Number != "" {
		what = req.Number
		if !storable(req.Number) {
			return nil, numberNotAvailable(what)
		}
	}
	if req.SIPDomain != "" && !storable(req.SIPDomain) {
		return nil, FieldError("domain", "the node's SIP domain is not valid text")
	}
	var pn *PhoneNumber
	var creds *NumberSIPCredentials
	err := s.write(ctx, orgID, func(c *change) error {
		invID, err := c.InventoryID(ctx, req.InventoryID, req.Number)
		if errors.Is(err, ErrNoRows) {
			return numberNotAvailable(what)
		}
		if err != nil {
			return err
		}
		if req.EndpointID != nil {
			if err := c.checkEndpoint(ctx, orgID, *req.EndpointID); err != nil {
				return err
			}
		}
		now := s.now()
		c.at(now)
		n := &PhoneNumber{
			ID: NewID(PrefixNumber), OrganizationID: orgID, InventoryID: invID, Status: NumberActive,
			EndpointID: req.EndpointID, AllowInbound: req.AllowInbound, AllowOutbound: req.AllowOutbound,
			CreatedAt: now, UpdatedAt: now,
		}
		inserted, err := c.InsertPhoneNumber(ctx, n)
		switch {
		case errors.Is(err, ErrMissingRef):
			return errEndpointGone
		case err != nil:
			return err
		case !inserted:
			return numberNotAvailable(what)
		}
		if req.SIPDomain != "" {
			if creds, err = c.setSIPCredentials(ctx, orgID, n.ID, req.SIPDomain, "", now); err != nil {
				return err
			}
		}
		if err := c.NotifyRoutingChanged(ctx, orgID); err != nil {
			return err
		}
		if pn, err = c.phoneNumber(ctx, orgID, n.ID, LockNone); err != nil {
			return err
		}
		return c.emit(ctx, EventPhoneNumberPurchased, pn)
	})
	if err != nil {
		return nil, fmt.Errorf("claim number %s: %w", what, err)
	}
	if creds != nil {
		return withPassword(pn, creds), nil
	}
	return pn, nil
}

// FindPhoneNumber returns the organisation's number, or PHONE_NUMBER_NOT_FOUND.
func (s *Service) FindPhoneNumber(ctx context.Context, orgID, id string) (*PhoneNumber, error) {
	return lookup("find phone number", PrefixNumber, id, numberNotFound,
		func() (*PhoneNumber, error) { return s.d.PhoneNumber(ctx, orgID, id) })
}

// ListPhoneNumbers returns one page of the organisation's numbers, newest
// first, and the total that match the filter. EndpointID matches the
// primary endpoint.
func (s *Service) ListPhoneNumbers(ctx context.Context, orgID string, f PhoneNumberFilter) ([]*PhoneNumber, int, error) {
	list, total, err := s.d.ListPhoneNumbers(ctx, orgID, f)
	if err != nil {
		return nil, 0, fmt.Errorf("list phone numbers: %w", err)
	}
	return list, total, nil
}

// UpdatePhoneNumber applies a patch: endpoint IDs are set (to one of the
// organisation's endpoints, else ENDPOINT_NOT_FOUND) or cleared with null;
// the trunk is set (to one of the organisation's trunks, else
// TRUNK_NOT_FOUND) or cleared; the allow flags are set; absent fields stay.
// It emits phone_number.updated.
func (s *Service) UpdatePhoneNumber(ctx context.Context, orgID, id string, p PhoneNumberPatch) (*PhoneNumber, error) {
	if !ValidID(PrefixNumber, id) {
		return nil, numberNotFound(id)
	}
	var pn *PhoneNumber
	err := s.write(ctx, orgID, func(c *change) error {
		// The errors come in this order: number, endpoints, trunk, flags.
		// The locks are taken endpoints and trunk first, then the number,
		// the order DeleteEndpoint and DeleteTrunk take them in, so none
		// can deadlock.
		if _, err := c.phoneNumber(ctx, orgID, id, LockNone); err != nil {
			return err
		}
		for _, opt := range []Optional[string]{p.EndpointID, p.FallbackEndpointID} {
			if opt.Set && !opt.Null {
				if err := c.checkEndpoint(ctx, orgID, opt.Value); err != nil {
					return err
				}
			}
		}
		if p.TrunkID.Set && !p.TrunkID.Null {
			if err := c.checkTrunk(ctx, orgID, p.TrunkID.Value); err != nil {
				return err
			}
		}
		for _, f := range []struct {
			name string
			opt  Optional[bool]
		}{{"allow_inbound", p.AllowInbound}, {"allow_outbound", p.AllowOutbound}} {
			if f.opt.Set && f.opt.Null {
				return FieldError(f.name, "%s cannot be null", f.name)
			}
		}
		cur, err := c.phoneNumber(ctx, orgID, id, LockUpdate)
		if err != nil {
			return err
		}
		cur.EndpointID = patchRef(cur.EndpointID, p.EndpointID)
		cur.FallbackEndpointID = patchRef(cur.FallbackEndpointID, p.FallbackEndpointID)
		cur.TrunkID = patchRef(cur.TrunkID, p.TrunkID)
		if p.AllowInbound.Set {
			cur.AllowInbound = p.AllowInbound.Value
		}
		if p.AllowOutbound.Set {
			cur.AllowOutbound = p.AllowOutbound.Value
		}
		cur.UpdatedAt = s.now()
		c.at(cur.UpdatedAt)
		err = c.UpdatePhoneNumber(ctx, cur)
		if errors.Is(err, ErrMissingRef) {
			return errEndpointGone
		}
		if err != nil {
			return err
		}
		if err := c.NotifyRoutingChanged(ctx, orgID); err != nil {
			return err
		}
		if pn, err = c.phoneNumber(ctx, orgID, id, LockNone); err != nil { // for the new endpoint summary
			return err
		}
		return c.emit(ctx, EventPhoneNumberUpdated, pn)
	})
	if err != nil {
		return nil, fmt.Errorf("update phone number %s: %w", id, err)
	}
	return pn, nil
}

// patchRef returns a reference (an endpoint's, a trunk's) after applying
// opt to cur (what it names was checked before).
func patchRef(cur *string, opt Optional[string]) *string {
	switch {
	case !opt.Set:
		return cur
	case opt.Null:
		return nil
	}
	v := opt.Value
	return &v
}

// ReleaseNumber gives the number back to the inventory by deleting the row
// that holds it, and returns the number as it was, with status "released",
// which is also the data of the phone_number.released event it emits.
func (s *Service) ReleaseNumber(ctx context.Context, orgID, id string) (*PhoneNumber, error) {
	if !ValidID(PrefixNumber, id) {
		return nil, numberNotFound(id)
	}
	var pn *PhoneNumber
	err := s.write(ctx, orgID, func(c *change) error {
		var err error
		if pn, err = c.phoneNumber(ctx, orgID, id, LockDelete); err != nil {
			return err
		}
		if err := c.DeletePhoneNumber(ctx, orgID, id); err != nil {
			return err
		}
		if err := c.NotifyRoutingChanged(ctx, orgID); err != nil {
			return err
		}
		pn.Status = NumberReleased
		pn.UpdatedAt = s.now()
		c.at(pn.UpdatedAt)
		return c.emit(ctx, EventPhoneNumberReleased, pn)
	})
	if err != nil {
		return nil, fmt.Errorf("release phone number %s: %w", id, err)
	}
	return pn, nil
}
