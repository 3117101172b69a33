package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/switchboard-voice/switchboard"
)

// switchboard.NumberReleased is the status of the number ReleaseNumber returns: the
// number as it was, now given back to the inventory. (The domain has no
// constant for it yet.)

// phoneNumberSelect reads a held number with its inventory row and a summary
// of its primary endpoint (all NULL when it has none).
const phoneNumberSelect = `SELECT p.id, p.organization_id, p.inventory_id, i.number, i.country, i.type,
	p.status, p.endpoint_id, p.fallback_endpoint_id, p.allow_inbound, p.allow_outbound,
	p.created_at, p.updated_at,
	e.id, e.name, e.type, json_extract(e.provider_config, '$.provider'), e.status
	FROM phone_numbers p
	JOIN inventory_numbers i ON i.id = p.inventory_id
	LEFT JOIN endpoints e ON e.id = p.endpoint_id AND e.organization_id = p.organization_id`

const inventoryColumns = `i.id, i.number, i.country, i.type, i.created_at`

func numberNotFound(id string) error {
	return switchboard.Errorf(switchboard.ECodeNumberNotFound, "Phone number %s not found.", id)
}

func numberNotAvailable(what string) error {
	return switchboard.Errorf(switchboard.ECodeNumberNotAvail, "Number %s is not available.", what)
}

