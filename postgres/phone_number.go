package postgres

import (
	"context"
	"fmt"

	"github.com/switchboard-voice/switchboard"
)

// phoneNumberFrom joins a held number with its inventory row and its
// primary endpoint (all NULL when it has none), for phoneNumberColumns.
const phoneNumberFrom = `phone_numbers p
	JOIN inventory_numbers i ON i.id = p.inventory_id
	LEFT JOIN endpoints e ON e.id = p.endpoint_id AND e.organization_id = p.organization_id`

const phoneNumberColumns = `p.id, p.organization_id, p.inventory_id, i.number, i.country, i.type,
	p.status, p.endpoint_id, p.fallback_endpoint_id, p.allow_inbound, p.allow_outbound,
	p.created_at, p.updated_at,
	e.id, e.name, e.type, e.provider_config ->> 'provider', e.status`

const phoneNumberSelect = `SELECT ` + phoneNumberColumns + ` FROM ` + phoneNumberFrom

const inventoryColumns = `i.id, i.number, i.country, i.type, i.created_at`

func numberNotFound(id string) error {
	return switchboard.Errorf(switchboard.ECodeNumberNotFound, "Phone number %s not found.", id)
}

func numberNotAvailable(what string) error {
	return switchboard.Errorf(switchboard.ECodeNumberNotAvail, "Number %s is not available.", what)
}

// AddInventory adds numbers to the inventory, skipping numbers already
// there (or earlier in nums), and returns how many it added, in one
// statement. Added numbers get their ID and CreatedAt set; skipped ones are
// left as they were.
func (db *Driver) AddInventory(ctx context.Context, nums []*switchboard.InventoryNumber) (int, error) {
	if len(nums) == 0 {
		return 0, nil
	}
	now := db.now()
	first := map[string]int{} // number → index of its first occurrence
	var ids, numbers, countries, types []string
	for i, n := range nums {
		if _, dup := first[n.Number]; dup {
			continue
		}
		first[n.Number] = i
		ids = append(ids, switchboard.NewID(switchboard.PrefixInventory))
		numbers = append(numbers, n.Number)
		countries = append(countries, n.Country)
		types = append(types, n.Type)
	}
	rows, err := db.pool.Query(ctx, `INSERT INTO inventory_numbers (id, number, country, type, created_at)
		SELECT id, number, country, type, $5 FROM unnest($1::text[], $2::text[], $3::text[], $4::text[])
			AS n(id, number, country, type)
		ON CONFLICT (number) DO NOTHING
		RETURNING id, number`, ids, numbers, countries, types, now)
	if err != nil {
		return 0, fmt.Errorf("add inventory: %w", err)
	}
	added := map[string]string{} // number → ID
	var id, number string
	for rows.Next() {
		if err := rows.Scan(&id, &number); err != nil {
			rows.Close()
			return 0, fmt.Errorf("add inventory: %w", err)
		}
		added[number] = id
	}
	if err := rows.Err(); err != nil {
		return 0, fmt.Errorf("add inventory: %w", err)
	}
	// Set the IDs only now that they are committed.
	for number, id := range added {
		n := nums[first[number]]
		n.ID, n.CreatedAt = id, now
	}
	return len(added), nil
}

// ListAvailable returns one page of the inventory numbers no organisation
// holds, newest first, and the total that match the filter.
func (db *Driver) ListAvailable(ctx context.Context, f switchboard.AvailableFilter) ([]*switchboard.InventoryNumber, int, error) {
	var w where
	w.add("NOT EXISTS (SELECT 1 FROM phone_numbers p WHERE p.inventory_id = i.id)")
	if f.Country != "" {
		w.eq("i.country", f.Country)
	}
	if f.Type != "" {
		w.eq("i.type", f.Type)
	}
	out, total, err := list(ctx, db.pool, inventoryColumns, "inventory_numbers i", w, `i.created_at DESC, i.id COLLATE "C" DESC`, f.Page,
		func(s scanner, extra ...any) (*switchboard.InventoryNumber, error) {
			var n switchboard.InventoryNumber
			err := s.Scan(append([]any{&n.ID, &n.Number, &n.Country, &n.Type, &n.CreatedAt}, extra...)...)
			return &n, err
		})
	if err != nil {
		return nil, 0, fmt.Errorf("list available numbers: %w", err)
	}
	return out, total, nil
}