// AddInventory adds numbers to the inventory, skipping numbers already
// there, and returns how many it added. Added numbers get their ID and
// CreatedAt set; skipped ones are left as they were.
func (db *Driver) AddInventory(ctx context.Context, nums []*switchboard.InventoryNumber) (int, error) {
	now := db.now()
	ids := make([]string, len(nums)) // "" for a number skipped as already there
	err := db.write(ctx, func(tx *txn) error {
		stmt, err := tx.PrepareContext(ctx, `INSERT INTO inventory_numbers (id, number, country, type, created_at)
			VALUES (?, ?, ?, ?, ?) ON CONFLICT (number) DO NOTHING`)
		if err != nil {
			return err
		}
		defer stmt.Close()
		for i, n := range nums {
			id := switchboard.NewID(switchboard.PrefixInventory)
			res, err := stmt.ExecContext(ctx, id, n.Number, n.Country, n.Type, micros(now))
			if err != nil {
				return fmt.Errorf("%s: %w", n.Number, err)
			}
			if k, err := res.RowsAffected(); err != nil {
				return err
			} else if k == 1 {
				ids[i] = id
			}
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("add inventory: %w", err)
	}
	// Set the IDs only now that they are committed.
	added := 0
	for i, id := range ids {
		if id != "" {
			nums[i].ID, nums[i].CreatedAt = id, now
			added++
		}
	}
	return added, nil
}

// ListAvailable returns one page of the inventory numbers no organisation
// holds, newest first, and the total that match the filter.
func (db *Driver) ListAvailable(ctx context.Context, f switchboard.AvailableFilter) ([]*switchboard.InventoryNumber, int, error) {
	var w where
	w.add("NOT EXISTS (SELECT 1 FROM phone_numbers p WHERE p.inventory_id = i.id)")
	if f.Country != "" {
		w.add("i.country = ?", f.Country)
	}
	if f.Type != "" {
		w.add("i.type = ?", f.Type)
	}
	list, total, err := listPage(ctx, db, `SELECT COUNT(*) FROM inventory_numbers i WHERE `+w.String(),
		`SELECT `+inventoryColumns+` FROM inventory_numbers i WHERE `+w.String()+` ORDER BY i.created_at DESC, i.id DESC`,
		w.args, f.Page, scanInventory)
	if err != nil {
		return nil, 0, fmt.Errorf("list available numbers: %w", err)
	}
	return list, total, nil
}

// scanInventory reads one row of inventoryColumns.
func scanInventory(s scanner) (*switchboard.InventoryNumber, error) {
	var n switchboard.InventoryNumber
	var createdAt int64
	if err := s.Scan(&n.ID, &n.Number, &n.Country, &n.Type, &createdAt); err != nil {
		return nil, err
	}
	n.CreatedAt = fromMicros(createdAt)
	return &n, nil
}

// ClaimNumber gives an available number, named by inventory ID or by E.164
// number (both must match when both are given), to the organisation. It
// fails with NUMBER_NOT_AVAILABLE when no such number is free, and with
// ENDPOINT_NOT_FOUND when req.EndpointID is not one of the organisation's.
// It emits phone_number.purchased.
func (db *Driver) ClaimNumber(ctx context.Context, orgID string, req switchboard.ClaimRequest) (*switchboard.PhoneNumber, error) {
	var w where
	what := req.InventoryID
	switch {
	case req.InventoryID == "" && req.Number == "":
		return nil, switchboard.FieldError("inventory_id", "inventory_id or number is required")
	case req.InventoryID != "" && !switchboard.ValidID(switchboard.PrefixInventory, req.InventoryID):
		return nil, numberNotAvailable(req.InventoryID)
	case req.InventoryID != "":
		w.add("id = ?", req.InventoryID)
	}
	if req.Number != "" {
		w.add("number = ?", req.Number)
		what = req.Number
	}
	var pn *switchboard.PhoneNumber
	err := db.write(ctx, func(tx *txn) error {
		var invID string
		err := tx.QueryRowContext(ctx, `SELECT id FROM inventory_numbers WHERE `+w.String(), w.args...).Scan(&invID)
		if errors.Is(err, sql.ErrNoRows) {
			return numberNotAvailable(what)
		}
		if err != nil {
			return err
		}
		if req.EndpointID != nil {
			if err := checkEndpoint(ctx, tx, orgID, *req.EndpointID); err != nil {
				return err
			}
		}
		// The UNIQUE inventory_id decides who holds the number, so a claim is
		// safe even against another process writing the same file.
		id, at := switchboard.NewID(switchboard.PrefixNumber), db.now()
		now := micros(at)
		res, err := tx.ExecContext(ctx, `INSERT INTO phone_numbers
			(id, organization_id, inventory_id, status, endpoint_id, fallback_endpoint_id,
			 allow_inbound, allow_outbound, created_at, updated_at)
			VALUES (?, ?, ?, ?, ?, NULL, ?, ?, ?, ?) ON CONFLICT (inventory_id) DO NOTHING`,
			id, orgID, invID, switchboard.StatusActive, req.EndpointID, req.AllowInbound, req.AllowOutbound, now, now)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil {
			return err
		} else if n == 0 {
			return numberNotAvailable(what)
		}
		if pn, err = findPhoneNumber(ctx, tx, orgID, id); err != nil {
			return err
		}
		_, err = tx.events(orgID, at).Emit(ctx, switchboard.EventPhoneNumberPurchased, pn, switchboard.EmitOptions{})
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("claim number %s: %w", what, err)
	}
	db.changed(orgID)
	return pn, nil
}

// FindPhoneNumber returns the organisation's number, or PHONE_NUMBER_NOT_FOUND.
func (db *Driver) FindPhoneNumber(ctx context.Context, orgID, id string) (*switchboard.PhoneNumber, error) {
	pn, err := findPhoneNumber(ctx, db.reader, orgID, id)
	if err != nil {
		return nil, fmt.Errorf("find phone number %s: %w", id, err)
	}
	return pn, nil
}

func findPhoneNumber(ctx context.Context, q querier, orgID, id string) (*switchboard.PhoneNumber, error) {
	if !switchboard.ValidID(switchboard.PrefixNumber, id) {
		return nil, numberNotFound(id)
	}
	pn, err := scanPhoneNumber(q.QueryRowContext(ctx, phoneNumberSelect+` WHERE p.organization_id = ? AND p.id = ?`, orgID, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, numberNotFound(id)
	}
	return pn, err
}

// findPhoneNumbers returns the organisation's numbers with these IDs,
// ordered by ID, in one query.
func findPhoneNumbers(ctx context.Context, q querier, orgID string, ids []string) ([]*switchboard.PhoneNumber, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	rows, err := q.QueryContext(ctx, phoneNumberSelect+` WHERE p.organization_id = ?
		AND p.id IN (SELECT value FROM json_each(?)) ORDER BY p.id`, orgID, idList(ids))
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []*switchboard.PhoneNumber
	for rows.Next() {
		pn, err := scanPhoneNumber(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, pn)
	}
	return out, rows.Err()
}

// ListPhoneNumbers returns one page of the organisation's numbers, newest
// first, and the total that match the filter. EndpointID matches the
// primary endpoint.
func (db *Driver) ListPhoneNumbers(ctx context.Context, orgID string, f switchboard.PhoneNumberFilter) ([]*switchboard.PhoneNumber, int, error) {
	var w where
	w.add("p.organization_id = ?", orgID)
	if f.Status != "" {
		w.add("p.status = ?", f.Status)
	}
	if f.Country != "" {
		w.add("i.country = ?", f.Country)
	}
	if f.EndpointID != "" {
		w.add("p.endpoint_id = ?", f.EndpointID)
	}
	list, total, err := listPage(ctx, db, `SELECT COUNT(*) FROM phone_numbers p
			JOIN inventory_numbers i ON i.id = p.inventory_id WHERE `+w.String(),
		phoneNumberSelect+` WHERE `+w.String()+` ORDER BY p.created_at DESC, p.id DESC`,
		w.args, f.Page, scanPhoneNumber)
	if err != nil {
		return nil, 0, fmt.Errorf("list phone numbers: %w", err)
	}
	return list, total, nil
}

// UpdatePhoneNumber applies a patch: endpoint IDs are set (to one of the
// organisation's endpoints, else ENDPOINT_NOT_FOUND) or cleared with null;
// the allow flags are set; absent fields stay. It emits phone_number.updated.
func (db *Driver) UpdatePhoneNumber(ctx context.Context, orgID, id string, p switchboard.PhoneNumberPatch) (*switchboard.PhoneNumber, error) {
	if !switchboard.ValidID(switchboard.PrefixNumber, id) {
		return nil, numberNotFound(id)
	}
	var pn *switchboard.PhoneNumber
	err := db.write(ctx, func(tx *txn) error {
		cur, err := findPhoneNumber(ctx, tx, orgID, id)
		if err != nil {
			return err
		}
		if cur.EndpointID, err = patchEndpoint(ctx, tx, orgID, cur.EndpointID, p.EndpointID); err != nil {
			return err
		}
		if cur.FallbackEndpointID, err = patchEndpoint(ctx, tx, orgID, cur.FallbackEndpointID, p.FallbackEndpointID); err != nil {
			return err
		}
		for _, f := range []struct {
			name string
			dst  *bool
			opt  switchboard.Optional[bool]
		}{{"allow_inbound", &cur.AllowInbound, p.AllowInbound}, {"allow_outbound", &cur.AllowOutbound, p.AllowOutbound}} {
			if f.opt.Set && f.opt.Null {
				return switchboard.FieldError(f.name, "%s cannot be null", f.name)
			}
			if f.opt.Set {
				*f.dst = f.opt.Value
			}
		}
		now := db.now()
		_, err = tx.ExecContext(ctx, `UPDATE phone_numbers SET endpoint_id = ?, fallback_endpoint_id = ?,
			allow_inbound = ?, allow_outbound = ?, updated_at = ?
			WHERE organization_id = ? AND id = ?`,
			cur.EndpointID, cur.FallbackEndpointID, cur.AllowInbound, cur.AllowOutbound, micros(now), orgID, id)
		if err != nil {
			return err
		}
		if pn, err = findPhoneNumber(ctx, tx, orgID, id); err != nil { // for the new endpoint summary
			return err
		}
		_, err = tx.events(orgID, now).Emit(ctx, switchboard.EventPhoneNumberUpdated, pn, switchboard.EmitOptions{})
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("update phone number %s: %w", id, err)
	}
	db.changed(orgID)
	return pn, nil
}

// patchEndpoint returns the endpoint reference after applying opt to cur.
func patchEndpoint(ctx context.Context, q querier, orgID string, cur *string, opt switchboard.Optional[string]) (*string, error) {
	switch {
	case !opt.Set:
		return cur, nil
	case opt.Null:
		return nil, nil
	}
	if err := checkEndpoint(ctx, q, orgID, opt.Value); err != nil {
		return nil, err
	}
	return &opt.Value, nil
}

// ReleaseNumber gives the number back to the inventory by deleting the row
// that holds it, and returns the number as it was, with status "released",
// which is also the data of the phone_number.released event it emits.
func (db *Driver) ReleaseNumber(ctx context.Context, orgID, id string) (*switchboard.PhoneNumber, error) {
	if !switchboard.ValidID(switchboard.PrefixNumber, id) {
		return nil, numberNotFound(id)
	}
	var pn *switchboard.PhoneNumber
	err := db.write(ctx, func(tx *txn) error {
		var err error
		if pn, err = findPhoneNumber(ctx, tx, orgID, id); err != nil {
			return err
		}
		if _, err = tx.ExecContext(ctx, `DELETE FROM phone_numbers WHERE organization_id = ? AND id = ?`, orgID, id); err != nil {
			return err
		}
		pn.Status = switchboard.NumberReleased
		pn.UpdatedAt = db.now()
		_, err = tx.events(orgID, pn.UpdatedAt).Emit(ctx, switchboard.EventPhoneNumberReleased, pn, switchboard.EmitOptions{})
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("release phone number %s: %w", id, err)
	}
	db.changed(orgID)
	return pn, nil
}

func scanPhoneNumber(s scanner) (*switchboard.PhoneNumber, error) {
	var pn switchboard.PhoneNumber
	var createdAt, updatedAt int64
	var epID, epName, epType, epProvider, epStatus sql.NullString
	err := s.Scan(&pn.ID, &pn.OrganizationID, &pn.InventoryID, &pn.Number, &pn.Country, &pn.Type,
		&pn.Status, &pn.EndpointID, &pn.FallbackEndpointID, &pn.AllowInbound, &pn.AllowOutbound,
		&createdAt, &updatedAt,
		&epID, &epName, &epType, &epProvider, &epStatus)
	if err != nil {
		return nil, err
	}
	pn.E164 = pn.Number
	pn.CreatedAt, pn.UpdatedAt = fromMicros(createdAt), fromMicros(updatedAt)
	if epID.Valid {
		pn.Endpoint = &switchboard.EndpointSummary{
			ID: epID.String, Name: epName.String, Type: epType.String,
			Provider: epProvider.String, Status: epStatus.String,
		}
	}
	return &pn, nil
}