// ClaimNumber gives an available number, named by inventory ID or by E.164
// number (both must match when both are given), to the organisation. It
// fails with NUMBER_NOT_AVAILABLE when no such number is free, and with
// ENDPOINT_NOT_FOUND when req.EndpointID is not one of the organisation's.
// It emits phone_number.purchased. The unique inventory_id decides who
// holds a number, so of several claims racing for it, on any nodes, one
// wins and the others are NUMBER_NOT_AVAILABLE.
func (db *Driver) ClaimNumber(ctx context.Context, orgID string, req switchboard.ClaimRequest) (*switchboard.PhoneNumber, error) {
	var w where
	what := req.InventoryID
	switch {
	case req.InventoryID == "" && req.Number == "":
		return nil, switchboard.FieldError("inventory_id", "inventory_id or number is required")
	case req.InventoryID != "" && !switchboard.ValidID(switchboard.PrefixInventory, req.InventoryID):
		return nil, numberNotAvailable(req.InventoryID)
	case req.InventoryID != "":
		w.eq("id", req.InventoryID)
	}
	if req.Number != "" {
		what = req.Number
		if !storable(req.Number) {
			return nil, numberNotAvailable(what)
		}
		w.eq("number", req.Number)
	}
	var pn *switchboard.PhoneNumber
	err := db.write(ctx, func(tx *txn) error {
		var invID string
		err := tx.QueryRow(ctx, `SELECT id FROM inventory_numbers WHERE `+w.String(), w.args...).Scan(&invID)
		if isNoRows(err) {
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
		id, now := switchboard.NewID(switchboard.PrefixNumber), db.now()
		// ON CONFLICT waits for a concurrent claim of the number to end,
		// and inserts nothing if it committed.
		tag, err := tx.Exec(ctx, `INSERT INTO phone_numbers
			(id, organization_id, inventory_id, status, endpoint_id, fallback_endpoint_id,
			 allow_inbound, allow_outbound, created_at, updated_at)
			VALUES ($1, $2, $3, $4, $5, NULL, $6, $7, $8, $8) ON CONFLICT (inventory_id) DO NOTHING`,
			id, orgID, invID, switchboard.NumberActive, req.EndpointID, req.AllowInbound, req.AllowOutbound, now)
		if err != nil {
			return numberError(err, what)
		}
		if tag.RowsAffected() == 0 {
			return numberNotAvailable(what)
		}
		if err := tx.notifyChange(orgID); err != nil {
			return err
		}
		if pn, err = findPhoneNumber(ctx, tx, orgID, id, ""); err != nil {
			return err
		}
		_, err = tx.events(orgID, now).Emit(ctx, switchboard.EventPhoneNumberPurchased, pn, switchboard.EmitOptions{})
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("claim number %s: %w", what, err)
	}
	return pn, nil
}

// numberError maps the constraint violations of a write to a number: the
// number held by another (the unique inventory_id) is NUMBER_NOT_AVAILABLE,
// an endpoint deleted under it ENDPOINT_NOT_FOUND. The locks the store
// takes keep both from happening; this is the backstop.
func numberError(err error, what string) error {
	switch code, constraint := pgCode(err); {
	case code == codeUniqueViolation && constraint == "phone_numbers_inventory_id_key":
		return numberNotAvailable(what)
	case code == codeForeignKeyViolation && (constraint == "phone_numbers_endpoint_id_fkey" || constraint == "phone_numbers_fallback_endpoint_id_fkey"):
		return switchboard.Errorf(switchboard.ECodeEndpointNotFound, "Endpoint not found.")
	}
	return err
}

// FindPhoneNumber returns the organisation's number, or PHONE_NUMBER_NOT_FOUND.
func (db *Driver) FindPhoneNumber(ctx context.Context, orgID, id string) (*switchboard.PhoneNumber, error) {
	pn, err := findPhoneNumber(ctx, db.pool, orgID, id, "")
	if err != nil {
		return nil, fmt.Errorf("find phone number %s: %w", id, err)
	}
	return pn, nil
}

// findPhoneNumber reads the organisation's number; lock is "" or a locking
// clause, which applies to the number's row alone.
func findPhoneNumber(ctx context.Context, q querier, orgID, id, lock string) (*switchboard.PhoneNumber, error) {
	if !switchboard.ValidID(switchboard.PrefixNumber, id) {
		return nil, numberNotFound(id)
	}
	if lock != "" {
		lock += " OF p"
	}
	pn, err := scanPhoneNumber(q.QueryRow(ctx, phoneNumberSelect+` WHERE p.organization_id = $1 AND p.id = $2 `+lock, orgID, id))
	if isNoRows(err) {
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
	rows, err := q.Query(ctx, phoneNumberSelect+` WHERE p.organization_id = $1 AND p.id = ANY($2)
		ORDER BY p.id COLLATE "C"`, orgID, ids)
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
	w.eq("p.organization_id", orgID)
	if f.Status != "" {
		w.eq("p.status", f.Status)
	}
	if f.Country != "" {
		w.eq("i.country", f.Country)
	}
	if f.EndpointID != "" {
		w.eq("p.endpoint_id", f.EndpointID)
	}
	out, total, err := list(ctx, db.pool, phoneNumberColumns, phoneNumberFrom, w, `p.created_at DESC, p.id COLLATE "C" DESC`, f.Page, scanPhoneNumber)
	if err != nil {
		return nil, 0, fmt.Errorf("list phone numbers: %w", err)
	}
	return out, total, nil
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
		// The errors come in the SQLite store's order: number, endpoints,
		// flags. The locks are taken endpoints first, then the number, the
		// order DeleteEndpoint takes them in, so the two cannot deadlock.
		var one int
		err := tx.QueryRow(ctx, `SELECT 1 FROM phone_numbers WHERE organization_id = $1 AND id = $2`, orgID, id).Scan(&one)
		if isNoRows(err) {
			return numberNotFound(id)
		}
		if err != nil {
			return err
		}
		for _, opt := range []switchboard.Optional[string]{p.EndpointID, p.FallbackEndpointID} {
			if opt.Set && !opt.Null {
				if err := checkEndpoint(ctx, tx, orgID, opt.Value); err != nil {
					return err
				}
			}
		}
		for _, f := range []struct {
			name string
			opt  switchboard.Optional[bool]
		}{{"allow_inbound", p.AllowInbound}, {"allow_outbound", p.AllowOutbound}} {
			if f.opt.Set && f.opt.Null {
				return switchboard.FieldError(f.name, "%s cannot be null", f.name)
			}
		}
		cur, err := findPhoneNumber(ctx, tx, orgID, id, "FOR NO KEY UPDATE")
		if err != nil {
			return err
		}
		cur.EndpointID = patchEndpoint(cur.EndpointID, p.EndpointID)
		cur.FallbackEndpointID = patchEndpoint(cur.FallbackEndpointID, p.FallbackEndpointID)
		if p.AllowInbound.Set {
			cur.AllowInbound = p.AllowInbound.Value
		}
		if p.AllowOutbound.Set {
			cur.AllowOutbound = p.AllowOutbound.Value
		}
		now := db.now()
		_, err = tx.Exec(ctx, `UPDATE phone_numbers SET endpoint_id = $1, fallback_endpoint_id = $2,
			allow_inbound = $3, allow_outbound = $4, updated_at = $5
			WHERE organization_id = $6 AND id = $7`,
			cur.EndpointID, cur.FallbackEndpointID, cur.AllowInbound, cur.AllowOutbound, now, orgID, id)
		if err != nil {
			return numberError(err, id)
		}
		if err := tx.notifyChange(orgID); err != nil {
			return err
		}
		if pn, err = findPhoneNumber(ctx, tx, orgID, id, ""); err != nil { // for the new endpoint summary
			return err
		}
		_, err = tx.events(orgID, now).Emit(ctx, switchboard.EventPhoneNumberUpdated, pn, switchboard.EmitOptions{})
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("update phone number %s: %w", id, err)
	}
	return pn, nil
}

// patchEndpoint returns the endpoint reference after applying opt to cur
// (the endpoint it names was checked before).
func patchEndpoint(cur *string, opt switchboard.Optional[string]) *string {
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
func (db *Driver) ReleaseNumber(ctx context.Context, orgID, id string) (*switchboard.PhoneNumber, error) {
	if !switchboard.ValidID(switchboard.PrefixNumber, id) {
		return nil, numberNotFound(id)
	}
	var pn *switchboard.PhoneNumber
	err := db.write(ctx, func(tx *txn) error {
		var err error
		if pn, err = findPhoneNumber(ctx, tx, orgID, id, "FOR UPDATE"); err != nil {
			return err
		}
		if _, err = tx.Exec(ctx, `DELETE FROM phone_numbers WHERE organization_id = $1 AND id = $2`, orgID, id); err != nil {
			return err
		}
		if err := tx.notifyChange(orgID); err != nil {
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
	return pn, nil
}

// scanPhoneNumber scans phoneNumberColumns, then extra.
func scanPhoneNumber(s scanner, extra ...any) (*switchboard.PhoneNumber, error) {
	var pn switchboard.PhoneNumber
	var epID, epName, epType, epProvider, epStatus *string
	dest := append([]any{&pn.ID, &pn.OrganizationID, &pn.InventoryID, &pn.Number, &pn.Country, &pn.Type,
		&pn.Status, &pn.EndpointID, &pn.FallbackEndpointID, &pn.AllowInbound, &pn.AllowOutbound,
		&pn.CreatedAt, &pn.UpdatedAt,
		&epID, &epName, &epType, &epProvider, &epStatus}, extra...)
	if err := s.Scan(dest...); err != nil {
		return nil, err
	}
	pn.E164 = pn.Number
	if epID != nil {
		pn.Endpoint = &switchboard.EndpointSummary{
			ID: *epID, Name: deref(epName), Type: deref(epType), Provider: deref(epProvider), Status: deref(epStatus),
		}
	}
	return &pn, nil
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}
